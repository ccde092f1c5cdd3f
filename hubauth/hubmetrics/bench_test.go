package hubmetrics

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hubauth-go/whoami/hubauth"
)

// nopWriter keeps nothing, so the numbers are the middleware's.
type nopWriter struct {
	h      http.Header
	status int
}

func (w *nopWriter) Header() http.Header         { return w.h }
func (w *nopWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *nopWriter) WriteHeader(s int)           { w.status = s }

// BenchmarkMiddlewareCached is a cached token's request through the
// middleware without an Observer and with the Prometheus one: what
// counting a request and a cache hit costs.
//
//	go test -run XXX -bench . -benchmem ./hubauth/hubmetrics/
func BenchmarkMiddlewareCached(b *testing.B) {
	hub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(models[adaToken]))
	}))
	defer hub.Close()
	m, err := New(prometheus.NewRegistry())
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		opts []hubauth.Option
	}{
		{"observer=none", nil},
		{"observer=prometheus", []hubauth.Option{hubauth.WithObserver(m.Observer())}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			a, err := hubauth.New(config(hub.URL+"/hub/api"), tc.opts...)
			if err != nil {
				b.Fatal(err)
			}
			h := a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
			r := httptest.NewRequest(http.MethodGet, "/services/whoami/", nil)
			r.Header.Set("Authorization", "token "+adaToken)
			w := &nopWriter{h: http.Header{}}
			h.ServeHTTP(w, r)
			if w.status != 0 {
				b.Fatalf("warm-up: status %d", w.status)
			}
			b.ReportAllocs()
			for b.Loop() {
				h.ServeHTTP(w, r)
			}
			if w.status != 0 {
				b.Fatalf("status %d", w.status)
			}
		})
	}
}
