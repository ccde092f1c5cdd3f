package hubproxy

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkProxy is one cached-token request through the middleware and
// the proxy to an app on loopback, as a browser's or a client's request
// goes once the hub's answer is cached.
func BenchmarkProxy(b *testing.B) {
	up := newUpstream(b)
	auth := testAuth(b)
	p, err := New(auth, Options{Upstream: up.url(b), StripPrefix: true, TrustForwarded: true})
	if err != nil {
		b.Fatal(err)
	}
	front := httptest.NewServer(auth.Middleware(p))
	defer front.Close()
	client := front.Client()
	req, _ := http.NewRequest("GET", front.URL+"/services/app/page?x=1", nil)
	req.Header.Set("Authorization", "token "+adaToken)
	req.Header.Set("Cookie", "app=1; _xsrf=2")
	b.ReportAllocs()
	for b.Loop() {
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatal(resp.Status)
		}
	}
}
