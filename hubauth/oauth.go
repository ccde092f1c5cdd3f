package hubauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"golang.org/x/oauth2"
)

// ErrLoginCookie: the browser sent a login cookie that cannot be opened:
// tampered with, too old, or sealed with a key this service no longer
// has. GET and HEAD requests are sent to log in again.
var ErrLoginCookie = errors.New("the login cookie is not valid: log in again")

// LoginError says an OAuth callback could not finish the login. Status is
// 4xx when the browser brought something wrong (the hub reported an error,
// or refused the code), 500 when the hub refused this service's own client
// credentials.
type LoginError struct {
	Status  int
	Message string
	Err     error
}

func (e *LoginError) Error() string { return e.Message }

func (e *LoginError) Unwrap() error { return e.Err }

// OAuth logs browsers in through the hub's OAuth2 provider (the
// authorization-code flow of RFC 6749 with PKCE, RFC 7636), and then
// identifies them by a sealed login cookie holding the hub token they got.
// Requests with a token header are identified as by [Authenticator] and
// set no cookie.
//
// It keeps no state in memory: what a login in flight needs travels in an
// encrypted state cookie, and the cookie keys come from the configuration
// (or the API token), so any replica, or a restarted process, finishes a
// login another started and accepts the cookies another set.
type OAuth struct {
	auth         *Authenticator
	conf         oauth2.Config
	jar          *cookieJar
	callbackPath string
	logoutPath   string
	hubLogoutURL string
}

// NewOAuth adds the OAuth login to an Authenticator, whose configuration
// must name the OAuth client ([Config.ClientID] and
// [Config.OAuthCallbackURL], which [FromEnv] fills in for hub-managed
// services).
func NewOAuth(a *Authenticator) (*OAuth, error) {
	cfg := a.cfg
	if err := cfg.validateOAuth(); err != nil {
		return nil, err
	}
	keys, err := newCookieKeys(cfg)
	if err != nil {
		return nil, err
	}
	cb, _ := url.Parse(cfg.OAuthCallbackURL) // checked by validateOAuth
	return &OAuth{
		auth: a,
		conf: oauth2.Config{
			ClientID: cfg.ClientID,
			// The service's API token is its client secret.
			ClientSecret: cfg.APIToken,
			Endpoint: oauth2.Endpoint{
				AuthURL:  cfg.Host + cfg.HubPrefix + "api/oauth2/authorize",
				TokenURL: a.hub.base + "/oauth2/token",
				// The hub reads the client credentials from the form body.
				AuthStyle: oauth2.AuthStyleInParams,
			},
			RedirectURL: cfg.OAuthCallbackURL,
		},
		jar:          newCookieJar(cfg, keys),
		callbackPath: cb.Path,
		logoutPath:   cfg.ServicePrefix + "logout",
		hubLogoutURL: cfg.Host + cfg.HubPrefix + "logout",
	}, nil
}

// Authenticator returns the token side this OAuth builds on.
func (o *OAuth) Authenticator() *Authenticator { return o.auth }

// CookieName is the name of the login cookie.
func (o *OAuth) CookieName() string { return o.jar.login }

// CallbackPath is the path of the OAuth redirect URI, which
// [OAuth.Middleware] answers with [OAuth.Callback].
func (o *OAuth) CallbackPath() string { return o.callbackPath }

// LogoutPath is {prefix}logout, where [OAuth.Middleware] serves
// [OAuth.Logout].
func (o *OAuth) LogoutPath() string { return o.logoutPath }

// Middleware is the one call most browser services need: it answers the
// OAuth callback, serves [OAuth.Logout] at {prefix}logout, identifies the
// caller (token header, then login cookie), sends browsers without a
// valid login to the hub to log in, and passes on only callers that may
// use the service. An app with a logout page of its own builds from the
// pieces instead ([OAuth.Identify], [OAuth.RequireLogin],
// [OAuth.Callback], [OAuth.ClearLogin]).
//
//	http.Handle(cfg.ServicePrefix, oauth.Middleware(app))
func (o *OAuth) Middleware(next http.Handler) http.Handler {
	rest := o.Identify(o.RequireLogin(next))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case o.callbackPath:
			o.Callback(w, r)
		case o.logoutPath:
			o.Logout(w, r)
		default:
			rest.ServeHTTP(w, r)
		}
	})
}

