package oidc

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hubauth-go/whoami/hubauth"
)

func TestLogout(t *testing.T) {
	p := newTestProvider(t, unreachableHub)
	u, err := hubauth.ParseUser([]byte(`{"name": "ada"}`))
	require.NoError(t, err)
	now := time.Now()
	appToken, err := p.idToken(p.client("app"), u, codeContents{Scopes: []string{"openid"}}, "a", now.Add(-2*time.Hour), now.Add(-time.Hour))
	require.NoError(t, err)
	spaToken, err := p.idToken(p.client("spa"), u, codeContents{Scopes: []string{"openid"}}, "a", now, now.Add(time.Hour))
	require.NoError(t, err)
	other := newTestProvider(t, unreachableHub) // another key
	foreign, err := other.idToken(other.client("app"), u, codeContents{Scopes: []string{"openid"}}, "a", now, now.Add(time.Hour))
	require.NoError(t, err)

	for _, tc := range []struct {
		name  string
		query url.Values
		page  int    // an error page
		next  string // the page's target; "" for the hub's own logout
	}{
		{name: "nothing: the hub's logout", query: url.Values{}},
		{name: "a client without a return address", query: url.Values{"client_id": {"app"}}},
		{name: "client_id and a registered return", query: url.Values{"client_id": {"app"}, "post_logout_redirect_uri": {"https://app.example.org/bye"}, "state": {"s&1"}},
			next: "https://app.example.org/bye?state=s%261"},
		{name: "an expired id_token_hint names the client", query: url.Values{"id_token_hint": {appToken}, "post_logout_redirect_uri": {"https://app.example.org/bye"}},
			next: "https://app.example.org/bye"},
		{name: "a return without a client", query: url.Values{"post_logout_redirect_uri": {"https://app.example.org/bye"}}, page: 400},
		{name: "an unregistered return", query: url.Values{"client_id": {"app"}, "post_logout_redirect_uri": {"https://evil.example/"}}, page: 400},
		{name: "another client's hint", query: url.Values{"client_id": {"app"}, "id_token_hint": {spaToken}, "post_logout_redirect_uri": {"https://app.example.org/bye"}}, page: 400},
		{name: "a hint signed by someone else", query: url.Values{"id_token_hint": {foreign}, "post_logout_redirect_uri": {"https://app.example.org/bye"}}, page: 400},
		{name: "a hint that is not a JWT", query: url.Values{"id_token_hint": {"junk"}}, page: 400},
		{name: "an unknown client", query: url.Values{"client_id": {"nobody"}}, page: 400},
		{name: "a parameter twice", query: url.Values{"client_id": {"app", "app"}}, page: 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := serve(p, http.MethodGet, "/services/oidc/logout?"+tc.query.Encode(), nil, "")
			switch {
			case tc.page != 0:
				require.Equal(t, tc.page, w.Code, w.Body.String())
				require.Empty(t, w.Header().Get("Location"))
			case tc.next == "":
				require.Equal(t, "/hub/logout", location(t, w).String())
			default:
				require.Equal(t, http.StatusOK, w.Code, w.Body.String())
				csp := w.Header().Get("Content-Security-Policy")
				nonce := regexp.MustCompile(`script-src 'nonce-([A-Za-z0-9_-]+)'`).FindStringSubmatch(csp)
				require.NotNil(t, nonce, csp)
				require.Contains(t, csp, "default-src 'none'")
				require.Contains(t, csp, "connect-src 'self'")
				body := w.Body.String()
				require.Contains(t, body, `<script nonce="`+nonce[1]+`">`)
				require.Contains(t, body, `data-hub="/hub/logout"`)
				require.Contains(t, body, `data-next="`+html.EscapeString(tc.next)+`"`)
			}
		})
	}
}
