package hubauth

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// echoUser answers with the caller's name, to show the context carries it.
var echoUser = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	_, _ = w.Write([]byte(UserFromContext(r.Context()).Name))
})

func newTestAuth(t testing.TB, cfg Config, logs *bytes.Buffer) *Authenticator {
	t.Helper()
	var opts []Option
	if logs != nil {
		opts = append(opts, WithLogger(slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	}
	a, err := New(cfg, opts...)
	require.NoError(t, err)
	return a
}

type errorBody struct {
	Status  int    `json:"status"`
	Message string `json:"message"`
}

func serve(h http.Handler, r *http.Request) (int, string) {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code, w.Body.String()
}

func TestMiddleware(t *testing.T) {
	hub := newFakeHub(t)
	hub.addUser(adaToken, adaModel)
	hub.addUser(bobToken, bobModel)
	var logs bytes.Buffer
	a := newTestAuth(t, testConfig(hub.apiURL()), &logs)
	h := a.Middleware(echoUser)

	for _, tc := range []struct {
		name    string
		target  string
		header  map[string]string
		status  int
		body    string // exact for 200, substring of the message otherwise
		allowed bool
	}{
		{"token with access", "/", map[string]string{"Authorization": "token " + adaToken}, 200, "ada", true},
		{"bearer", "/", map[string]string{"Authorization": "Bearer " + adaToken}, 200, "ada", true},
		{"no token", "/", nil, 403, "no token", false},
		{"unknown token", "/", map[string]string{"Authorization": "token nope"}, 403, "does not accept this token", false},
		{"junk token", "/", map[string]string{"Authorization": "token \x01\x02"}, 403, "does not accept this token", false},
		{"token in URL refused", "/?token=" + adaToken, nil, 403, "no token", false},
		{"token in URL on websocket", "/?token=" + adaToken, map[string]string{"Sec-Fetch-Mode": "websocket"}, 200, "ada", true},
		{"no access", "/", map[string]string{"Authorization": "token " + bobToken}, 403, "user bob may not use this service", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, tc.target, nil)
			for k, v := range tc.header {
				r.Header.Set(k, v)
			}
			status, body := serve(h, r)
			require.Equal(t, tc.status, status)
			if tc.allowed {
				require.Equal(t, tc.body, body)
				return
			}
			var eb errorBody
			require.NoError(t, json.Unmarshal([]byte(body), &eb), body)
			require.Equal(t, tc.status, eb.Status)
			require.Contains(t, eb.Message, tc.body)
		})
	}
	require.NotContains(t, logs.String(), adaToken, "tokens never appear in logs")
	require.NotContains(t, logs.String(), bobToken, "tokens never appear in logs")
	require.Contains(t, logs.String(), "name=bob")
}

func TestMiddlewareTokenInURLWhenAllowed(t *testing.T) {
	hub := newFakeHub(t)
	hub.addUser(adaToken, adaModel)
	cfg := testConfig(hub.apiURL())
	cfg.AllowTokenInURL = true
	h := newTestAuth(t, cfg, nil).Middleware(echoUser)
	status, body := serve(h, httptest.NewRequest(http.MethodGet, "/?token="+adaToken, nil))
	require.Equal(t, 200, status)
	require.Equal(t, "ada", body)
}

func TestMiddlewareAllowAnyUser(t *testing.T) {
	hub := newFakeHub(t)
	hub.addUser(bobToken, bobModel)
	cfg := testConfig(hub.apiURL())
	cfg.AccessScopes = nil
	cfg.AllowAnyUser = true
	h := newTestAuth(t, cfg, nil).Middleware(echoUser)
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Authorization", "token "+bobToken)
	status, body := serve(h, r)
	require.Equal(t, 200, status)
	require.Equal(t, "bob", body)
}

