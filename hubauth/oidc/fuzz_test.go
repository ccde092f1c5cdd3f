package oidc

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// The fuzz targets send what a client or a browser could: any query, any
// form, any header, to the endpoints that read them. Whatever comes, the
// answer is a redirect to the hub's login or to a registered redirect URI,
// or a 4xx: never a 5xx, never a panic. The provider's hub is one that
// never answers, and it is never asked: no fuzzed input can forge a sealed
// code or token.
//
//	go test -fuzz=FuzzAuthorizeRequest ./hubauth/oidc/
//	go test -fuzz=FuzzTokenRequest ./hubauth/oidc/
//	go test -fuzz=FuzzUserinfoRequest ./hubauth/oidc/
//	go test -fuzz=FuzzLogoutRequest ./hubauth/oidc/

func FuzzAuthorizeRequest(f *testing.F) {
	good := goodAuthorize()
	f.Add(http.MethodGet, good.Encode(), "")
	f.Add(http.MethodPost, "", good.Encode())
	f.Add(http.MethodGet, with(good, "code_challenge_method", "plain").Encode(), "")
	f.Add(http.MethodGet, "client_id=app&redirect_uri=https%3A%2F%2Fapp.example.org%2Fcb&client_id=spa", "")
	f.Add(http.MethodGet, "client_id=%zz&redirect_uri=;;", "")
	f.Add(http.MethodPost, "", "client_id=spa&redirect_uri=https%3A%2F%2Fspa.example.org%2Fcb&response_type=code&scope=openid&prompt=none")
	f.Add(http.MethodGet, with(good, "state", strings.Repeat("\x00", 600)).Encode(), "")
	p := newTestProvider(f, unreachableHub)
	registered := []string{"https://app.example.org/cb", "https://spa.example.org/cb", "https://staff.example.org/cb"}
	f.Fuzz(func(t *testing.T, method, query, body string) {
		r, err := http.NewRequest(method, "/services/oidc/authorize", strings.NewReader(body))
		if err != nil {
			return // not a request net/http would serve
		}
		r.URL.RawQuery = query
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		p.ServeHTTP(w, r)
		switch {
		case w.Code == http.StatusFound:
			loc, err := url.Parse(w.Header().Get("Location"))
			if err != nil {
				t.Fatalf("unreadable Location %q", w.Header().Get("Location"))
			}
			to := loc.Scheme + "://" + loc.Host + loc.Path
			if loc.Path != "/hub/api/oauth2/authorize" && !slices.Contains(registered, to) {
				t.Fatalf("redirect to %s, neither the hub nor a registered URI", loc)
			}
		case w.Code < 400 || w.Code >= 500:
			t.Fatalf("%s %q %q: status %d: %s", method, query, body, w.Code, w.Body)
		}
	})
}

func FuzzTokenRequest(f *testing.F) {
	f.Add("", "grant_type=authorization_code&code=x&redirect_uri=https%3A%2F%2Fapp.example.org%2Fcb&client_id=app&client_secret=app-secret")
	f.Add("Basic YXBwOmFwcC1zZWNyZXQ=", "grant_type=authorization_code&code=x")
	f.Add("Basic YXBwOmFwcC1zZWNyZXQ=", "grant_type=authorization_code&code=MTc5NjY2MTM0MnxkYXRhfG1hYw==&code_verifier="+strings.Repeat("v", 43))
	f.Add("Basic !!", "grant_type=refresh_token&refresh_token=x")
	f.Add("basic "+strings.Repeat("A", 100), "grant_type=authorization_code&grant_type=x")
	f.Add("", "client_id=spa&grant_type=authorization_code&code=%zz")
	p := newTestProvider(f, unreachableHub)
	f.Fuzz(func(t *testing.T, authorization, body string) {
		r := httptest.NewRequest(http.MethodPost, "/services/oidc/token", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if authorization != "" {
			r.Header["Authorization"] = []string{authorization}
		}
		w := httptest.NewRecorder()
		p.ServeHTTP(w, r)
		if w.Code < 400 || w.Code >= 500 {
			t.Fatalf("%q %q: status %d: %s", authorization, body, w.Code, w.Body)
		}
		if strings.Contains(w.Body.String(), "app-secret") {
			t.Fatalf("the answer repeats a secret: %s", w.Body)
		}
	})
}

func FuzzUserinfoRequest(f *testing.F) {
	f.Add(http.MethodGet, "Bearer x", "")
	f.Add(http.MethodPost, "", "access_token=x")
	f.Add(http.MethodPost, "Bearer a", "access_token=b")
	f.Add(http.MethodGet, "Bearer MTc5NjY2MTM0MnxkYXRhfG1hYw==", "")
	p := newTestProvider(f, unreachableHub)
	f.Fuzz(func(t *testing.T, method, authorization, body string) {
		r, err := http.NewRequest(method, "/services/oidc/userinfo", strings.NewReader(body))
		if err != nil {
			return
		}
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if authorization != "" {
			r.Header["Authorization"] = []string{authorization}
		}
		w := httptest.NewRecorder()
		p.ServeHTTP(w, r)
		if w.Code != http.StatusNoContent && (w.Code < 400 || w.Code >= 500) {
			t.Fatalf("%s %q %q: status %d: %s", method, authorization, body, w.Code, w.Body)
		}
	})
}

func FuzzLogoutRequest(f *testing.F) {
	f.Add("client_id=app&post_logout_redirect_uri=https%3A%2F%2Fapp.example.org%2Fbye&state=s")
	f.Add("id_token_hint=eyJhbGciOiJFUzI1NiJ9.e30.sig&post_logout_redirect_uri=x")
	f.Add("client_id=app&client_id=spa")
	f.Add("id_token_hint=%zz")
	p := newTestProvider(f, unreachableHub)
	f.Fuzz(func(t *testing.T, query string) {
		r := httptest.NewRequest(http.MethodGet, "/services/oidc/logout", nil)
		r.URL.RawQuery = query
		w := httptest.NewRecorder()
		p.ServeHTTP(w, r)
		switch {
		case w.Code == http.StatusFound && w.Header().Get("Location") != "/hub/logout":
			t.Fatalf("%q: redirect to %s", query, w.Header().Get("Location"))
		case w.Code == http.StatusOK && !strings.Contains(w.Body.String(), `data-next="https://app.example.org/bye`):
			t.Fatalf("%q: a logout page to elsewhere: %s", query, w.Body)
		case w.Code >= 500 || (w.Code > 302 && w.Code < 400):
			t.Fatalf("%q: status %d", query, w.Code)
		}
	})
}
