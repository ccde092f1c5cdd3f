package oidc

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// sealCode makes the code the callback would have given.
func sealCode(t *testing.T, p *Provider, cc codeContents) string {
	t.Helper()
	code, err := p.codes.seal(cc)
	require.NoError(t, err)
	return code
}

func basic(id, secret string) http.Header {
	return http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))}}
}

// Token requests refused before the hub is asked: each answered as RFC
// 6749 §5.2 says, as JSON, never cached.
func TestTokenRequests(t *testing.T) {
	p := newTestProvider(t, unreachableHub)
	verifier := strings.Repeat("v", 43)
	appCode := sealCode(t, p, codeContents{HubCode: "h", Client: "app", RedirectURI: "https://app.example.org/cb", Challenge: s256(verifier), Scopes: []string{"openid"}})
	plainCode := sealCode(t, p, codeContents{HubCode: "h", Client: "app", RedirectURI: "https://app.example.org/cb", Scopes: []string{"openid"}})
	spaCode := sealCode(t, p, codeContents{HubCode: "h", Client: "spa", RedirectURI: "https://spa.example.org/cb", Challenge: s256(verifier), Scopes: []string{"openid"}})
	form := func(kv ...string) string {
		q := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			q.Add(kv[i], kv[i+1])
		}
		return q.Encode()
	}
	exchange := func(code string, extra ...string) string {
		return form(append([]string{"grant_type", "authorization_code", "code", code, "redirect_uri", "https://app.example.org/cb"}, extra...)...)
	}
	for _, tc := range []struct {
		name   string
		method string
		header http.Header
		body   string
		status int
		error  string
	}{
		{name: "GET", method: http.MethodGet, status: 405, error: "invalid_request"},
		{name: "not a form", header: http.Header{"Content-Type": {"application/json"}}, body: `{"grant_type": "authorization_code"}`, status: 400, error: "invalid_request"},
		{name: "a body too large", body: "code=" + strings.Repeat("x", maxFormBody), status: 400, error: "invalid_request"},
		{name: "no grant_type", body: form("code", "x"), status: 400, error: "invalid_request"},
		{name: "refresh_token grant", body: form("grant_type", "refresh_token"), status: 400, error: "unsupported_grant_type"},
		{name: "a parameter twice", body: form("grant_type", "authorization_code", "code", "a", "code", "b"), status: 400, error: "invalid_request"},
		{name: "no client", body: exchange(appCode), status: 401, error: "invalid_client"},
		{name: "unknown client", header: basic("nobody", "x"), body: exchange(appCode), status: 401, error: "invalid_client"},
		{name: "wrong secret", header: basic("app", "wrong"), body: exchange(appCode), status: 401, error: "invalid_client"},
		{name: "no secret for a confidential client", body: exchange(appCode, "client_id", "app"), status: 401, error: "invalid_client"},
		{name: "a secret for a public client", body: exchange(spaCode, "client_id", "spa", "client_secret", "x"), status: 401, error: "invalid_client"},
		{name: "Basic that is not base64", header: http.Header{"Authorization": {"Basic !!!"}}, body: exchange(appCode), status: 401, error: "invalid_client"},
		{name: "Bearer instead of Basic", header: http.Header{"Authorization": {"Bearer x"}}, body: exchange(appCode), status: 401, error: "invalid_client"},
		{name: "two ways to authenticate", header: basic("app", "app-secret"), body: exchange(appCode, "client_secret", "app-secret"), status: 400, error: "invalid_request"},
		{name: "Basic and another client_id", header: basic("app", "app-secret"), body: exchange(appCode, "client_id", "spa"), status: 400, error: "invalid_request"},
		{name: "no code", header: basic("app", "app-secret"), body: form("grant_type", "authorization_code"), status: 400, error: "invalid_request"},
		{name: "a forged code", header: basic("app", "app-secret"), body: exchange("forged", "code_verifier", verifier), status: 400, error: "invalid_grant"},
		{name: "another client's code", header: basic("app", "app-secret"), body: exchange(spaCode, "code_verifier", verifier), status: 400, error: "invalid_grant"},
		{name: "another redirect_uri", header: basic("app", "app-secret"),
			body: form("grant_type", "authorization_code", "code", appCode, "redirect_uri", "https://app.example.org/other", "code_verifier", verifier), status: 400, error: "invalid_grant"},
		{name: "no redirect_uri", header: basic("app", "app-secret"), body: form("grant_type", "authorization_code", "code", appCode, "code_verifier", verifier), status: 400, error: "invalid_grant"},
		{name: "no verifier", header: basic("app", "app-secret"), body: exchange(appCode), status: 400, error: "invalid_grant"},
		{name: "a wrong verifier", header: basic("app", "app-secret"), body: exchange(appCode, "code_verifier", strings.Repeat("w", 43)), status: 400, error: "invalid_grant"},
		{name: "a malformed verifier", header: basic("app", "app-secret"), body: exchange(appCode, "code_verifier", "short"), status: 400, error: "invalid_grant"},
		{name: "a verifier for a code without PKCE", header: basic("app", "app-secret"), body: exchange(plainCode, "code_verifier", verifier), status: 400, error: "invalid_grant"},
		{name: "client_secret_post, checks passed: the hub is asked, and is down", body: exchange(appCode, "client_id", "app", "client_secret", "app-secret", "code_verifier", verifier),
			status: 503, error: "temporarily_unavailable"},
		{name: "Basic, form-urlencoded parts", header: basic("app", url.QueryEscape("app-secret")), body: exchange(appCode, "code_verifier", verifier),
			status: 503, error: "temporarily_unavailable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			method := tc.method
			if method == "" {
				method = http.MethodPost
			}
			r := httptest.NewRequest(method, "/services/oidc/token", strings.NewReader(tc.body))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range tc.header {
				r.Header[k] = v
			}
			w := httptest.NewRecorder()
			p.ServeHTTP(w, r)
			require.Equal(t, tc.status, w.Code, w.Body.String())
			require.Equal(t, "application/json", w.Header().Get("Content-Type"))
			require.Equal(t, "no-store", w.Header().Get("Cache-Control"))
			var answer map[string]string
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &answer))
			require.Equal(t, tc.error, answer["error"])
			require.NotEmpty(t, answer["error_description"])
			if tc.status == 401 {
				require.Contains(t, w.Header().Get("WWW-Authenticate"), "Basic realm=")
			}
			if tc.status == 503 {
				require.Contains(t, answer["error_description"], unreachableHub, "names the hub")
			}
			require.NotContains(t, w.Body.String(), "app-secret")
		})
	}
}

// A code older than its lifetime is refused like a forged one (with a
// lifetime of one second here, to keep the test short).
func TestTokenCodeExpires(t *testing.T) {
	p := newTestProvider(t, unreachableHub)
	short, err := newSealer(hubConfig(unreachableHub), "oidc-code", time.Second)
	require.NoError(t, err)
	p.codes = short
	code := sealCode(t, p, codeContents{HubCode: "h", Client: "app", RedirectURI: "https://app.example.org/cb"})
	body := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {"https://app.example.org/cb"}}.Encode()
	w := serve(p, http.MethodPost, "/services/oidc/token", basic("app", "app-secret"), body)
	require.Equal(t, http.StatusServiceUnavailable, w.Code, "fresh: on to the (unreachable) hub")
	time.Sleep(2100 * time.Millisecond)
	w = serve(p, http.MethodPost, "/services/oidc/token", basic("app", "app-secret"), body)
	require.Equal(t, http.StatusBadRequest, w.Code)
	require.Contains(t, w.Body.String(), `"error":"invalid_grant"`)
}
