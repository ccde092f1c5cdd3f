package hubauth

import (
	"errors"
	"net/http"
	"net/url"

	"golang.org/x/oauth2"
)

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
//
// This file identifies a browser by its login cookie (logincookie.go) and
// applies the cross-site request rule to it (csrf.go); login.go is the
// login itself.
type OAuth struct {
	auth   *Authenticator
	conf   oauth2.Config
	login  *loginCookie
	states *stateCookies
	csrf   csrfRule // JupyterHub's XSRF rule or the cross-origin one (csrf.go)

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
	jar := newCookieJar(cfg)
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
		login:        newLoginCookie(cfg, jar, keys),
		states:       newStateCookies(cfg, jar, keys),
		csrf:         newCSRFRule(cfg, jar, keys),
		callbackPath: cb.Path,
		logoutPath:   cfg.ServicePrefix + "logout",
		hubLogoutURL: cfg.Host + cfg.HubPrefix + "logout",
	}, nil
}

// Authenticator returns the token side this OAuth builds on.
func (o *OAuth) Authenticator() *Authenticator { return o.auth }

// Middleware is the one call most browser services need: it answers the
// OAuth callback (at the path of JUPYTERHUB_OAUTH_CALLBACK_URL), serves
// [OAuth.Logout] at {prefix}logout, identifies the caller (token header,
// then login cookie), sends browsers without a valid login to the hub to
// log in, and passes on only callers that may use the service. An app
// with a logout page of its own builds from the pieces instead
// ([OAuth.Identify], [OAuth.RequireLogin], [OAuth.Callback],
// [OAuth.ClearLogin]).
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
// no user is stored. With [Config.CrossOriginProtection] the browser's
// Fetch Metadata and Origin decide instead ([ErrCrossOrigin]). Either way
// a websocket the cookie authenticates must come from a page of the same
// origin ([ErrCrossOrigin]). With JUPYTERHUB_ALLOW_WEBSOCKET_COOKIE_AUTH
// off, a websocket request the cookie alone authenticates is refused
// ([ErrWebsocketCookie]).
//
// With JUPYTERHUB_ALLOW_TOKEN_IN_URL on, a page opened from a link with
// ?token= (a sharing link) keeps that token in the login cookie, so the
// rest of the visit works without it; only for navigation, never for
// websockets or a page's subrequests, and never in place of the valid
// login of another user (see keepURLToken).
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
		if !errors.Is(id.err, ErrInvalidToken) || !o.login.has(r) {
			if id.err == nil && fromURL {
				o.keepURLToken(w, r, id)
			}
			return withToken
		}
		// The hub refused the token, but the browser has a login: the
		// cookie decides, as in the hub's own client.
	}
	return withIdentity(r, o.identifyCookie(w, r))
}

// identifyCookie identifies the caller by the login cookie: open it, ask
// the hub about the token inside, apply the XSRF rule.
func (o *OAuth) identifyCookie(w http.ResponseWriter, r *http.Request) *identity {
	token, present, err := o.login.open(r)
	switch {
	case !present:
		return &identity{err: ErrNoToken, loginFixes: true}
	case o.auth.cfg.DenyWebsocketCookieAuth && isWebsocketUpgrade(r):
		return &identity{err: ErrWebsocketCookie}
	case isWebsocketUpgrade(r) && !sameOriginWebsocket(r):
		// Another site's page, opening a websocket with the user's login.
		return &identity{err: ErrCrossOrigin}
	case err != nil:
		o.login.clear(w, r)
		return &identity{err: ErrLoginCookie, loginFixes: true}
	}
	id := &identity{token: token}
	id.user, id.err = o.auth.check(r.Context(), sessionID(r), token)
	switch {
	case errors.Is(id.err, ErrInvalidToken):
		// Expired, revoked, or the hub session behind it ended (logout).
		o.login.clear(w, r)
		id.loginFixes = true
	case id.err == nil:
		if err := o.csrf.check(w, r, id.user, token); err != nil {
			// Not the caller's doing, perhaps another site's: nobody is
			// identified, so a handler that only looks at the user cannot
			// act for them.
			return &identity{err: err}
		}
	}
	return id
}

// keepURLToken keeps the token of a link (?token=, when
// JUPYTERHUB_ALLOW_TOKEN_IN_URL is on) in the login cookie, so a browser
// that opened a sharing link stays logged in for the pages it opens next.
// Only a page load does this: not websockets, not a page's subrequests.
//
// A browser logged in as someone else keeps its login: the request is
// served as the link's user, and the next one without the token is the
// login's user again. Otherwise a link carrying bob's token, sent to alice
// and opened in her browser, would make her bob for as long as a login
// lasts, and whatever she did next would be done as bob (login CSRF). A
// login that is over (the hub refuses its token) or of the same user is
// replaced, as before.
func (o *OAuth) keepURLToken(w http.ResponseWriter, r *http.Request, id *identity) {
	if !o.auth.cfg.AllowTokenInURL || !isNavigation(r) {
		return
	}
	if o.loggedInAsOther(r, id.user) {
		o.auth.logger.Info("served a link's token without replacing the login of another user",
			"kind", id.user.Kind, "name", id.user.Name)
		return
	}
	if err := o.login.set(w, r, id.token); err != nil {
		return // the link still works for this request
	}
	o.csrf.offer(w, r, id.user, id.token)
	o.auth.logger.Info("kept the link's token in the login cookie", "kind", id.user.Kind, "name", id.user.Name)
}

// loggedInAsOther reports whether the request's login cookie is a valid
// login of someone other than u. When the hub cannot say whose it is (it
// fails, and the cache has no answer to fall back on), the login is kept:
// it may well be valid.
func (o *OAuth) loggedInAsOther(r *http.Request, u *User) bool {
	login, err := o.cookieUser(r)
	switch {
	case err == nil:
		return login.Kind != u.Kind || login.Name != u.Name
	case errors.Is(err, ErrNoToken), errors.Is(err, ErrLoginCookie), errors.Is(err, ErrInvalidToken):
		return false // no login, or one that is over
	}
	return true
}

// cookieUser is whom the request's login cookie logs in, as the hub says
// (and the cache remembers): [ErrNoToken] without a login cookie,
// [ErrLoginCookie] for one that cannot be opened, else what
// [Authenticator.UserForToken] says of the token inside. Access scopes
// are not checked.
func (o *OAuth) cookieUser(r *http.Request) (*User, error) {
	token, present, err := o.login.open(r)
	switch {
	case !present:
		return nil, ErrNoToken
	case err != nil:
		return nil, ErrLoginCookie
	}
	return o.auth.UserForToken(r.Context(), sessionID(r), token)
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