// Identify finds the caller by a token (as [Authenticator.Identify] does)
// or else by the login cookie, and stores the result for [FromContext].
// As in the hub's own client, a token the hub refuses does not hide a
// valid login cookie: the cookie then decides.
//
// A login cookie the hub no longer accepts is cleared. Cookie-authenticated
// requests that are not plain navigation must carry the XSRF token
// ([OAuth.XSRFToken]); without it they are not admitted ([ErrXSRF]) and
// no user is stored. With JUPYTERHUB_ALLOW_WEBSOCKET_COOKIE_AUTH off, a
// websocket request the cookie alone authenticates is refused
// ([ErrWebsocketCookie]).
//
// With JUPYTERHUB_ALLOW_TOKEN_IN_URL on, a page opened from a link with
// ?token= (a sharing link) keeps that token in the login cookie, so the
// rest of the visit works without it; only for navigation, never for
// websockets or a page's subrequests.
func (o *OAuth) Identify(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, o.identify(w, r))
	})
}

func (o *OAuth) identify(w http.ResponseWriter, r *http.Request) *http.Request {
	if _, ok := identityOf(r); ok {
		return r
	}
	if token, fromURL := tokenSource(r, o.auth.cfg.AllowTokenInURL); token != "" {
		withToken := o.auth.identifyToken(r, token)
		id, _ := identityOf(withToken)
		if !errors.Is(id.err, ErrInvalidToken) || !o.jar.hasLogin(r) {
			if id.err == nil && fromURL {
				o.persistURLToken(w, r, id)
			}
			return withToken
		}
		// The hub refused the token, but the browser has a login: the
		// cookie decides, as in the hub's own client.
	}
	return withIdentity(r, o.identifyCookie(w, r))
}

// identifyCookie identifies the caller by the login cookie.
func (o *OAuth) identifyCookie(w http.ResponseWriter, r *http.Request) *identity {
	if o.auth.cfg.DenyWebsocketCookieAuth && isWebsocketUpgrade(r) && o.jar.hasLogin(r) {
		return &identity{err: ErrWebsocketCookie}
	}
	token, present, err := o.jar.loginToken(r)
	switch {
	case !present:
		return &identity{err: ErrNoToken, loginFixes: true}
	case err != nil:
		o.jar.clear(w, r, o.jar.login)
		return &identity{err: ErrLoginCookie, loginFixes: true}
	}
	id := &identity{token: token}
	id.user, id.err = o.auth.check(r.Context(), sessionID(r), token)
	if errors.Is(id.err, ErrInvalidToken) {
		// Expired, revoked, or the hub session behind it ended (logout).
		o.jar.clear(w, r, o.jar.login)
		id.loginFixes = true
	}
	if id.err == nil {
		xsrf := o.xsrfFor(id.user, token)
		if needsXSRFCheck(r) && !checkXSRF(r, xsrf) {
			// Not the caller's doing, perhaps another site's: nobody is
			// identified, so a handler that only looks at the user
			// cannot act for them.
			return &identity{err: ErrXSRF}
		}
		o.offerXSRF(w, r, xsrf)
	}
	return id
}

// persistURLToken keeps the token of a link (?token=, when
// JUPYTERHUB_ALLOW_TOKEN_IN_URL is on) in the login cookie, so a browser
// that opened a sharing link stays logged in for the pages it opens next.
// Only a page load does this: not websockets, not a page's subrequests.
func (o *OAuth) persistURLToken(w http.ResponseWriter, r *http.Request, id *identity) {
	if !o.auth.cfg.AllowTokenInURL || !isNavigation(r) {
		return
	}
	if err := o.jar.setLogin(w, r, id.token); err != nil {
		return // the link still works for this request
	}
	o.offerXSRF(w, r, o.xsrfFor(id.user, id.token))
	o.auth.logger.Info("kept the link's token in the login cookie", "kind", id.user.Kind, "name", id.user.Name)
}

