package hubproxy

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// captureTransport is an app that answers 200 in memory and keeps the
// request it was sent.
type captureTransport struct {
	mu  sync.Mutex
	out *http.Request
}

func (c *captureTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.out = r
	c.mu.Unlock()
	return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("ok")), Request: r}, nil
}

// FuzzRewrite sends the proxy requests with hostile headers, queries,
// paths and cookies, and checks that none of it reaches the app unfiltered
// and none of it makes the proxy fail.
func FuzzRewrite(f *testing.F) {
	f.Add("X-Forwarded-User", "admin", "token=abc&a=1", "_xsrf=1; service-app=x; keep=1", "page", "token")
	f.Add("x_forwarded_groups", "admins", "tok%65n=abc", "service-app-oauth-state-zz=1", "a%2Fb", "bearer")
	f.Add("X-Auth-Request-Email", "a@b", "a=%zz;token=x", " jupyterhub-session-id =1;;=;", "..%2F..", "Token")
	f.Add("Authorization", "Bearer abc", "token", "service-app", "", "BEARER")
	f.Add("Forwarded", "for=1.2.3.4", "%74oken=1&TOKEN=2", "a=b=c", "%00", "basic")

	auth := testAuth(f)
	tr := &captureTransport{}
	p, err := New(auth, Options{
		Upstream:       &url.URL{Scheme: "http", Host: "127.0.0.1:9"},
		StripPrefix:    true,
		TrustForwarded: true,
		PassHost:       true,
		Transport:      tr,
	})
	if err != nil {
		f.Fatal(err)
	}
	h := auth.Middleware(p)

	f.Fuzz(func(t *testing.T, name, value, query, cookie, path, scheme string) {
		req := &http.Request{
			Method:     "GET",
			URL:        &url.URL{Path: "/services/app/" + path, RawQuery: query},
			Proto:      "HTTP/1.1",
			ProtoMajor: 1, ProtoMinor: 1,
			Header:     http.Header{},
			Host:       "hub.example.org",
			RemoteAddr: "192.0.2.1:1234",
		}
		req = req.WithContext(context.Background())
		if name != "" {
			req.Header[name] = append(req.Header[name], value)
		}
		req.Header.Add("Authorization", "token "+adaToken)
		req.Header.Add("Authorization", scheme+" "+adaToken)
		req.Header.Add("Cookie", cookie)
		tr.mu.Lock()
		tr.out = nil
		tr.mu.Unlock()

		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d for hostile input: %s", rec.Code, rec.Body)
		}
		tr.mu.Lock()
		out := tr.out
		tr.mu.Unlock()
		if rec.Code != 200 || out == nil {
			return // refused before the app, which is fine
		}
		if got := out.Header.Values(HeaderUser); len(got) != 1 || got[0] != "ada" {
			t.Fatalf("X-Forwarded-User reached the app as %q", got)
		}
		allowed := map[string]bool{"x-forwarded-user": true, "x-forwarded-groups": true, "x-forwarded-for": true,
			"x-forwarded-proto": true, "x-forwarded-host": true, "x-forwarded-prefix": true}
		for k, vs := range out.Header {
			if forgeable(k) && !allowed[strings.ToLower(k)] {
				t.Fatalf("forgeable header %q=%q reached the app", k, vs)
			}
			if forgeable(k) && k != http.CanonicalHeaderKey(k) {
				t.Fatalf("a second spelling of %q reached the app", k)
			}
		}
		if v := out.Header.Get("X-Forwarded-Proto"); v != "http" && v != "https" {
			t.Fatalf("X-Forwarded-Proto %q", v)
		}
		if v := out.Header.Get("X-Forwarded-Host"); v != "hub.example.org" || out.Host != "hub.example.org" {
			t.Fatalf("the app was told the host is %q (Host %q), not the one the request came with", v, out.Host)
		}
		for _, v := range out.Header.Values("Authorization") {
			if isHubAuthorization(v) {
				t.Fatalf("a hub token reached the app: %q", v)
			}
		}
		q, _ := url.ParseQuery(out.URL.RawQuery)
		if q.Has("token") {
			t.Fatalf("?token= reached the app: %q", out.URL.RawQuery)
		}
		for _, c := range out.Header.Values("Cookie") {
			for _, part := range strings.Split(c, ";") {
				n, _, _ := strings.Cut(part, "=")
				if auth.IsHubCookie(strings.TrimSpace(n)) {
					t.Fatalf("hub cookie reached the app: %q", c)
				}
			}
		}
		for _, r := range out.Cookies() {
			if auth.IsHubCookie(r.Name) {
				t.Fatalf("hub cookie %q reached the app as parsed by net/http", r.Name)
			}
		}
	})
}

// FuzzIngressAuth: whatever an ingress (or whoever reaches its listener)
// says the browser's method and host were, the answer is a 4xx or a 202,
// never a 5xx or a panic.
func FuzzIngressAuth(f *testing.F) {
	f.Add("POST", "app.example.org", "token")
	f.Add("p o s t", "a b", "bearer")
	f.Add("", "", "")
	f.Add("GET\r\nX: y", "[::1]:80", "Token")
	auth := testAuth(f)
	p, err := New(auth, Options{Upstream: &url.URL{Scheme: "http", Host: "127.0.0.1:9"}, PassAccessToken: true})
	if err != nil {
		f.Fatal(err)
	}
	h := p.IngressAuth(auth.Identify)
	f.Fuzz(func(t *testing.T, method, host, scheme string) {
		req := httptest.NewRequest("GET", "http://127.0.0.1:4181/auth", nil)
		req.Header["X-Original-Method"] = []string{method}
		req.Header["X-Forwarded-Host"] = []string{host}
		req.Header.Set("Authorization", scheme+" "+adaToken)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 || (rec.Code != 202 && rec.Code/100 != 4) {
			t.Fatalf("status %d for method %q host %q: %s", rec.Code, method, host, rec.Body)
		}
		if rec.Code != 202 && rec.Header().Get(HeaderAccessToken) != "" {
			t.Fatalf("a refusal carries the token")
		}
	})
}
