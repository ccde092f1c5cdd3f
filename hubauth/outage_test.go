package hubauth

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A hub outage is logged twice however many requests it fails: when it
// starts, with the first failure, and when the hub has answered for
// outageQuiet, with what it cost. Neither line holds a token.
func TestOutageLoggedOnceWithASummary(t *testing.T) {
	hub := newFakeHub(t)
	hub.addUser(adaToken, adaModel)
	cfg := testConfig(hub.apiURL())
	cfg.CacheMaxAge = time.Minute
	cfg.StaleIfError = 5 * time.Minute
	var logs bytes.Buffer
	a := newTestAuth(t, cfg, &logs)
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	a.cache.now, a.outage.now = clock.now, clock.now
	h := a.Middleware(echoUser)
	call := func(token string) int {
		r := httptest.NewRequest(http.MethodGet, "/services/whoami/", nil)
		r.Header.Set("Authorization", "token "+token)
		status, _ := serve(h, r)
		return status
	}
	lines := func(msg string) int { return strings.Count(logs.String(), "msg=\""+msg) }

	require.Equal(t, 200, call(adaToken))
	clock.advance(61 * time.Second) // ada's answer is past its age
	hub.fail(http.StatusBadGateway, "proxy error")
	for i := range 20 {
		require.Equal(t, 200, call(adaToken), "a caller the service knows")
		require.Equal(t, http.StatusBadGateway, call(fmt.Sprintf("unknown-%02d", i)), "one it does not")
	}
	require.Equal(t, 1, lines("JupyterHub API failing"), logs.String())
	require.Contains(t, logs.String(), "answered 502 to GET /user: proxy error")
	require.Equal(t, 1, strings.Count(logs.String(), "level=ERROR"), "no line for each failed request")

	hub.fail(0, "") // back
	clock.advance(2 * time.Second)
	require.Equal(t, 403, call("not-a-token-of-anyone"))
	require.Zero(t, lines("JupyterHub API answers again"), "not before it has answered for a while")
	clock.advance(outageQuiet)
	require.Equal(t, 403, call("another-unknown-token"))
	require.Equal(t, 1, lines("JupyterHub API answers again"), logs.String())
	end := logs.String()[strings.Index(logs.String(), "JupyterHub API answers again"):]
	require.Contains(t, end, `outage=2s`)
	require.Contains(t, end, "failed_hub_calls=21")
	require.Contains(t, end, `failed_requests=502×20`)
	require.Contains(t, end, "stale_answers=20")
	require.NotContains(t, logs.String(), adaToken)

	// The next outage is logged again.
	hub.fail(http.StatusServiceUnavailable, "")
	require.Equal(t, http.StatusBadGateway, call("unknown-again"))
	require.Equal(t, 2, lines("JupyterHub API failing"))
}

// A hub that keeps failing on and off is one outage, not a pair of lines
// for every failure.
func TestOutageFlappingHubIsOneOutage(t *testing.T) {
	var logs bytes.Buffer
	o := newOutageLog(slog.New(slog.NewTextHandler(&logs, nil)), time.Minute)
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	o.now = clock.now
	down := &HubError{Message: "cannot reach"}
	for range 50 {
		o.hubCall(down)
		o.requestFailed(down)
		clock.advance(time.Second)
		o.hubCall(nil)
		clock.advance(time.Second)
	}
	require.Equal(t, 1, strings.Count(logs.String(), "JupyterHub API failing"))
	require.Zero(t, strings.Count(logs.String(), "JupyterHub API answers again"))
	clock.advance(outageQuiet)
	o.hubCall(ErrInvalidToken) // a refusal is an answer too
	require.Equal(t, 1, strings.Count(logs.String(), "JupyterHub API answers again"))
	require.Contains(t, logs.String(), "failed_hub_calls=50")
	require.Contains(t, logs.String(), "failed_requests=503×50")
	require.Contains(t, logs.String(), "outage=1m39s")
}
