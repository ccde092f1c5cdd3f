package oidc

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// nopWriter keeps nothing, so the benchmark measures the provider and not
// httptest's recorder.
type nopWriter struct{ h http.Header }

func (w *nopWriter) Header() http.Header         { return w.h }
func (w *nopWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *nopWriter) WriteHeader(int)             {}

// BenchmarkUserinfoCached is a userinfo request with an access token whose
// hub token the answer cache holds: what make bench loads the provider
// with.
func BenchmarkUserinfoCached(b *testing.B) {
	hub := userinfoHub(&testing.T{})
	defer hub.Close()
	p := newTestProvider(b, hub.URL+"/hub/api")
	tok, err := p.tokens.seal(accessContents{HubToken: "ada-token", Client: "app", Scopes: []string{"openid", "profile", "groups"},
		Expires: time.Now().Add(time.Hour).Unix()})
	if err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, "/services/oidc/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	w := &nopWriter{h: http.Header{}}
	p.ServeHTTP(w, req)
	if w.h.Get("Content-Type") != "application/json" || w.h.Get("WWW-Authenticate") != "" {
		b.Fatalf("not answered: %v", w.h)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		clear(w.h)
		p.ServeHTTP(w, req)
	}
}
