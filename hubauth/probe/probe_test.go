package probe

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

	"github.com/stretchr/testify/require"
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
	var down atomic.Bool
	var checks atomic.Int64
	h := Handler(func(context.Context) error {
		checks.Add(1)
		if down.Load() {
			return errors.New("cannot reach JupyterHub API at http://hub:8081/hub/api")
		}
		return nil
	}, time.Nanosecond)

	code, body := get(t, h, "GET", "/healthz")
	require.Equal(t, 200, code)
	require.Equal(t, "ok\n", body)

	code, body = get(t, h, "GET", "/readyz")
	require.Equal(t, 200, code, body)
	require.Equal(t, "ok\n", body)
	require.EqualValues(t, 1, checks.Load())

	down.Store(true)
	code, body = get(t, h, "GET", "/readyz")
	require.Equal(t, 503, code)
	require.Equal(t, "not ready: cannot reach JupyterHub API at http://hub:8081/hub/api\n", body)
	code, _ = get(t, h, "GET", "/healthz")
	require.Equal(t, 200, code, "the process is up whatever the hub does")
	require.EqualValues(t, 2, checks.Load(), "/healthz never checks")

	code, _ = get(t, h, "GET", "/elsewhere")
	require.Equal(t, 404, code)
	code, _ = get(t, h, "POST", "/healthz")
	require.Equal(t, 405, code)
	code, _ = get(t, h, "HEAD", "/readyz")
	require.Equal(t, 503, code, "HEAD works as GET")

	// Without a check: always ready.
	bare := Handler(nil, 0)
	code, _ = get(t, bare, "GET", "/readyz")
	require.Equal(t, 200, code)
}

func TestReadinessReusesItsAnswer(t *testing.T) {
	var calls atomic.Int64
	var fail atomic.Bool
	r := newReadiness(func(context.Context) error {
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

	require.NoError(t, r.check(ctx))
	fail.Store(true)
	for range 10 {
		require.NoError(t, r.check(ctx), "within a minute: the remembered answer")
	}
	require.EqualValues(t, 1, calls.Load())
	advance(time.Minute)
	require.EqualError(t, r.check(ctx), "hub down")
	require.EqualError(t, r.check(ctx), "hub down")
	require.EqualValues(t, 2, calls.Load())
	fail.Store(false)
	advance(time.Minute)
	require.NoError(t, r.check(ctx))
	require.EqualValues(t, 3, calls.Load())
}

func TestReadinessSharesOneCheck(t *testing.T) {
	var calls atomic.Int64
	release := make(chan struct{})
	r := newReadiness(func(context.Context) error {
		calls.Add(1)
		<-release
		return nil
	}, time.Minute)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() { errs <- r.check(context.Background()) })
	}
	// A probe that gives up does not wait for the check.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	require.Eventually(t, func() bool { return calls.Load() == 1 }, 5*time.Second, time.Millisecond)
	require.ErrorIs(t, r.check(ctx), context.DeadlineExceeded)
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.EqualValues(t, 1, calls.Load(), "concurrent probes share one check")
}
