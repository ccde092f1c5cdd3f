package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/hubauth-go/whoami/internal/hubtest"
)

// oidcClient is one entry of the provider's clients file.
type oidcClient struct {
	ID                     string   `json:"client_id"`
	Secret                 string   `json:"client_secret,omitempty"`
	RedirectURIs           []string `json:"redirect_uris"`
	AllowedGroups          []string `json:"allowed_groups,omitempty"`
	PostLogoutRedirectURIs []string `json:"post_logout_redirect_uris,omitempty"`
}

// writeClients writes a clients file (JSON, which the provider reads as
// YAML too) and returns its path.
func writeClients(t *testing.T, clients ...oidcClient) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{"clients": clients})
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "clients.json")
	require.NoError(t, os.WriteFile(path, b, 0o600))
	return path
}

// oidcIssuerConfig sets the managed service "oidc"'s issuer from the
// hub's own public address, which the test learns only once the hub
// runs (JupyterHub 4.1 has no public_url to derive it from).
const oidcIssuerConfig = `
for _s in c.JupyterHub.services:
    if _s.get("name") == "oidc":
        _s.setdefault("environment", {})["HUBAUTH_OIDC_ISSUER"] = c.JupyterHub.bind_url.rstrip("/") + "/services/oidc"
`

// oidcService is hubauth-oidc as the managed service "oidc" at
// scheme://127.0.0.1:<free port>, serving clients, its answer cache one
// second long so that revoked tokens show quickly. Its issuer comes from
// oidcIssuerConfig, which the hub's options must add.
func oidcService(t *testing.T, scheme string, env map[string]string, clients ...oidcClient) hubtest.Service {
	t.Helper()
	environment := map[string]string{"HUBAUTH_OIDC_CLIENTS": writeClients(t, clients...), "HUBAUTH_CACHE_MAX_AGE": "1"}
	for k, v := range env {
		environment[k] = v
	}
	return hubtest.Service{
		Name:        "oidc",
		URL:         fmt.Sprintf("%s://127.0.0.1:%d", scheme, hubtest.FreePort(t)),
		Command:     []string{hubtest.Binary(t, "hubauth-oidc")},
		Environment: environment,
	}
}

// oidcRole lets every hub user use the provider.
func oidcRole() hubtest.Role {
	return hubtest.Role{Name: "user", Scopes: []string{"self", "access:services!service=oidc"}}
}

// oidcHub runs a hub with hubauth-oidc as the managed service "oidc"
// (oidcService), which every hub user may use. The groups "science" and
// "staff" are there to test allowed_groups.
func oidcHub(t *testing.T, env map[string]string, clients ...oidcClient) (*hubtest.Hub, string) {
	t.Helper()
	hub := hubtest.Start(t, hubtest.Options{
		Services:    []hubtest.Service{oidcService(t, "http", env, clients...)},
		Roles:       []hubtest.Role{oidcRole()},
		Groups:      []string{"science", "staff"},
		ExtraConfig: oidcIssuerConfig,
	})
	return hub, hub.URL + "/services/oidc"
}

// relyingParty is an application that logs its users in with
// coreos/go-oidc and golang.org/x/oauth2, as a Go web app would: /login
// sends the browser to the provider with state, nonce and PKCE;
// /callback exchanges the code, verifies the id_token (signature,
// issuer, audience, expiry, nonce, at_hash) and asks userinfo, and
// answers with what it learned as JSON.
type relyingParty struct {
	*httptest.Server
	t      *testing.T
	issuer string
	conf   oauth2.Config
	style  oauth2.AuthStyle

	mu       sync.Mutex
	provider *oidc.Provider
	pending  map[string]rpLogin // by state
	last     rpResult
}

type rpLogin struct{ nonce, verifier string }

// rpResult is what one login gave the application.
type rpResult struct {
	Code        string         `json:"-"`
	Verifier    string         `json:"-"` // the PKCE verifier the code was exchanged with
	AccessToken string         `json:"-"`
	IDToken     string         `json:"-"`
	Claims      map[string]any `json:"claims"`
	UserInfo    map[string]any `json:"userinfo"`
}

