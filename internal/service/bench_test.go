package service

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/hubauth-go/whoami/hubauth"
	"github.com/hubauth-go/whoami/internal/whoami"
)

// nopWriter is a ResponseWriter that keeps nothing, so the benchmark
// measures the service and not httptest's recorder.
type nopWriter struct{ h http.Header }

func (w *nopWriter) Header() http.Header         { return w.h }
func (w *nopWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *nopWriter) WriteHeader(int)             {}

// BenchmarkServiceCached is whoami-api's whole handler chain (access log to
// a real file, prefix routing, hubauth, the answer) on a token the cache
// already holds: the path the make bench cached-token runs take.
func BenchmarkServiceCached(b *testing.B) {
	model := `{"kind": "user", "name": "ada", "admin": false, "groups": ["whoami"], "scopes": ["access:services!service=whoami", "read:users:groups!user=ada", "read:users:name!user=ada"], "session_id": null, "token_id": "a3", "user_info": null, "created": "2026-11-23T00:00:00Z", "last_activity": "2026-11-23T00:00:00Z", "pending": null, "server": null, "servers": {}, "roles": ["user"]}`
	hub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(model))
	}))
	defer hub.Close()
	auth, err := hubauth.New(hubauth.Config{
		APIURL: hub.URL + "/hub/api", APIToken: "t", ServicePrefix: "/services/whoami/", BaseURL: "/",
		AccessScopes: []string{"access:services!service=whoami"},
		CacheMaxAge:  time.Hour, CacheSize: 100, HubTimeout: time.Second,
	})
	if err != nil {
		b.Fatal(err)
	}
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer devnull.Close()
	logger := slog.New(slog.NewTextHandler(devnull, nil))
	h := accessLog(logger, hubauth.UnderPrefix("/services/whoami/", auth.Middleware(whoami.Handler())))
	req := httptest.NewRequest("GET", "/services/whoami/", nil)
	req.Header.Set("Authorization", "token 0123456789abcdef0123456789abcdef")
	w := &nopWriter{h: http.Header{}}
	h.ServeHTTP(w, req)
	if w.h.Get("Content-Type") != "application/json" {
		b.Fatalf("not answered: %v", w.h)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		clear(w.h)
		h.ServeHTTP(w, req)
	}
}