type xsrfKey struct{}

// xsrfFor is the login's XSRF token, computed once per cached hub answer
// (which belongs to exactly one token) rather than on every request.
func (o *OAuth) xsrfFor(u *User, hubToken string) string {
	return u.Derived(xsrfKey{}, func(*User) any { return o.jar.keys.xsrfToken(hubToken) }).(string)
}

// offerXSRF gives the page the XSRF token of this login in a cookie its
// scripts can read, unless the browser has it already.
func (o *OAuth) offerXSRF(w http.ResponseWriter, r *http.Request, want string) {
	if hasCookie(r, XSRFCookieName, want) {
		return
	}
	c := o.jar.cookie(r, XSRFCookieName, want)
	c.HttpOnly = false
	// At the service's prefix even with __Host- login cookies (which must
	// be at /): the name has no prefix, and at / every service behind the
	// hub would overwrite every other's.
	c.Path = o.auth.cfg.ServicePrefix
	http.SetCookie(w, c)
}

// XSRFToken returns the token a cookie-authenticated request must send
// back (as an _xsrf form field, or an X-XSRFToken header) unless it is
// plain navigation; for handlers that render forms. It is "" for requests
// not authenticated by the login cookie, which need none.
func (o *OAuth) XSRFToken(r *http.Request) string {
	if tokenFrom(r, o.auth.cfg.AllowTokenInURL) != "" {
		return ""
	}
	token, _, err := o.jar.loginToken(r)
	if err != nil || token == "" {
		return ""
	}
	return o.jar.keys.xsrfToken(token)
}

// RequireLogin lets through callers that may use the service. A browser
// that is not logged in (or whose login ended) and loads a page (GET or
// HEAD, navigation) is redirected to log in at the hub; a page's
// subrequests (images, scripts, fetch, websockets) then get 403 rather
// than each starting a login of its own. Everyone else who is refused gets
// [WriteError]'s answer: 403, or a 5xx when the hub failed.
func (o *OAuth) RequireLogin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := identityOf(r)
		if !ok {
			r = o.identify(w, r)
			id, _ = identityOf(r)
		}
		o.auth.obs.requestDecided(r)
		if id.err == nil {
			next.ServeHTTP(w, r)
			return
		}
		if id.loginFixes && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			if isNavigation(r) {
				o.StartLogin(w, r)
				return
			}
			id = &identity{err: ErrNotLoggedIn}
		}
		o.auth.logRefusal(r, id.err)
		WriteError(w, id.err)
	})
}

// StartLogin sends the browser to the hub's authorize page, to come back
// to the callback and then to where it was going (this request's path and
// query, if on this service). A login already in flight in the same
// browser keeps its own state cookie, so both can finish; one browser
// holds at most a few (the oldest are dropped), so no number of
// unfinished logins can fill its cookie jar.
func (o *OAuth) StartLogin(w http.ResponseWriter, r *http.Request) {
	next := SafeNext(o.auth.cfg.ServicePrefix, r.URL.RequestURI())
	st, param, name, err := o.jar.newState(w, r, next)
	if err == nil {
		err = o.jar.setState(w, r, name, st)
	}
	if err != nil {
		WriteJSONError(w, http.StatusInternalServerError, "could not seal the OAuth state cookie")
		return
	}
	authURL := o.conf.AuthCodeURL(param, oauth2.S256ChallengeOption(st.Verifier))
	o.auth.obs.login(r.Context(), LoginStarted, nil)
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, authURL, http.StatusFound)
}

// Callback finishes a login at the redirect URI: it checks the state
// against the browser's state cookie, exchanges the code for a token at
// the hub (with the PKCE verifier and the service's client secret), asks
// the hub whose token it is, sets the login cookie, clears every state
// cookie and sends the browser back to where it was going. Whatever the
// browser brings, a wrong request gets a 4xx; only hub failures get a 5xx.
func (o *OAuth) Callback(w http.ResponseWriter, r *http.Request) {
	if err := o.callback(w, r); err != nil {
		o.auth.obs.login(r.Context(), LoginFailed, err)
		o.auth.logRefusal(r, err)
		WriteError(w, err)
	}
}

