package oidc

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// The authorization endpoint (OpenID Connect Core §3.1.2). A request is
// checked in the order RFC 6749 §4.1.2.1 sets: first the client and its
// redirect URI, whose faults get an error page here and never a redirect
// (an unknown client or a URI that is not the client's could be anyone's);
// then everything else, whose faults go back to the client. A good
// request sends the browser through the hub's own login, whose callback
// (callback.go) hands the client its code.

// authRequest is an authorization request that passed every check.
type authRequest struct {
	client      *Client
	redirectURI string
	state       string
	nonce       string
	scopes      []string // the scopes granted: openid and those of ours asked for
	challenge   string   // PKCE code_challenge, S256
}

// Limits on what a request may carry. The request travels, sealed, in the
// hub login's state parameter (at most 4 KiB, sealed, which takes about
// twice the bytes) and then in the code, so it must stay small; real
// clients send a few hundred bytes.
const (
	maxParam        = 1024 // one parameter's value
	maxAuthorizeURI = 1800 // the whole request, as re-encoded
	maxFormBody     = 64 << 10
)

// authorizeParams are the parameters of an authorization request: its
// query for GET, its form body for POST (OpenID Connect Core §3.1.2.1).
func authorizeParams(w http.ResponseWriter, r *http.Request) (url.Values, *oauthError) {
	switch r.Method {
	case http.MethodGet:
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			return nil, refuse(errInvalidRequest, "the query is not URL-encoded")
		}
		return q, nil
	case http.MethodPost:
		return formBody(w, r)
	}
	w.Header().Set("Allow", "GET, POST")
	return nil, refuse(errInvalidRequest, "the authorization endpoint takes GET or POST").withStatus(http.StatusMethodNotAllowed)
}

// formBody reads a POST's application/x-www-form-urlencoded body, and
// only the body.
func formBody(w http.ResponseWriter, r *http.Request) (url.Values, *oauthError) {
	if ct, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";"); !strings.EqualFold(strings.TrimSpace(ct), "application/x-www-form-urlencoded") {
		return nil, refuse(errInvalidRequest, "want a body of type application/x-www-form-urlencoded")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		return nil, refuse(errInvalidRequest, "the body is not a form of at most %d bytes", maxFormBody)
	}
	return r.PostForm, nil
}

// parseAuthorize checks an authorization request. When the error can go
// back to the client, the request is returned with it (with the client and
// redirect URI set); when it cannot, the request is nil.
func (p *Provider) parseAuthorize(q url.Values) (*authRequest, *oauthError) {
	for k, v := range q {
		if len(v) > 1 && (k == "client_id" || k == "redirect_uri") {
			return nil, refuse(errInvalidRequest, "%s is given more than once", k)
		}
	}
	id := q.Get("client_id")
	client := p.client(id)
	switch {
	case id == "":
		return nil, refuse(errInvalidRequest, "the request has no client_id")
	case client == nil:
		return nil, refuse(errUnauthorizedClient, "client_id %.60q is not registered with this provider", id)
	}
	uri := q.Get("redirect_uri")
	switch {
	case uri == "":
		return nil, refuse(errInvalidRequest, "the request has no redirect_uri (OpenID Connect requires one)")
	case !slices.Contains(client.RedirectURIs, uri):
		return nil, refuse(errInvalidRequest, "redirect_uri %.100q is not registered for client %s (it must match one of its redirect_uris exactly)", uri, id)
	}
	req := &authRequest{client: client, redirectURI: uri, state: q.Get("state")}
	for k, v := range q {
		switch {
		case len(v) > 1:
			return req, refuse(errInvalidRequest, "%.40s is given more than once", k)
		case len(v[0]) > maxParam:
			if k == "state" {
				req.state = "" // too long to send back
			}
			return req, refuse(errInvalidRequest, "%.40s is longer than %d bytes", k, maxParam)
		}
	}
	req.nonce = q.Get("nonce")
	switch {
	case q.Has("request"):
		return req, refuse(errRequestNotSupported, "request objects are not supported")
	case q.Has("request_uri"):
		return req, refuse(errRequestURINotSupported, "request_uri is not supported")
	case q.Get("response_type") != "code":
		return req, refuse(errUnsupportedResponseType, "only the authorization code flow is supported: response_type=code")
	case q.Get("response_mode") != "" && q.Get("response_mode") != "query":
		return req, refuse(errInvalidRequest, "only response_mode=query is supported")
	}
	scopes := strings.Fields(q.Get("scope"))
	if !slices.Contains(scopes, "openid") {
		return req, refuse(errInvalidScope, "the scope must include openid")
	}
	for _, s := range []string{"openid", "profile", "groups", "email"} {
		if slices.Contains(scopes, s) && (s != "email" || p.cfg.EmailTemplate != "") {
			req.scopes = append(req.scopes, s)
		}
	}
	req.challenge = q.Get("code_challenge")
	method := q.Get("code_challenge_method")
	switch {
	case req.challenge == "" && client.public():
		return req, refuse(errInvalidRequest, "client %s has no secret, so it must use PKCE: send code_challenge and code_challenge_method=S256", id)
	case req.challenge == "" && method != "":
		return req, refuse(errInvalidRequest, "code_challenge_method without a code_challenge")
	case req.challenge != "" && method != "S256":
		return req, refuse(errInvalidRequest, "code_challenge_method must be S256")
	case req.challenge != "" && !isPKCEValue(req.challenge):
		return req, refuse(errInvalidRequest, "code_challenge must be 43 to 128 characters of A-Z, a-z, 0-9, '-', '.', '_', '~'")
	}
	if slices.Contains(strings.Fields(q.Get("prompt")), "none") {
		// The hub may need to show its login or consent page, and
		// cannot be asked not to.
		return req, refuse(errLoginRequired, "prompt=none is not supported: the hub's login may need to be shown")
	}
	if len(req.encode()) > maxAuthorizeURI {
		return req, refuse(errInvalidRequest, "the request is longer than %d bytes", maxAuthorizeURI)
	}
	return req, nil
}

