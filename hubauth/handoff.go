package hubauth

import (
	"context"
	"net/http"
	"net/url"

	"golang.org/x/oauth2"
)

// A login handed off: the browser goes to the hub's authorize page as for
// any login ([OAuth.StartLogin]), but the code the hub sends back is not
// exchanged at the callback. CallbackCode checks the callback and returns
// the code; ExchangeCode trades it for the hub token later, possibly in
// another process, with no browser involved. An OpenID Connect provider
// in front of the hub works this way: it seals the hub's code into the
// code it gives its own client, and exchanges it when that client comes
// to its token endpoint. Because the hub accepts a code once, the sealed
// code is single-use at every replica with nothing kept in memory.

// CallbackCode checks an OAuth callback as [OAuth.Callback] does (the state
// against the browser's state cookie, the hub's error, the code) but does
// not exchange the code: it returns it, with the PKCE verifier it is bound
// to and the return URL the login was started for (StartLogin's request
// path and query), and clears the login's state cookie. Other logins in
// flight in the same browser keep theirs. Nothing is written to w but
// that cookie.
//
// next is set whenever the state was this browser's, also when err
// reports that the hub did not log the user in (an error= on the
// callback), so the caller can tell whoever the login was for. An err is
// always a refusal with a 4xx status ([WriteError] answers it); the code
// goes to [OAuth.ExchangeCode] within the five minutes the hub keeps it.
func (o *OAuth) CallbackCode(w http.ResponseWriter, r *http.Request) (code, verifier, next string, err error) {
	code, verifier, next, err = o.callbackCode(w, r)
	if err != nil {
		o.auth.obs.loginFailed(r.Context(), err)
		o.auth.logRefusal(r, err)
		return "", "", next, err
	}
	o.auth.obs.loginFinished(r.Context())
	return code, verifier, next, nil
}

func (o *OAuth) callbackCode(w http.ResponseWriter, r *http.Request) (code, verifier, next string, err error) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return "", "", "", &loginError{code: http.StatusMethodNotAllowed, msg: "the OAuth callback takes GET requests"}
	}
	q := r.URL.Query()
	st, next, name, err := o.states.read(r, q.Get("state"))
	if err != nil {
		return "", "", "", err
	}
	// This login is over, whatever the hub said.
	o.states.jar.clear(w, r, name)
	if err := hubRefusal(q); err != nil {
		return "", "", next, err
	}
	if code = q.Get("code"); code == "" {
		return "", "", next, &loginError{code: http.StatusBadRequest, msg: "OAuth callback without a code"}
	}
	return code, st.Verifier, next, nil
}

// hubRefusal is the hub's error= on a callback, as a 400 that quotes it,
// or nil.
func hubRefusal(q url.Values) error {
	e := q.Get("error")
	if e == "" {
		return nil
	}
	msg := "the hub did not log you in: " + e
	if d := q.Get("error_description"); d != "" {
		msg += ": " + d
	}
	return &loginError{code: http.StatusBadRequest, msg: excerpt(msg)}
}

// ExchangeCode trades a code from [OAuth.CallbackCode] for a hub token at
// the hub's token endpoint, over the hub client's connections (a unix
// socket, internal SSL) and within HUBAUTH_HUB_TIMEOUT, and asks the hub
// whose token it is, through the answer cache, with the service's access
// scopes applied as for any caller.
//
// The errors say whose problem it is. A code the hub refuses (used
// already, expired, another client's, a wrong verifier) is a refusal with
// status 400 that wraps the hub's [*oauth2.RetrieveError]. The hub refusing
// this service's own client credentials is a 500 naming the variables to
// check; a hub that cannot be asked is a [*HubError]. A user the access
// scopes do not admit is a [*ForbiddenError], returned with the user.
func (o *OAuth) ExchangeCode(ctx context.Context, code, verifier string) (*oauth2.Token, *User, error) {
	tok, err := o.exchange(ctx, code, verifier)
	if err != nil {
		return nil, nil, err
	}
	u, err := o.auth.check(ctx, "", tok.AccessToken)
	if err != nil {
		return nil, u, err
	}
	return tok, u, nil
}
