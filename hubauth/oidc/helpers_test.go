package oidc

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hubauth-go/whoami/hubauth"
)

// The unit tests check what the provider does with what clients and
// browsers send, before and around the hub; the integration tests run
// every flow against a real hub. Where a test needs a hub's answer that a
// real hub cannot be made to give, it uses an httptest server.

const testIssuer = "https://hub.example.org/services/oidc"

// testClients are a confidential client and a public one.
func testClients() []Client {
	return []Client{
		{ID: "app", Secret: "app-secret", RedirectURIs: []string{"https://app.example.org/cb"},
			PostLogoutRedirectURIs: []string{"https://app.example.org/bye"}},
		{ID: "spa", RedirectURIs: []string{"https://spa.example.org/cb"}},
		{ID: "staff-only", Secret: "staff-secret", RedirectURIs: []string{"https://staff.example.org/cb"}, AllowedGroups: []string{"staff"}},
	}
}

// hubConfig is the configuration of the service "oidc" with its hub at
// apiURL.
func hubConfig(apiURL string) hubauth.Config {
	return hubauth.Config{
		APIURL: apiURL, APIToken: "service-token", ServiceName: "oidc",
		ServicePrefix: "/services/oidc/", BaseURL: "/", HubPrefix: "/hub/",
		AccessScopes: []string{"access:services!service=oidc"},
		CacheMaxAge:  time.Minute, CacheSize: 100, HubTimeout: 2 * time.Second,
		ClientID: "service-oidc", OAuthCallbackURL: "/services/oidc/oauth_callback",
	}
}

// testKey is a fresh P-256 signing key: quick to make, unlike RSA.
func testKey(t testing.TB) SigningKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	sk, err := NewSigningKey(k)
	require.NoError(t, err)
	return sk
}

// newTestProvider builds a provider for the hub at apiURL (one that is
// never reached, unless a test says otherwise).
func newTestProvider(t testing.TB, apiURL string, mutate ...func(*Config)) *Provider {
	t.Helper()
	auth, err := hubauth.New(hubConfig(apiURL))
	require.NoError(t, err)
	login, err := hubauth.NewOAuth(auth)
	require.NoError(t, err)
	cfg := Config{Issuer: testIssuer, Clients: testClients(), Keys: []SigningKey{testKey(t)}}
	for _, m := range mutate {
		m(&cfg)
	}
	p, err := New(login, cfg)
	require.NoError(t, err)
	return p
}

// unreachableHub is an API URL nothing answers at.
const unreachableHub = "http://127.0.0.1:1/hub/api"

// serve sends one request to h and returns the answer.
func serve(h http.Handler, method, target string, header http.Header, body string) *httptest.ResponseRecorder {
	var r *http.Request
	if body != "" {
		r = httptest.NewRequest(method, target, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		r = httptest.NewRequest(method, target, nil)
	}
	for k, v := range header {
		r.Header[k] = v
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// location is the parsed Location of a redirect.
func location(t testing.TB, w *httptest.ResponseRecorder) *url.URL {
	t.Helper()
	require.Equal(t, http.StatusFound, w.Code, w.Body.String())
	u, err := url.Parse(w.Header().Get("Location"))
	require.NoError(t, err)
	return u
}

// goodAuthorize is an authorization request of the client app.
func goodAuthorize() url.Values {
	return url.Values{
		"client_id": {"app"}, "redirect_uri": {"https://app.example.org/cb"}, "response_type": {"code"},
		"scope": {"openid profile groups"}, "state": {"st"}, "nonce": {"n0"},
		"code_challenge": {s256(strings.Repeat("v", 43))}, "code_challenge_method": {"S256"},
	}
}

// with is q with key set to value ("" deletes it).
func with(q url.Values, key, value string) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	if value == "" {
		out.Del(key)
	} else {
		out.Set(key, value)
	}
	return out
}
