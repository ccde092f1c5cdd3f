package oidc

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/hubauth-go/whoami/hubauth"
)

// The token endpoint (RFC 6749 §4.1.3, OpenID Connect Core §3.1.3): a
// client trades a code for an access token and an id_token. The code is
// opened and checked against the request (client, redirect URI, PKCE
// verifier); then the hub's code inside it is exchanged at the hub, which
// refuses a second exchange, and the hub's answer says who logged in.

// tokenRequest is a token request whose client authenticated.
type tokenRequest struct {
	client      *Client
	code        string
	redirectURI string
	verifier    string
}

// parseTokenRequest checks a token request's form and authenticates its
// client, from the Authorization header (client_secret_basic) or the form
// (client_secret_post; a public client sends only its client_id).
func (p *Provider) parseTokenRequest(authorization string, form url.Values) (*tokenRequest, *oauthError) {
	for k, v := range form {
		if len(v) > 1 {
			return nil, refuse(errInvalidRequest, "%.40s is given more than once", k)
		}
	}
	switch grant := form.Get("grant_type"); {
	case grant == "":
		return nil, refuse(errInvalidRequest, "the request has no grant_type")
	case grant != "authorization_code":
		return nil, refuse(errUnsupportedGrantType, "only grant_type=authorization_code is supported")
	}
	client, e := p.authenticateClient(authorization, form)
	if e != nil {
		return nil, e
	}
	req := &tokenRequest{client: client, code: form.Get("code"), redirectURI: form.Get("redirect_uri"), verifier: form.Get("code_verifier")}
	if req.code == "" {
		return nil, refuse(errInvalidRequest, "the request has no code")
	}
	return req, nil
}

// authenticateClient finds the client and checks its secret. Every
// failure is invalid_client, 401 (RFC 6749 §5.2).
func (p *Provider) authenticateClient(authorization string, form url.Values) (*Client, *oauthError) {
	unauthorized := func(format string, args ...any) *oauthError {
		return refuse(errInvalidClient, format, args...).withStatus(http.StatusUnauthorized)
	}
	id, secret := form.Get("client_id"), form.Get("client_secret")
	if authorization != "" {
		basicID, basicSecret, ok := basicCredentials(authorization)
		switch {
		case !ok:
			return nil, unauthorized("the Authorization header is not HTTP Basic with client_id:client_secret")
		case secret != "":
			return nil, refuse(errInvalidRequest, "the client authenticated twice: in the Authorization header and with client_secret in the form")
		case id != "" && id != basicID:
			return nil, refuse(errInvalidRequest, "client_id in the form is not the one in the Authorization header")
		}
		id, secret = basicID, basicSecret
	}
	client := p.client(id)
	switch {
	case id == "":
		return nil, unauthorized("no client_id: authenticate with HTTP Basic or client_id and client_secret in the form")
	case client == nil:
		return nil, unauthorized("client_id %.60q is not registered with this provider", id)
	case client.public() && secret != "":
		return nil, unauthorized("client %s is public: it has no secret to send", id)
	case client.public():
		return client, nil
	case secret == "":
		return nil, unauthorized("client %s must authenticate with its secret", id)
	case !client.secretMatches(secret):
		return nil, unauthorized("wrong secret for client %s", id)
	}
	return client, nil
}

// basicCredentials reads HTTP Basic credentials, each part
// form-urlencoded as RFC 6749 §2.3.1 says; a part that does not decode is
// taken as it is, as many clients send it.
func basicCredentials(header string) (id, secret string, ok bool) {
	scheme, enc, found := strings.Cut(strings.TrimSpace(header), " ")
	if !found || !strings.EqualFold(scheme, "basic") {
		return "", "", false
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(enc))
	if err != nil {
		return "", "", false
	}
	id, secret, ok = strings.Cut(string(raw), ":")
	if !ok {
		return "", "", false
	}
	if v, err := url.QueryUnescape(id); err == nil {
		id = v
	}
	if v, err := url.QueryUnescape(secret); err == nil {
		secret = v
	}
	return id, secret, true
}

// openCode checks the request against what its code was issued for.
func (p *Provider) openCode(req *tokenRequest) (codeContents, *oauthError) {
	var cc codeContents
	switch {
	case p.codes.open(req.code, &cc) != nil:
		return cc, refuse(errInvalidGrant, "the code is not valid: it has expired, or this provider did not issue it")
	case cc.Client != req.client.ID:
		return cc, refuse(errInvalidGrant, "the code was issued to another client")
	case req.redirectURI != cc.RedirectURI:
		return cc, refuse(errInvalidGrant, "redirect_uri is not the one of the authorization request")
	case cc.Challenge == "" && req.verifier != "":
		return cc, refuse(errInvalidGrant, "code_verifier sent for a code requested without a code_challenge")
	case cc.Challenge != "" && req.verifier == "":
		return cc, refuse(errInvalidGrant, "the code was requested with a code_challenge: send its code_verifier")
	case cc.Challenge != "" && !isPKCEValue(req.verifier):
		return cc, refuse(errInvalidGrant, "code_verifier must be 43 to 128 characters of A-Z, a-z, 0-9, '-', '.', '_', '~'")
	case cc.Challenge != "" && s256(req.verifier) != cc.Challenge:
		return cc, refuse(errInvalidGrant, "code_verifier does not match the code_challenge")
	}
	return cc, nil
}

