package hubauth

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeHub stands in for the hub's GET /hub/api/user in unit tests, for the
// error paths a real hub cannot be made to produce. The integration tests
// run the real one.
type fakeHub struct {
	*httptest.Server
	calls atomic.Int64

	mu     sync.Mutex
	models map[string]string // token -> JSON model
	status int               // when non-zero, answer this instead
	body   string
	delay  time.Duration
	gate   chan struct{} // when set, requests wait for it to close
	// token answers POST /hub/api/oauth2/token when set.
	token http.HandlerFunc
}

func newFakeHub(t testing.TB) *fakeHub {
	h := &fakeHub{models: map[string]string{}}
	h.Server = httptest.NewServer(http.HandlerFunc(h.serve))
	t.Cleanup(h.Close)
	return h
}

func (h *fakeHub) serve(w http.ResponseWriter, r *http.Request) {
	h.calls.Add(1)
	h.mu.Lock()
	status, body, delay, gate := h.status, h.body, h.delay, h.gate
	model, ok := h.models[strings.TrimPrefix(r.Header.Get("Authorization"), "token ")]
	h.mu.Unlock()
	if gate != nil {
		<-gate
	}
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	if r.URL.Path == "/hub/api/oauth2/token" && h.token != nil {
		h.token(w, r)
		return
	}
	if r.URL.Path != "/hub/api/user" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	switch {
	case status != 0:
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	case !ok:
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(`{"status": 403, "message": null}`))
	default:
		_, _ = w.Write([]byte(model))
	}
}

func (h *fakeHub) addUser(token, model string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.models[token] = model
}

func (h *fakeHub) fail(status int, body string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.status, h.body = status, body
}

func (h *fakeHub) setDelay(d time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.delay = d
}

func (h *fakeHub) apiURL() string { return h.URL + "/hub/api" }

// testConfig is a valid configuration for a service named whoami talking
// to apiURL.
func testConfig(apiURL string) Config {
	return Config{
		APIURL:        apiURL,
		APIToken:      "service-token",
		ServiceName:   "whoami",
		ServicePrefix: "/services/whoami/",
		BaseURL:       "/",
		HubPrefix:     "/hub/",
		AccessScopes:  []string{"access:services!service=whoami"},
		CacheMaxAge:   DefaultCacheMaxAge,
		CacheSize:     DefaultCacheSize,
		HubTimeout:    2 * time.Second,
	}
}

const (
	adaToken = "0123456789abcdef0123456789abcdef"
	adaModel = `{"kind": "user", "name": "ada", "admin": false, "groups": ["g"], ` +
		`"scopes": ["access:services!service=whoami", "read:users:name!user=ada"], ` +
		`"session_id": null, "servers": {}, "created": "2026-01-01T00:00:00Z", "future_field": {"x": [1, 2.5]}}`
	bobToken = "fedcba9876543210fedcba9876543210"
	bobModel = `{"kind": "user", "name": "bob", "admin": false, "groups": [], "scopes": ["access:services!service=other"]}`
)
