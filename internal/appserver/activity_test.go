package appserver

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

type report struct {
	at    time.Time
	auth  string
	ctype string
	body  map[string]any
}

// fakeActivityHub records the reports it gets, as the hub's
// POST /users/NAME/activity would receive them.
func fakeActivityHub(t *testing.T, status int) (*httptest.Server, func() []report) {
	var mu sync.Mutex
	var got []report
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var body map[string]any
		require.NoError(t, json.Unmarshal(raw, &body))
		mu.Lock()
		got = append(got, report{time.Now(), r.Header.Get("Authorization"), r.Header.Get("Content-Type"), body})
		mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []report {
		mu.Lock()
		defer mu.Unlock()
		return append([]report(nil), got...)
	}
}

func TestActivityReports(t *testing.T) {
	hub, reports := fakeActivityHub(t, http.StatusOK)
	interval := 300 * time.Millisecond
	a := NewActivity(ActivityConfig{URL: hub.URL + "/hub/api/users/ada/activity", Token: "server-token", ServerName: "", Interval: interval},
		nil, slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go a.Run(ctx)

	time.Sleep(100 * time.Millisecond)
	require.Empty(t, reports(), "no requests, no reports")

	start := time.Now()
	for range 50 {
		a.Touch()
		time.Sleep(10 * time.Millisecond)
	}
	last := time.Now()
	burst := last.Sub(start)
	time.Sleep(2 * interval)
	rs := reports()
	require.GreaterOrEqual(t, len(rs), 2)
	require.LessOrEqual(t, len(rs), 2+int(burst/interval), "at most one report per interval during %s of requests", burst)
	require.Less(t, rs[0].at.Sub(start), interval/2, "the first request is reported at once")
	for i := 1; i < len(rs); i++ {
		// Measured on arrival, so allow the jitter of two deliveries.
		require.GreaterOrEqual(t, rs[i].at.Sub(rs[i-1].at), interval-25*time.Millisecond, "at most one report per interval")
	}
	time.Sleep(2 * interval)
	require.Len(t, reports(), len(rs), "no requests, no more reports")

	r := rs[len(rs)-1]
	require.Equal(t, "token server-token", r.auth)
	require.Equal(t, "application/json", r.ctype)
	ts, ok := r.body["last_activity"].(string)
	require.True(t, ok, "%v", r.body)
	when, err := time.Parse(time.RFC3339Nano, ts)
	require.NoError(t, err)
	require.WithinDuration(t, last, when, 100*time.Millisecond, "the latest request's time")
	require.Equal(t, map[string]any{"": map[string]any{"last_activity": ts}}, r.body["servers"])
	require.EqualValues(t, len(rs), a.Posted())
}

func TestActivityWithoutURL(t *testing.T) {
	a := NewActivity(ActivityConfig{}, nil, slog.New(slog.DiscardHandler))
	done := make(chan struct{})
	go func() { a.Run(context.Background()); close(done) }()
	a.Touch()
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatal("Run without a URL should return at once")
	}
}