// A failing hub gets a clear 5xx naming the problem; the next request after
// the hub recovers succeeds (failures are not cached).
func TestMiddlewareHubFailureAndRecovery(t *testing.T) {
	hub := newFakeHub(t)
	hub.addUser(adaToken, adaModel)
	var logs bytes.Buffer
	a := newTestAuth(t, testConfig(hub.apiURL()), &logs)
	h := a.Middleware(echoUser)
	req := func() (int, string) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Authorization", "token "+adaToken)
		return serve(h, r)
	}

	hub.fail(500, `{"status": 500, "message": "boom"}`)
	status, body := req()
	require.Equal(t, http.StatusBadGateway, status)
	require.Contains(t, body, "answered 500 to GET /user: boom")
	require.Contains(t, logs.String(), "JupyterHub API failing")
	require.Contains(t, logs.String(), "answered 500 to GET /user: boom")

	hub.fail(0, "")
	status, body = req()
	require.Equal(t, 200, status)
	require.Equal(t, "ada", body)
	require.NotContains(t, logs.String(), adaToken)
}

// Identify alone never answers; the handler sees why there is no user.
func TestIdentifyLeavesTheAnswerToTheHandler(t *testing.T) {
	hub := newFakeHub(t)
	hub.addUser(bobToken, bobModel)
	a := newTestAuth(t, testConfig(hub.apiURL()), nil)
	var gotUser *User
	var gotErr error
	h := a.Identify(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotUser, gotErr = FromContext(r.Context())
		w.WriteHeader(299)
	}))
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Authorization", "token "+bobToken)
	status, _ := serve(h, r)
	require.Equal(t, 299, status)
	var fe *ForbiddenError
	require.ErrorAs(t, gotErr, &fe)
	require.Equal(t, "bob", gotUser.Name)
	require.Nil(t, UserFromContext(r.Context()))

	_, err := FromContext(r.Context())
	require.ErrorContains(t, err, "not passed through Authenticator.Identify")
}

func TestMiddlewareCachesAnswers(t *testing.T) {
	hub := newFakeHub(t)
	hub.addUser(adaToken, adaModel)
	h := newTestAuth(t, testConfig(hub.apiURL()), nil).Middleware(echoUser)
	for range 5 {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Authorization", "token "+adaToken)
		status, _ := serve(h, r)
		require.Equal(t, 200, status)
	}
	require.EqualValues(t, 1, hub.calls.Load())

	// Another hub session with the same token is asked about afresh.
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Authorization", "token "+adaToken)
	r.AddCookie(&http.Cookie{Name: sessionCookieName, Value: "other-session"})
	status, _ := serve(h, r)
	require.Equal(t, 200, status)
	require.EqualValues(t, 2, hub.calls.Load())
}

// One fresh token on many concurrent requests: one hub call, all answered.
func TestMiddlewareConcurrentFreshToken(t *testing.T) {
	hub := newFakeHub(t)
	hub.addUser(adaToken, adaModel)
	hub.setDelay(100 * time.Millisecond)
	h := newTestAuth(t, testConfig(hub.apiURL()), nil).Middleware(echoUser)
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	for range 100 {
		wg.Go(func() {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header.Set("Authorization", "token "+adaToken)
			status, _ := serve(h, r)
			mu.Lock()
			statuses[status]++
			mu.Unlock()
		})
	}
	wg.Wait()
	require.Equal(t, map[int]int{200: 100}, statuses)
	require.EqualValues(t, 1, hub.calls.Load())
}

// FuzzMiddleware: no Authorization header, query or cookie makes the
// middleware panic or answer with a 5xx while the hub is healthy.
func FuzzMiddleware(f *testing.F) {
	hub := newFakeHub(f)
	hub.addUser(adaToken, adaModel)
	a, err := New(testConfig(hub.apiURL()))
	require.NoError(f, err)
	h := a.Middleware(echoUser)
	f.Add("token "+adaToken, "token=x", sessionCookieName+"=abc")
	f.Add("bearer \x7f", "token=%00%0d%0a", "a=b; ;;")
	f.Add("TOKEN  "+strings.Repeat("a", 2000), "", "")
	f.Fuzz(func(t *testing.T, authz, query, cookie string) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.URL.RawQuery = query
		r.Header["Authorization"] = []string{authz}
		r.Header["Cookie"] = []string{cookie}
		r.Header["Sec-Fetch-Mode"] = []string{"websocket"}
		status, _ := serve(h, r)
		require.Contains(t, []int{200, 403}, status)
	})
}
