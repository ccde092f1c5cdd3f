package appserver

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
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