func TestActivityHubRefuses(t *testing.T) {
	hub, reports := fakeActivityHub(t, http.StatusForbidden)
	a := NewActivity(ActivityConfig{URL: hub.URL, Token: "t", Interval: 50 * time.Millisecond}, nil, slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go a.Run(ctx)
	a.Touch()
	require.Eventually(t, func() bool { return len(reports()) == 1 }, 2*time.Second, 10*time.Millisecond)
	require.Zero(t, a.Posted(), "a refused report is not counted")
}

func TestActivityFromEnv(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want ActivityConfig
		err  string
	}{
		{"a service: nothing to report", map[string]string{"JUPYTERHUB_API_TOKEN": "t"}, ActivityConfig{Token: "t", Interval: DefaultActivityInterval}, ""},
		{"a user's server", map[string]string{"JUPYTERHUB_API_TOKEN": "t", "JUPYTERHUB_ACTIVITY_URL": "http://127.0.0.1:8081/hub/api/users/ada/activity",
			"JUPYTERHUB_SERVER_NAME": "lab", "JUPYTERHUB_ACTIVITY_INTERVAL": "1.5"},
			ActivityConfig{URL: "http://127.0.0.1:8081/hub/api/users/ada/activity", Token: "t", ServerName: "lab", Interval: 1500 * time.Millisecond}, ""},
		{"bad values", map[string]string{"JUPYTERHUB_ACTIVITY_URL": "hub:8081", "JUPYTERHUB_ACTIVITY_INTERVAL": "-1"}, ActivityConfig{},
			"JUPYTERHUB_ACTIVITY_URL: want an http(s) URL"},
		{"bad interval", map[string]string{"JUPYTERHUB_ACTIVITY_INTERVAL": "often"}, ActivityConfig{}, "JUPYTERHUB_ACTIVITY_INTERVAL: want a positive number of seconds"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ActivityFromEnv(func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok })
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

// A report the hub fails is tried again with backoff until it takes one;
// the URL's password never reaches the log.
func TestActivityRetriesWithBackoff(t *testing.T) {
	var mu sync.Mutex
	var calls []time.Time
	hub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls = append(calls, time.Now())
		n := len(calls)
		mu.Unlock()
		if n < 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(hub.Close)
	var logs syncBuffer
	u := strings.Replace(hub.URL, "http://", "http://activity-user:s3cret-pw@", 1)
	a := NewActivity(ActivityConfig{URL: u + "/hub/api/users/ada/activity", Token: "t", Interval: time.Hour},
		nil, slog.New(slog.NewTextHandler(&logs, nil)))
	a.retry = backoff{first: 50 * time.Millisecond, most: 100 * time.Millisecond, total: 10 * time.Second}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go a.Run(ctx)
	a.Touch()
	require.Eventually(t, func() bool { return a.Posted() == 1 }, 10*time.Second, 10*time.Millisecond)
	mu.Lock()
	require.Len(t, calls, 3, "two failures, then the report")
	require.GreaterOrEqual(t, calls[1].Sub(calls[0]), 40*time.Millisecond, "it waited before trying again")
	require.GreaterOrEqual(t, calls[2].Sub(calls[1]), 80*time.Millisecond, "longer the second time")
	mu.Unlock()
	require.Contains(t, logs.String(), "trying again")
	require.Contains(t, logs.String(), "activity-user")
	require.NotContains(t, logs.String(), "s3cret-pw")

	_, err := ActivityFromEnv(func(k string) (string, bool) {
		return map[string]string{"JUPYTERHUB_ACTIVITY_URL": "ftp://u:s3cret-pw@hub/x"}[k], true
	})
	require.ErrorContains(t, err, "JUPYTERHUB_ACTIVITY_URL")
	require.NotContains(t, err.Error(), "s3cret-pw")
}

// A hub that keeps failing is given up on after the backoff's total, until
// the next request.
func TestActivityGivesUp(t *testing.T) {
	hub, reports := fakeActivityHub(t, http.StatusBadGateway)
	a := NewActivity(ActivityConfig{URL: hub.URL, Token: "t", Interval: time.Millisecond}, nil, slog.New(slog.DiscardHandler))
	a.retry = backoff{first: 20 * time.Millisecond, most: 20 * time.Millisecond, total: 100 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go a.Run(ctx)
	a.Touch()
	time.Sleep(500 * time.Millisecond)
	n := len(reports())
	require.GreaterOrEqual(t, n, 3)
	require.LessOrEqual(t, n, 7, "bounded by the total")
	time.Sleep(200 * time.Millisecond)
	require.Len(t, reports(), n, "no more tries without a new request")
	require.Zero(t, a.Posted())
}

// Every read and write on a websocket the handler took over counts as
// activity, in both directions; the bytes go through untouched.
func TestWebsocketTrafficIsActivity(t *testing.T) {
	a := NewActivity(ActivityConfig{}, nil, nil)
	srv := httptest.NewServer(a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		defer conn.Close()
		_, _ = rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
		_ = rw.Flush()
		buf := make([]byte, 64)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			if _, err := conn.Write(buf[:n]); err != nil {
				return
			}
		}
	})))
	t.Cleanup(srv.Close)
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	require.NoError(t, err)
	defer conn.Close()
	_, err = io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
	require.NoError(t, err)
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	require.Equal(t, 101, resp.StatusCode)

	for i := range 3 {
		before := a.last.Load()
		time.Sleep(5 * time.Millisecond)
		msg := fmt.Sprintf("message %d", i)
		_, err = io.WriteString(conn, msg)
		require.NoError(t, err)
		got := make([]byte, len(msg))
		_, err = io.ReadFull(br, got)
		require.NoError(t, err)
		require.Equal(t, msg, string(got))
		require.Greater(t, a.last.Load(), before, "message %d counted", i)
	}
	idle := a.last.Load()
	time.Sleep(50 * time.Millisecond)
	require.Equal(t, idle, a.last.Load(), "an idle websocket is not activity")
}

// syncBuffer is a bytes.Buffer safe for the logger and the test at once.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
