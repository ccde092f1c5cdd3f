package oidc

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// userinfoHub answers GET /hub/api/user as a hub would for a few tokens,
// and fails as a hub can for one: the error paths of userinfo.
func userinfoHub(t *testing.T) *httptest.Server {
	models := map[string]string{
		"ada-token":   `{"kind": "user", "name": "ada", "groups": ["staff"], "scopes": ["access:services!service=oidc"]}`,
		"bob-token":   `{"kind": "user", "name": "bob", "groups": [], "scopes": ["access:services!service=oidc"]}`,
		"other-token": `{"kind": "user", "name": "cy", "groups": [], "scopes": ["access:services!service=elsewhere"]}`,
	}
	hub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := strings.TrimPrefix(r.Header.Get("Authorization"), "token ")
		switch model, ok := models[token]; {
		case token == "failing-token":
			w.WriteHeader(http.StatusInternalServerError)
		case !ok:
			w.WriteHeader(http.StatusForbidden)
		default:
			_, _ = w.Write([]byte(model))
		}
	}))
	t.Cleanup(hub.Close)
	return hub
}

func TestUserinfo(t *testing.T) {
	hub := userinfoHub(t)
	p := newTestProvider(t, hub.URL+"/hub/api", func(c *Config) { c.EmailTemplate = "{name}@example.org" })
	access := func(hubToken, client string, scopes []string, expires time.Time) string {
		tok, err := p.tokens.seal(accessContents{HubToken: hubToken, Client: client, Scopes: scopes, Expires: expires.Unix()})
		require.NoError(t, err)
		return tok
	}
	later := time.Now().Add(time.Hour)
	all := []string{"openid", "profile", "groups", "email"}

	t.Run("the claims of the scopes granted", func(t *testing.T) {
		for _, tc := range []struct {
			scopes []string
			want   map[string]any
		}{
			{[]string{"openid"}, map[string]any{"sub": "ada"}},
			{all, map[string]any{"sub": "ada", "preferred_username": "ada", "name": "ada", "groups": []any{"staff"}, "email": "ada@example.org"}},
		} {
			for _, how := range []string{"header", "form"} {
				tok := access("ada-token", "app", tc.scopes, later)
				var w *httptest.ResponseRecorder
				if how == "header" {
					w = serve(p, http.MethodGet, "/services/oidc/userinfo", http.Header{"Authorization": {"bearer " + tok}}, "")
				} else {
					w = serve(p, http.MethodPost, "/services/oidc/userinfo", nil, "access_token="+tok)
				}
				require.Equal(t, http.StatusOK, w.Code, w.Body.String())
				var got map[string]any
				require.NoError(t, json.Unmarshal(w.Body.Bytes(), &got))
				require.Equal(t, tc.want, got)
				require.Equal(t, "*", w.Header().Get("Access-Control-Allow-Origin"))
			}
		}
	})

	for _, tc := range []struct {
		name   string
		method string
		header string
		body   string
		status int
		error  string
	}{
		{name: "no token", status: 401},
		{name: "Basic", header: "Basic YTpi", status: 400, error: "invalid_request"},
		{name: "an empty Bearer", header: "Bearer ", status: 400, error: "invalid_request"},
		{name: "a forged token", header: "Bearer forged", status: 401, error: "invalid_token"},
		{name: "a hub token, not ours", header: "Bearer ada-token", status: 401, error: "invalid_token"},
		{name: "expired", header: "Bearer " + access("ada-token", "app", all, time.Now().Add(-time.Second)), status: 401, error: "invalid_token"},
		{name: "its client removed", header: "Bearer " + access("ada-token", "gone", all, later), status: 401, error: "invalid_token"},
		{name: "the hub no longer accepts it", header: "Bearer " + access("revoked-token", "app", all, later), status: 401, error: "invalid_token"},
		{name: "the user lost access to the service", header: "Bearer " + access("other-token", "app", all, later), status: 401, error: "invalid_token"},
		{name: "the user is not in the client's groups", header: "Bearer " + access("bob-token", "staff-only", all, later), status: 401, error: "invalid_token"},
		{name: "the hub fails", header: "Bearer " + access("failing-token", "app", all, later), status: 502, error: "server_error"},
		{name: "in the header and the form", method: http.MethodPost, header: "Bearer " + access("ada-token", "app", all, later),
			body: "access_token=" + access("ada-token", "app", all, later), status: 400, error: "invalid_request"},
		{name: "DELETE", method: http.MethodDelete, status: 405, error: "invalid_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			method := tc.method
			if method == "" {
				method = http.MethodGet
			}
			h := http.Header{}
			if tc.header != "" {
				h.Set("Authorization", tc.header)
			}
			w := serve(p, method, "/services/oidc/userinfo", h, tc.body)
			require.Equal(t, tc.status, w.Code, w.Body.String())
			var got map[string]string
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &got))
			require.Equal(t, tc.error, got["error"])
			if tc.status == 401 || tc.status == 400 {
				challenge := w.Header().Get("WWW-Authenticate")
				require.True(t, strings.HasPrefix(challenge, `Bearer realm="`+testIssuer+`"`), challenge)
				if tc.error != "" {
					require.Contains(t, challenge, `error="`+tc.error+`"`)
				} else {
					require.NotContains(t, challenge, "error=", "no error code when no token was sent (RFC 6750 §3.1)")
				}
			}
			require.NotContains(t, w.Body.String(), "-token", "hub tokens are never shown")
		})
	}

	t.Run("CORS preflight", func(t *testing.T) {
		preflight := http.Header{"Access-Control-Request-Method": {"GET"}, "Access-Control-Request-Headers": {"authorization"}}
		w := serve(p, http.MethodOptions, "/services/oidc/userinfo", preflight, "")
		require.Equal(t, http.StatusNoContent, w.Code)
		require.Contains(t, w.Header().Get("Access-Control-Allow-Headers"), "Authorization")
		require.Equal(t, http.StatusMethodNotAllowed, serve(p, http.MethodOptions, "/services/oidc/userinfo", nil, "").Code, "not a preflight")
		require.Equal(t, http.StatusNoContent, serve(p, http.MethodOptions, "/services/oidc/token", preflight, "").Code)
		require.Equal(t, http.StatusMethodNotAllowed, serve(p, http.MethodOptions, "/services/oidc/token", nil, "").Code)
	})
}
