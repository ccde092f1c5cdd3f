package oidc

import (
	"net/http"
	"net/url"
	"time"
)

// callback is where the hub's login comes back: the hub's code is sealed,
// with the request it was for, into the code the client gets.
func (p *Provider) callback(w http.ResponseWriter, r *http.Request) {
	hubCode, verifier, next, err := p.login.CallbackCode(w, r)
	if next == "" {
		msg := "this login was not started here"
		if err != nil {
			msg = err.Error()
		}
		p.refusePage(w, r, "callback", refuse(errInvalidRequest, "%s", msg))
		return
	}
	u, perr := url.Parse(next)
	var req *authRequest
	e := refuse(errInvalidRequest, "this login was not started by an authorization request")
	if perr == nil && u.Path == p.paths.authorize {
		req, e = p.parseAuthorize(u.Query())
	}
	if e != nil {
		p.refuseAuthorize(w, r, "callback", req, e)
		return
	}
	if err != nil {
		p.refuseAuthorize(w, r, "callback", req, refuse(errAccessDenied, "%s", err.Error()))
		return
	}
	code, err := p.codes.seal(codeContents{
		HubCode: hubCode, HubVerifier: verifier, Client: req.client.ID, RedirectURI: req.redirectURI,
		Challenge: req.challenge, Nonce: req.nonce, Scopes: req.scopes, AuthTime: time.Now().Unix(),
	})
	if err != nil {
		p.refuseAuthorize(w, r, "callback", req, refuse(errServerError, "could not seal the code"))
		return
	}
	p.obs.codeIssued(r.Context(), req.client.ID)
	p.logger.Info("code issued", "client", req.client.ID)
	q := url.Values{"code": {code}, "iss": {p.cfg.Issuer}}
	if req.state != "" {
		q.Set("state", req.state)
	}
	redirectWith(w, r, req.redirectURI, q)
}