// s256 is a PKCE verifier's S256 challenge (RFC 7636 §4.2).
func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// token serves the token endpoint.
func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	if allowCORS(w, r) {
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		p.refuseToken(w, r, "", refuse(errInvalidRequest, "the token endpoint takes POST").withStatus(http.StatusMethodNotAllowed))
		return
	}
	form, e := formBody(w, r)
	if e != nil {
		p.refuseToken(w, r, "", e)
		return
	}
	req, e := p.parseTokenRequest(r.Header.Get("Authorization"), form)
	if e != nil {
		p.refuseToken(w, r, "", e)
		return
	}
	cc, e := p.openCode(req)
	if e != nil {
		p.refuseToken(w, r, req.client.ID, e)
		return
	}
	tok, u, err := p.login.ExchangeCode(r.Context(), cc.HubCode, cc.HubVerifier)
	if err != nil {
		p.refuseToken(w, r, req.client.ID, exchangeRefusal(err))
		return
	}
	if !req.client.admits(u) {
		p.refuseToken(w, r, req.client.ID, refuse(errInvalidGrant, "hub user %s is not in a group client %s admits (its allowed_groups)", u.Name, req.client.ID))
		return
	}
	now := time.Now()
	exp := now.Add(p.cfg.TokenLifetime)
	if !tok.Expiry.IsZero() && tok.Expiry.Before(exp) {
		exp = tok.Expiry
	}
	access, err := p.tokens.seal(accessContents{HubToken: tok.AccessToken, Client: req.client.ID, Scopes: cc.Scopes, Expires: exp.Unix()})
	if err != nil {
		p.refuseToken(w, r, req.client.ID, refuse(errServerError, "could not seal the access token").withStatus(http.StatusInternalServerError))
		return
	}
	idToken, err := p.idToken(req.client, u, cc, access, now, exp)
	if err != nil {
		p.refuseToken(w, r, req.client.ID, refuse(errServerError, "could not sign the id_token").withStatus(http.StatusInternalServerError))
		return
	}
	p.obs.tokenIssued(r.Context(), req.client.ID)
	p.logger.Info("tokens issued", "client", req.client.ID, "name", u.Name)
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": access,
		"token_type":   "Bearer",
		"expires_in":   int64(exp.Sub(now) / time.Second),
		"id_token":     idToken,
		"scope":        strings.Join(cc.Scopes, " "),
	})
}

// exchangeRefusal says why the hub's code could not be exchanged, in
// OAuth's terms: the hub refusing the code (used already, expired) or the
// user is the client's invalid_grant; the hub failing is a 5xx naming it.
func exchangeRefusal(err error) *oauthError {
	var hubErr *hubauth.HubError
	var forbidden *hubauth.ForbiddenError
	var re *oauth2.RetrieveError
	switch {
	case errors.As(err, &hubErr):
		return hubFailure(hubErr)
	case errors.As(err, &forbidden):
		return refuse(errInvalidGrant, "%s", forbidden.Error())
	case errors.Is(err, hubauth.ErrInvalidToken):
		return refuse(errInvalidGrant, "the hub no longer accepts the login behind this code")
	case errors.As(err, &re) && re.ErrorCode != "invalid_client" && re.Response != nil &&
		re.Response.StatusCode >= 400 && re.Response.StatusCode < 500 && re.Response.StatusCode != http.StatusUnauthorized:
		return refuse(errInvalidGrant, "the hub refused the code inside this one: it was used already, or has expired")
	}
	return refuse(errServerError, "%s", err.Error()).withStatus(http.StatusInternalServerError)
}

// hubFailure is the hub failing, in OAuth's terms: temporarily_unavailable
// when it could not be reached or did not answer in time, server_error
// otherwise, with hubauth's status (5xx) and message, which names the hub.
func hubFailure(e *hubauth.HubError) *oauthError {
	code := errServerError
	if s := e.HTTPStatus(); s == http.StatusServiceUnavailable || s == http.StatusGatewayTimeout {
		code = errTemporarilyUnavailable
	}
	return refuse(code, "%s", e.Message).withStatus(e.HTTPStatus())
}

// refuseToken answers a refused token request.
func (p *Provider) refuseToken(w http.ResponseWriter, r *http.Request, client string, e *oauthError) {
	p.obs.refused(r.Context(), "token", e.code)
	attrs := []any{"error", e.code, "reason", e.desc}
	if client != "" {
		attrs = append(attrs, "client", client)
	}
	if e.status >= 500 {
		p.logger.Error("token request failed", attrs...)
	} else {
		p.logger.Info("token request refused", attrs...)
	}
	if e.code == errInvalidClient {
		w.Header().Set("WWW-Authenticate", `Basic realm=`+quoted(p.cfg.Issuer))
	}
	writeJSONError(w, e)
}

// allowCORS lets web pages on other origins call the endpoint (public
// clients in the browser use the token and userinfo endpoints), and
// answers their preflight requests (an OPTIONS with
// Access-Control-Request-Method; any other OPTIONS is refused like any
// other method). They carry no cookies: credentials are in the request
// itself.
func allowCORS(w http.ResponseWriter, r *http.Request) bool {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	if r.Method != http.MethodOptions || r.Header.Get("Access-Control-Request-Method") == "" {
		return false
	}
	h.Set("Access-Control-Allow-Methods", "GET, POST")
	h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
	h.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
	return true
}
