package oidc

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/stretchr/testify/require"

	"github.com/hubauth-go/whoami/hubauth"
)

func TestCheckIssuer(t *testing.T) {
	for _, tc := range []struct {
		issuer, prefix, error string
	}{
		{"https://hub.example.org/services/oidc", "/services/oidc/", ""},
		{"http://127.0.0.1:8000/services/oidc", "/services/oidc/", ""},
		{"https://id.example.org", "/", ""},
		{"", "/services/oidc/", "not set"},
		{"hub.example.org/services/oidc", "/services/oidc/", "want an http or https URL"},
		{"ftp://hub.example.org/services/oidc", "/services/oidc/", "want an http or https URL"},
		{"https://hub.example.org/services/oidc/", "/services/oidc/", "must not end with '/'"},
		{"https://hub.example.org/services/other", "/services/oidc/", `its path "/services/other" must be the service prefix /services/oidc/`},
		{"https://hub.example.org/services/oidc?x=1", "/services/oidc/", "must not have a query"},
		{"https://u:p@hub.example.org/services/oidc", "/services/oidc/", "user name or password"},
	} {
		err := checkIssuer(tc.issuer, tc.prefix)
		if tc.error == "" {
			require.NoError(t, err, tc.issuer)
			continue
		}
		require.ErrorContains(t, err, tc.error, tc.issuer)
	}
}

// New reports every problem at once, each naming its setting.
func TestNewReportsEveryProblem(t *testing.T) {
	auth, err := hubauth.New(hubConfig(unreachableHub))
	require.NoError(t, err)
	login, err := hubauth.NewOAuth(auth)
	require.NoError(t, err)
	_, err = New(login, Config{
		Issuer: "https://hub.example.org/elsewhere",
		Keys:   []SigningKey{{Algorithm: "RS256", ID: "x", Key: testKey(t).Key}},
		Clients: []Client{
			{ID: "a", RedirectURIs: []string{"https://a.example/"}},
			{ID: "a", RedirectURIs: []string{"https://a.example/"}},
			{ID: "b", SecretFile: "/x", RedirectURIs: []string{"https://b.example/"}},
			{ID: "c"},
		},
	})
	require.Error(t, err)
	for _, want := range []string{
		"issuer (HUBAUTH_OIDC_ISSUER): its path",
		"keys (HUBAUTH_OIDC_KEY_FILE): key 1: want algorithm ES256",
		`client "a": client_id: listed twice`,
		`client "b": client_secret_file: not read`,
		`client "c": redirect_uris: missing`,
	} {
		require.Contains(t, err.Error(), want)
	}
	_, err = New(login, Config{Issuer: testIssuer})
	require.ErrorContains(t, err, "clients (HUBAUTH_OIDC_CLIENTS): none")
}

func TestDiscoveryAndJWKS(t *testing.T) {
	p := newTestProvider(t, unreachableHub, func(c *Config) { c.EmailTemplate = "{name}@example.org" })
	w := serve(p, http.MethodGet, "/services/oidc/.well-known/openid-configuration", nil, "")
	require.Equal(t, http.StatusOK, w.Code)
	require.Equal(t, "*", w.Header().Get("Access-Control-Allow-Origin"))
	var d map[string]any
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &d))
	require.Equal(t, testIssuer, d["issuer"])
	require.Equal(t, testIssuer+"/token", d["token_endpoint"])
	require.Equal(t, []any{"ES256"}, d["id_token_signing_alg_values_supported"])
	require.Equal(t, []any{"openid", "profile", "groups", "email"}, d["scopes_supported"])
	require.Equal(t, []any{"authorization_code"}, d["grant_types_supported"])

	w = serve(p, http.MethodGet, "/services/oidc/jwks", nil, "")
	require.Equal(t, http.StatusOK, w.Code)
	var set jose.JSONWebKeySet
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &set))
	require.Len(t, set.Keys, 1)
	require.True(t, set.Keys[0].IsPublic())
	require.Equal(t, p.keys[0].ID, set.Keys[0].KeyID)

	require.Equal(t, http.StatusMethodNotAllowed, serve(p, http.MethodPost, "/services/oidc/jwks", nil, "").Code)
	require.Equal(t, http.StatusNotFound, serve(p, http.MethodGet, "/services/oidc/other", nil, "").Code)
}

// Without keys, the provider signs with RS256, with a key derived from its
// secret: another provider with the same secret publishes the same key.
func TestDerivedKeyIsShared(t *testing.T) {
	derived := func(t *testing.T) *Provider {
		return newTestProvider(t, unreachableHub, func(c *Config) { c.Keys = nil })
	}
	a, b := derived(t), derived(t)
	require.Equal(t, a.jwks, b.jwks)
	require.Equal(t, "RS256", a.keys[0].Algorithm)
	require.Contains(t, string(a.discovery), `"id_token_signing_alg_values_supported":["RS256"]`)
}

// The id_token carries what clients check (OpenID Connect Core
// §3.1.3.7), signed by a key of the JWKS.
func TestIDToken(t *testing.T) {
	p := newTestProvider(t, unreachableHub, func(c *Config) { c.EmailTemplate = "{name}@example.org" })
	u, err := hubauth.ParseUser([]byte(`{"name": "ada", "groups": ["staff"]}`))
	require.NoError(t, err)
	now := time.Now().Truncate(time.Second)
	cc := codeContents{Client: "app", Nonce: "n0", Scopes: []string{"openid", "profile", "groups", "email"}, AuthTime: now.Unix() - 5}
	raw, err := p.idToken(p.client("app"), u, cc, "the-access-token", now, now.Add(time.Hour))
	require.NoError(t, err)

	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256})
	require.NoError(t, err)
	require.Equal(t, p.keys[0].ID, tok.Headers[0].KeyID)
	var std jwt.Claims
	var extra map[string]any
	require.NoError(t, tok.Claims(p.keys[0].Key.Public(), &std, &extra))
	require.NoError(t, std.Validate(jwt.Expected{Issuer: testIssuer, AnyAudience: jwt.Audience{"app"}, Time: now}))
	require.Equal(t, "ada", std.Subject)
	require.Equal(t, "n0", extra["nonce"])
	require.Equal(t, "app", extra["azp"])
	require.EqualValues(t, now.Unix()-5, extra["auth_time"])
	require.Equal(t, tokenHash("ES256", "the-access-token"), extra["at_hash"])
	require.Equal(t, []any{"staff"}, extra["groups"])
	require.Equal(t, "ada@example.org", extra["email"])
	require.Equal(t, "ada", extra["preferred_username"])
	require.False(t, strings.Contains(raw, "the-access-token"))
}