// newRelyingParty starts the application on a loopback port. Its client
// is registered with redirect URI rp.URL+"/callback"; style picks how it
// authenticates at the token endpoint.
func newRelyingParty(t *testing.T, clientID, secret string, style oauth2.AuthStyle) *relyingParty {
	rp := &relyingParty{t: t, style: style, pending: map[string]rpLogin{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", rp.login)
	mux.HandleFunc("GET /callback", rp.callback)
	rp.Server = httptest.NewServer(mux)
	t.Cleanup(rp.Close)
	rp.conf = oauth2.Config{ClientID: clientID, ClientSecret: secret, RedirectURL: rp.URL + "/callback",
		Scopes: []string{oidc.ScopeOpenID, "profile", "groups"}}
	return rp
}

// client is the registration of the application with the provider.
func (rp *relyingParty) client() oidcClient {
	return oidcClient{ID: rp.conf.ClientID, Secret: rp.conf.ClientSecret, RedirectURIs: []string{rp.URL + "/callback"},
		PostLogoutRedirectURIs: []string{rp.URL + "/bye"}}
}

// discover reads the provider's discovery document, once.
func (rp *relyingParty) discover(ctx context.Context) (*oidc.Provider, error) {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	if rp.provider == nil {
		p, err := oidc.NewProvider(ctx, rp.issuer)
		if err != nil {
			return nil, err
		}
		rp.provider = p
		rp.conf.Endpoint = p.Endpoint()
		rp.conf.Endpoint.AuthStyle = rp.style
	}
	return rp.provider, nil
}

func (rp *relyingParty) login(w http.ResponseWriter, r *http.Request) {
	if _, err := rp.discover(r.Context()); err != nil {
		http.Error(w, "discovery: "+err.Error(), http.StatusBadGateway)
		return
	}
	state, nonce, verifier := hubtest.RandomToken()[:24], hubtest.RandomToken()[:24], oauth2.GenerateVerifier()
	rp.mu.Lock()
	rp.pending[state] = rpLogin{nonce, verifier}
	conf := rp.conf
	rp.mu.Unlock()
	opts := []oauth2.AuthCodeOption{oidc.Nonce(nonce)}
	if r.URL.Query().Get("pkce") != "off" {
		opts = append(opts, oauth2.S256ChallengeOption(verifier))
	}
	http.Redirect(w, r, conf.AuthCodeURL(state, opts...), http.StatusFound)
}

func (rp *relyingParty) callback(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	q := r.URL.Query()
	rp.mu.Lock()
	login, ok := rp.pending[q.Get("state")]
	delete(rp.pending, q.Get("state"))
	provider, conf := rp.provider, rp.conf
	rp.mu.Unlock()
	switch {
	case !ok:
		http.Error(w, "unknown state", http.StatusBadRequest)
		return
	case q.Get("error") != "":
		http.Error(w, "provider error: "+q.Get("error")+": "+q.Get("error_description"), http.StatusForbidden)
		return
	case q.Get("iss") != rp.issuer:
		http.Error(w, "iss "+q.Get("iss")+" is not the issuer", http.StatusBadRequest)
		return
	}
	res := rpResult{Code: q.Get("code"), Verifier: login.verifier}
	rp.mu.Lock()
	rp.last = res
	rp.mu.Unlock()
	tok, err := conf.Exchange(ctx, res.Code, oauth2.VerifierOption(login.verifier))
	if err != nil {
		http.Error(w, "exchange: "+err.Error(), http.StatusBadGateway)
		return
	}
	raw, _ := tok.Extra("id_token").(string)
	idToken, err := provider.Verifier(&oidc.Config{ClientID: conf.ClientID}).Verify(ctx, raw)
	if err != nil {
		http.Error(w, "id_token: "+err.Error(), http.StatusBadGateway)
		return
	}
	if idToken.Nonce != login.nonce {
		http.Error(w, "nonce mismatch", http.StatusBadGateway)
		return
	}
	if err := idToken.VerifyAccessToken(tok.AccessToken); err != nil {
		http.Error(w, "at_hash: "+err.Error(), http.StatusBadGateway)
		return
	}
	if err := idToken.Claims(&res.Claims); err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	info, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		http.Error(w, "userinfo: "+err.Error(), http.StatusBadGateway)
		return
	}
	if err := info.Claims(&res.UserInfo); err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	res.AccessToken, res.IDToken = tok.AccessToken, raw
	rp.mu.Lock()
	rp.last = res
	rp.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(res)
}

// result is the last login's.
func (rp *relyingParty) result() rpResult {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	return rp.last
}

// requireLoggedIn checks the application's page after a login: user
// logged in, as the id_token and userinfo both say. It returns what the
// application got, tokens included.
func requireLoggedIn(t *testing.T, rp *relyingParty, h hop, user string) rpResult {
	t.Helper()
	require.Equal(t, 200, h.status, "%s: %s", h.url, h.body)
	var page rpResult
	require.NoError(t, json.Unmarshal([]byte(h.body), &page))
	res := rp.result()
	require.Equal(t, page.Claims, res.Claims)
	require.Equal(t, user, res.Claims["sub"])
	require.Equal(t, user, res.Claims["preferred_username"])
	require.Equal(t, user, res.UserInfo["sub"])
	require.Equal(t, user, res.UserInfo["preferred_username"])
	require.NotEmpty(t, res.AccessToken)
	return res
}

// tokenRequest posts a form to the token endpoint, with HTTP Basic
// credentials when id is not "".
func tokenRequest(t *testing.T, endpoint, id, secret string, form url.Values) (int, map[string]any, http.Header) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if id != "" {
		req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	}
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal(body, &out), "%s", body)
	return resp.StatusCode, out, resp.Header
}

// userinfoStatus asks userinfo with an access token.
func userinfoStatus(t *testing.T, endpoint, accessToken string) (int, http.Header) {
	t.Helper()
	r := get(t, endpoint, "Bearer "+accessToken)
	return r.status, r.header
}
