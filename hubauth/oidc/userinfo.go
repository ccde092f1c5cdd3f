package oidc

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/hubauth-go/whoami/hubauth"
)

// The userinfo endpoint (OpenID Connect Core §5.3): the claims of the
// user an access token was issued for, for its scopes. The hub token
// inside the access token is checked with the hub on every use, through
// the answer cache (HUBAUTH_CACHE_MAX_AGE): a token the hub revoked (its
// owner logged out of the hub, an admin revoked it, it expired) or whose
// user is gone, or a user who lost access to the service or left the
// client's allowed groups, is refused within the cache's max age.

// bearerToken finds the access token: in the Authorization header
// (Bearer, in any case) or, for POST, the form's access_token (RFC 6750
// §2.1, §2.2); never both.
func bearerToken(w http.ResponseWriter, r *http.Request) (string, *oauthError) {
	var token string
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, rest, _ := strings.Cut(strings.TrimSpace(h), " ")
		if !strings.EqualFold(scheme, "bearer") || strings.TrimSpace(rest) == "" {
			return "", refuse(errInvalidRequest, "the Authorization header must be Bearer <access token>")
		}
		token = strings.TrimSpace(rest)
	}
	if r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		form, e := formBody(w, r)
		if e != nil {
			return "", e
		}
		if v, ok := form["access_token"]; ok {
			if token != "" || len(v) > 1 {
				return "", refuse(errInvalidRequest, "the access token is given more than once")
			}
			token = v[0]
		}
	}
	if token == "" {
		return "", &oauthError{desc: "no access token: send Authorization: Bearer <access token>", status: http.StatusUnauthorized}
	}
	return token, nil
}

// userinfo serves the userinfo endpoint.
func (p *Provider) userinfo(w http.ResponseWriter, r *http.Request) {
	if allowCORS(w, r) {
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		p.refuseUserinfo(w, r, refuse(errInvalidRequest, "the userinfo endpoint takes GET or POST").withStatus(http.StatusMethodNotAllowed))
		return
	}
	token, e := bearerToken(w, r)
	if e != nil {
		p.refuseUserinfo(w, r, e)
		return
	}
	u, scopes, e := p.checkAccessToken(r, token)
	if e != nil {
		p.refuseUserinfo(w, r, e)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(p.claimsJSON(u, scopes))
}

// claimsKey names the claims JSON of one provider for one set of scopes,
// among what is derived from a hub answer (hubauth.User.Derived).
type claimsKey struct {
	p      *Provider
	scopes string
}

// claimsJSON is the claims of u for scopes as JSON, made once per hub
// answer: every userinfo request with a cached token gets the same
// answer from the hub, so the same claims.
func (p *Provider) claimsJSON(u *hubauth.User, scopes []string) []byte {
	return u.Derived(claimsKey{p, strings.Join(scopes, " ")}, func(u *hubauth.User) any {
		body, _ := json.Marshal(p.claims(u, scopes)) // strings and lists of strings: cannot fail
		return body
	}).([]byte)
}

// checkAccessToken opens an access token and asks the hub about the hub
// token inside.
func (p *Provider) checkAccessToken(r *http.Request, token string) (*hubauth.User, []string, *oauthError) {
	invalid := func(desc string) *oauthError {
		return refuse(errInvalidToken, "%s", desc).withStatus(http.StatusUnauthorized)
	}
	now := time.Now()
	ac, ok := p.opened.get(token, now)
	if !ok {
		if p.tokens.open(token, &ac) != nil {
			return nil, nil, invalid("the access token is not valid: this provider did not issue it, or it has expired")
		}
		if now.Unix() >= ac.Expires {
			return nil, nil, invalid("the access token has expired")
		}
		p.opened.put(token, ac, now)
	}
	client := p.client(ac.Client)
	if client == nil {
		return nil, nil, invalid("the access token's client is no longer registered")
	}
	u, err := p.login.Authenticator().UserForToken(r.Context(), "", ac.HubToken)
	var hubErr *hubauth.HubError
	switch {
	case errors.As(err, &hubErr):
		return nil, nil, hubFailure(hubErr)
	case err != nil:
		return nil, nil, invalid("the hub no longer accepts the login behind this access token")
	case !p.mayUse(u):
		return nil, nil, invalid("hub user " + u.Name + " may no longer use this provider")
	case !client.admits(u):
		return nil, nil, invalid("hub user " + u.Name + " is no longer in a group client " + client.ID + " admits")
	}
	return u, ac.Scopes, nil
}

// mayUse reports whether the service's access scopes admit u, as
// hubauth's own check does for every caller.
func (p *Provider) mayUse(u *hubauth.User) bool {
	if len(p.hub.AccessScopes) == 0 {
		return p.hub.AllowAnyUser
	}
	for _, s := range p.hub.AccessScopes {
		if u.HasScope(s) {
			return true
		}
	}
	return false
}

// refuseUserinfo answers a refused userinfo request: 401 with a
// WWW-Authenticate challenge, or the hub's failure.
func (p *Provider) refuseUserinfo(w http.ResponseWriter, r *http.Request, e *oauthError) {
	label := e.code
	if label == "" {
		label = "no_token"
	}
	p.obs.refused(r.Context(), "userinfo", label)
	if e.status >= 500 {
		p.logger.Error("userinfo failed", "error", e.code, "reason", e.desc)
		writeJSONError(w, e)
		return
	}
	p.logger.Info("userinfo refused", "error", e.code, "reason", e.desc)
	writeBearerError(w, p.cfg.Issuer, e)
}