func (o *OAuth) callback(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return &LoginError{Status: http.StatusMethodNotAllowed, Message: "the OAuth callback takes GET requests"}
	}
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		msg := "the hub did not log you in: " + e
		if d := q.Get("error_description"); d != "" {
			msg += ": " + d
		}
		return &LoginError{Status: http.StatusBadRequest, Message: excerpt(msg)}
	}
	code := q.Get("code")
	if code == "" {
		return &LoginError{Status: http.StatusBadRequest, Message: "OAuth callback without a code"}
	}
	st, next, err := o.jar.readState(r, q.Get("state"))
	if err != nil {
		// A login in a browser that has logged in meanwhile (a second
		// tab whose login finished first and cleared every state cookie,
		// or the back button) just goes where it was going.
		if next != "" && o.loggedIn(r) {
			o.clearStates(w, r)
			http.Redirect(w, r, SafeNext(o.auth.cfg.ServicePrefix, next), http.StatusFound)
			return nil
		}
		return err
	}

	ctx, cancel := context.WithTimeout(r.Context(), o.auth.hub.timeout)
	defer cancel()
	ctx = context.WithValue(ctx, oauth2.HTTPClient, o.auth.hub.http)
	tok, err := o.conf.Exchange(ctx, code, oauth2.VerifierOption(st.Verifier))
	if err != nil {
		return o.exchangeError(err)
	}
	u, err := o.auth.check(r.Context(), sessionID(r), tok.AccessToken)
	if err != nil {
		return err
	}
	if err := o.jar.setLogin(w, r, tok.AccessToken); err != nil {
		return &LoginError{Status: http.StatusInternalServerError, Message: "could not seal the login cookie", Err: err}
	}
	o.clearStates(w, r)
	o.offerXSRF(w, r, o.xsrfFor(u, tok.AccessToken))
	o.auth.logger.Info("logged in", "kind", u.Kind, "name", u.Name)
	o.auth.obs.login(r.Context(), LoginFinished, nil)
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, SafeNext(o.auth.cfg.ServicePrefix, next), http.StatusFound)
	return nil
}

// loggedIn reports whether the request's login cookie holds a token of a
// caller who may use the service.
func (o *OAuth) loggedIn(r *http.Request) bool {
	token, _, err := o.jar.loginToken(r)
	if err != nil || token == "" {
		return false
	}
	_, err = o.auth.check(r.Context(), sessionID(r), token)
	return err == nil
}

// clearStates clears every state cookie: a finished login ends all the
// others in flight in the same browser (which then finish as above).
func (o *OAuth) clearStates(w http.ResponseWriter, r *http.Request) {
	for _, c := range r.Cookies() {
		if o.jar.isState(c.Name) {
			o.jar.clear(w, r, c.Name)
		}
	}
}

// exchangeError sorts a failed code exchange: the hub refusing the code
// (used, expired, or not for this browser) is the browser's problem; the
// hub refusing our client credentials, or not answering, is ours.
func (o *OAuth) exchangeError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.Response != nil {
		status := re.Response.StatusCode
		switch {
		case re.ErrorCode == "invalid_client" || status == http.StatusUnauthorized:
			return &LoginError{Status: http.StatusInternalServerError, Err: err,
				Message: "the hub refused this service's OAuth client credentials: check JUPYTERHUB_CLIENT_ID and JUPYTERHUB_API_TOKEN"}
		case status >= 400 && status < 500:
			msg := "the hub refused the login code"
			if re.ErrorCode != "" {
				msg += " (" + re.ErrorCode + ")"
			}
			return &LoginError{Status: http.StatusBadRequest, Err: err, Message: msg + ": start the login again"}
		}
		return &HubError{URL: o.conf.Endpoint.TokenURL, StatusCode: status, Err: err,
			Message: fmt.Sprintf("JupyterHub API at %s answered %d to the OAuth token request", o.auth.cfg.APIURL, status)}
	}
	return o.auth.hub.transportError(o.conf.Endpoint.TokenURL, err)
}
