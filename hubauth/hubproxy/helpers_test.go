package hubproxy

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hubauth-go/whoami/hubauth"
)

// Tokens the fake hub knows.
const (
	adaToken = "ada-token-0123456789abcdef"
	bobToken = "bob-token-0123456789abcdef" // a hub user without the access scope
)

// fakeHub answers GET /user as the hub's API does, for the two tokens.
// Real-hub tests are in ../../integration; this covers what the proxy
// does with an answer.
func fakeHub(t testing.TB) *httptest.Server {
	t.Helper()
	models := map[string]map[string]any{
		adaToken: {"kind": "user", "name": "ada", "admin": false, "groups": []string{"staff", "ünï"},
			"scopes": []string{"access:services!service=app", "read:users:name!user=ada"}},
		bobToken: {"kind": "user", "name": "bob", "groups": []string{}, "scopes": []string{"read:users:name!user=bob"}},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "token ")
		m, ok := models[tok]
		if r.URL.Path != "/hub/api/user" || !ok {
			w.WriteHeader(http.StatusForbidden)
			_, _ = io.WriteString(w, `{"status": 403, "message": "no"}`)
			return
		}
		_ = json.NewEncoder(w).Encode(m)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func testAuth(t testing.TB) *hubauth.Authenticator {
	t.Helper()
	hub := fakeHub(t)
	a, err := hubauth.New(hubauth.Config{
		APIURL:        hub.URL + "/hub/api",
		APIToken:      "service-token",
		ServiceName:   "app",
		ClientID:      "service-app",
		ServicePrefix: "/services/app/",
		BaseURL:       "/",
		HubPrefix:     "/hub/",
		AccessScopes:  []string{"access:services!service=app"},
		CacheMaxAge:   time.Minute,
		CacheSize:     100,
		HubTimeout:    5 * time.Second,
	})
	require.NoError(t, err)
	return a
}

// seen is what the upstream received.
type seen struct {
	Method string
	Path   string
	Raw    string // RawPath as received, or ""
	Query  string
	Host   string
	Header http.Header
	Body   string
}

// recordingUpstream is an app that records every request it gets.
type recordingUpstream struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []seen
}

func newUpstream(t testing.TB) *recordingUpstream {
	t.Helper()
	u := &recordingUpstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		u.mu.Lock()
		u.reqs = append(u.reqs, seen{r.Method, r.URL.Path, r.URL.RawPath, r.URL.RawQuery, r.Host, r.Header.Clone(), string(body)})
		u.mu.Unlock()
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "app page")
	}))
	t.Cleanup(u.Close)
	return u
}

func (u *recordingUpstream) last(t testing.TB) seen {
	t.Helper()
	u.mu.Lock()
	defer u.mu.Unlock()
	require.NotEmpty(t, u.reqs, "the upstream saw no request")
	return u.reqs[len(u.reqs)-1]
}

func (u *recordingUpstream) count() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.reqs)
}

func (u *recordingUpstream) url(t testing.TB) *url.URL {
	t.Helper()
	p, err := url.Parse(u.URL)
	require.NoError(t, err)
	return p
}