// encode is the request as a query, as parseAuthorize reads it back.
func (a *authRequest) encode() string {
	q := url.Values{
		"client_id":     {a.client.ID},
		"redirect_uri":  {a.redirectURI},
		"response_type": {"code"},
		"scope":         {strings.Join(a.scopes, " ")},
	}
	for k, v := range map[string]string{"state": a.state, "nonce": a.nonce, "code_challenge": a.challenge} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if a.challenge != "" {
		q.Set("code_challenge_method", "S256")
	}
	return q.Encode()
}

// isPKCEValue reports whether s can be a PKCE verifier or challenge (RFC
// 7636 §4.1): 43 to 128 unreserved characters.
func isPKCEValue(s string) bool {
	if len(s) < 43 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			return false
		}
	}
	return true
}

// authorize serves the authorization endpoint: a good request goes on to
// the hub's login, carried in its state; a bad one is refused.
func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	q, e := authorizeParams(w, r)
	if e != nil {
		p.refusePage(w, r, "authorize", e)
		return
	}
	req, e := p.parseAuthorize(q)
	if e != nil {
		p.refuseAuthorize(w, r, "authorize", req, e)
		return
	}
	// The login's return URL is the request itself, re-encoded: the
	// callback reads it back from the sealed state and checks it again.
	start := r.Clone(r.Context())
	start.Method = http.MethodGet
	start.URL = &url.URL{Path: p.paths.authorize, RawQuery: req.encode()}
	p.login.StartLogin(w, start)
}

// refuseAuthorize answers a refused authorization request: back to the
// client when it is known and the redirect URI is its own, else with an
// error page.
func (p *Provider) refuseAuthorize(w http.ResponseWriter, r *http.Request, endpoint string, req *authRequest, e *oauthError) {
	if req == nil {
		p.refusePage(w, r, endpoint, e)
		return
	}
	p.obs.refused(r.Context(), endpoint, e.code)
	p.logger.Info("authorization refused", "client", req.client.ID, "error", e.code, "reason", e.desc)
	redirectError(w, r, p.cfg.Issuer, req.redirectURI, req.state, e)
}

// refusePage refuses with an error page, for what must not be redirected.
func (p *Provider) refusePage(w http.ResponseWriter, r *http.Request, endpoint string, e *oauthError) {
	p.obs.refused(r.Context(), endpoint, e.code)
	p.logger.Info("request refused", "endpoint", endpoint, "error", e.code, "reason", e.desc)
	writeErrorPage(w, e)
}
