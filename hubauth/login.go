package hubauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"golang.org/x/oauth2"
)

// The login itself: StartLogin sends the browser to the hub's authorize
// page with a state cookie (state.go), and Callback checks the state,
// exchanges the code for a hub token and seals it into the login cookie
// (logincookie.go).

// StartLogin sends the browser to the hub's authorize page, to come back
// to the callback and then to where it was going (this request's path and
// query, if on this service). A login already in flight in the same
// browser keeps its own state cookie, so both can finish; one browser
// holds at most a few (the oldest are dropped), so no number of
// unfinished logins can fill its cookie jar.
func (o *OAuth) StartLogin(w http.ResponseWriter, r *http.Request) {
	o.startLogin(w, r, safeNext(o.auth.cfg.ServicePrefix, r.URL.RequestURI()))
}

// StartLoginTo sends the browser to log in at the hub, as StartLogin
// does, to come back to next: a path on this service, or a URL on one of
// [Config.ReturnHosts]. It is for a login that starts somewhere else,
// such as an ingress's sign-in redirect (nginx's auth_request answered
// 401) for an app that is not under the service's prefix. Any other next
// is answered 400 and no login starts, so no link can make the login send
// a browser to a site of someone else's choosing.
func (o *OAuth) StartLoginTo(w http.ResponseWriter, r *http.Request, next string) {
	to, ok := safeReturn(o.auth.cfg.ServicePrefix, o.auth.cfg.ReturnHosts, next)
	if !ok {
		o.auth.logRefusal(r, errReturnURL)
		WriteError(w, errReturnURL)
		return
	}
	o.startLogin(w, r, to)
}

func (o *OAuth) startLogin(w http.ResponseWriter, r *http.Request, next string) {
	st, param, name, err := o.states.start(w, r, next)
	if err == nil {
		err = o.states.set(w, r, name, st)
	}
	if err != nil {
		WriteJSONError(w, http.StatusInternalServerError, "could not seal the OAuth state cookie")
		return
	}
	authURL := o.conf.AuthCodeURL(param, oauth2.S256ChallengeOption(st.Verifier))
	o.auth.obs.loginStarted(r.Context())
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
		o.auth.obs.loginFailed(r.Context(), err)
		o.auth.logRefusal(r, err)
		WriteError(w, err)
	}
}

func (o *OAuth) callback(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return &loginError{code: http.StatusMethodNotAllowed, msg: "the OAuth callback takes GET requests"}
	}
	q := r.URL.Query()
	if err := hubRefusal(q); err != nil {
		return err
	}
	code := q.Get("code")
	if code == "" {
		return &loginError{code: http.StatusBadRequest, msg: "OAuth callback without a code"}
	}
	st, next, _, err := o.states.read(r, q.Get("state"))
	if err != nil {
		// A login in a browser that has logged in meanwhile (a second
		// tab whose login finished first and cleared every state cookie,
		// or the back button) just goes where it was going.
		if next != "" && o.loggedIn(r) {
			o.states.clearAll(w, r)
			http.Redirect(w, r, o.returnURL(next), http.StatusFound)
			return nil
		}
		return err
	}

	tok, err := o.exchange(r.Context(), code, st.Verifier)
	if err != nil {
		return err
	}
	u, err := o.auth.check(r.Context(), sessionID(r), tok.AccessToken)
	if err != nil {
		return err
	}
	if err := o.login.set(w, r, tok.AccessToken); err != nil {
		return &loginError{code: http.StatusInternalServerError, msg: "could not seal the login cookie", err: err}
	}
	o.states.clearAll(w, r)
	o.csrf.offer(w, r, u, tok.AccessToken)
	o.auth.logger.Info("logged in", "kind", u.Kind, "name", u.Name)
	o.auth.obs.loginFinished(r.Context())
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, o.returnURL(next), http.StatusFound)
	return nil
}

// returnURL is where a finished login goes: next, checked again (it came
// back sealed, but the allowed hosts may have changed since), or the
// prefix.
func (o *OAuth) returnURL(next string) string {
	to, _ := safeReturn(o.auth.cfg.ServicePrefix, o.auth.cfg.ReturnHosts, next)
	return to
}

// loggedIn reports whether the request's login cookie holds a token of a
// caller who may use the service.
func (o *OAuth) loggedIn(r *http.Request) bool {
	u, err := o.cookieUser(r)
	return err == nil && o.auth.allowed(u)
}

// exchange trades the code for a hub token at the hub's token endpoint,
// over the hub client's connections (a unix socket, internal SSL), within
// the hub timeout.
func (o *OAuth) exchange(ctx context.Context, code, verifier string) (*oauth2.Token, error) {
	ctx, cancel := context.WithTimeout(ctx, o.auth.hub.timeout)
	defer cancel()
	ctx = context.WithValue(ctx, oauth2.HTTPClient, o.auth.hub.http)
	tok, err := o.conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, o.exchangeError(err)
	}
	return tok, nil
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
			return &loginError{code: http.StatusInternalServerError, err: err,
				msg: "the hub refused this service's OAuth client credentials: check JUPYTERHUB_CLIENT_ID and JUPYTERHUB_API_TOKEN"}
		case status >= 400 && status < 500:
			msg := "the hub refused the login code"
			if re.ErrorCode != "" {
				msg += " (" + re.ErrorCode + ")"
			}
			return &loginError{code: http.StatusBadRequest, err: err, msg: msg + ": start the login again"}
		}
		return &HubError{URL: o.conf.Endpoint.TokenURL, StatusCode: status, Err: err,
			Message: fmt.Sprintf("JupyterHub API at %s answered %d to the OAuth token request", o.auth.cfg.APIURL, status)}
	}
	return o.auth.hub.transportError(o.conf.Endpoint.TokenURL, err)
}
