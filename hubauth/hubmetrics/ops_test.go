package hubmetrics

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/hubauth-go/whoami/hubauth"
)

func get(t *testing.T, h http.Handler, method, path string) (int, string) {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(method, path, nil))
	body, err := io.ReadAll(w.Result().Body)
	require.NoError(t, err)
	return w.Code, string(body)
}

func TestHandler(t *testing.T) {
	hub := fakeHub(t, models)
	reg := prometheus.NewRegistry()
	m, err := New(reg)
	require.NoError(t, err)
	a, err := hubauth.New(config(hub.URL+"/hub/api"), hubauth.WithObserver(m.Observer()))
	require.NoError(t, err)
	h := Handler(Ops{Gatherer: reg, Ready: HubReady(a), ReadyEvery: time.Nanosecond})

	code, body := get(t, h, "GET", "/metrics")
	require.Equal(t, 200, code)
	require.Contains(t, body, `hubauth_requests_total{outcome="admitted"} 0`)

	code, body = get(t, h, "GET", "/healthz")
	require.Equal(t, 200, code)
	require.Equal(t, "ok\n", body)

	code, body = get(t, h, "GET", "/readyz")
	require.Equal(t, 200, code, body)
	require.Equal(t, "ok\n", body)
	_, body = get(t, h, "GET", "/metrics")
	require.Contains(t, body, "# TYPE hubauth_hub_request_duration_seconds histogram")
	require.Contains(t, body, `hubauth_hub_request_duration_seconds_count{method="GET",path="/",result="200"} 1`, "the readiness check is a hub call")

	hub.Close()
	code, body = get(t, h, "GET", "/readyz")
	require.Equal(t, 503, code)
	require.Contains(t, body, "not ready: cannot reach JupyterHub API at "+hub.URL+"/hub/api")
	code, _ = get(t, h, "GET", "/healthz")
	require.Equal(t, 200, code, "the process is up whatever the hub does")

	code, _ = get(t, h, "GET", "/elsewhere")
	require.Equal(t, 404, code)
	code, _ = get(t, h, "POST", "/healthz")
	require.Equal(t, 405, code)
	code, _ = get(t, h, "HEAD", "/readyz")
	require.Equal(t, 503, code, "HEAD works as GET")

	// Without a registry or a check: no /metrics, always ready.
	bare := Handler(Ops{})
	code, _ = get(t, bare, "GET", "/metrics")
	require.Equal(t, 404, code)
	code, _ = get(t, bare, "GET", "/readyz")
	require.Equal(t, 200, code)
}

func TestReadinessReusesItsAnswer(t *testing.T) {
	var calls atomic.Int64
	var fail atomic.Bool
	r := NewReadiness(func(context.Context) error {
		calls.Add(1)
		if fail.Load() {
			return errors.New("hub down")
		}
		return nil
	}, time.Minute)
	now := time.Unix(1_800_000_000, 0)
	var mu sync.Mutex
	r.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); defer mu.Unlock(); now = now.Add(d) }
	ctx := context.Background()

	require.NoError(t, r.Check(ctx))
	fail.Store(true)
	for range 10 {
		require.NoError(t, r.Check(ctx), "within a minute: the remembered answer")
	}
	require.EqualValues(t, 1, calls.Load())
	advance(time.Minute)
	require.EqualError(t, r.Check(ctx), "hub down")
	require.EqualError(t, r.Check(ctx), "hub down")
	require.EqualValues(t, 2, calls.Load())
	fail.Store(false)
	advance(time.Minute)
	require.NoError(t, r.Check(ctx))
	require.EqualValues(t, 3, calls.Load())
}

func TestReadinessSharesOneCheck(t *testing.T) {
	var calls atomic.Int64
	release := make(chan struct{})
	r := NewReadiness(func(context.Context) error {
		calls.Add(1)
		<-release
		return nil
	}, time.Minute)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() { errs <- r.Check(context.Background()) })
	}
	// A probe that gives up does not wait for the check.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	require.Eventually(t, func() bool { return calls.Load() == 1 }, 5*time.Second, time.Millisecond)
	require.ErrorIs(t, r.Check(ctx), context.DeadlineExceeded)
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.EqualValues(t, 1, calls.Load(), "concurrent probes share one check")
}
