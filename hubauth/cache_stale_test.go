package hubauth

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// scriptedHub answers the cache's calls as a test says: a user for each
// token it knows (a new *User each call, its SessionID counting the
// calls, so tests can tell answers apart), a refusal for any other, or a
// failure for every call while fail is set. While gate is set, calls wait
// for it to close.
type scriptedHub struct {
	calls atomic.Int64

	mu    sync.Mutex
	users map[string]string // token -> name
	fail  error
	gate  chan struct{}
}

func newScriptedHub(users map[string]string) *scriptedHub {
	return &scriptedHub{users: users}
}

func (h *scriptedHub) fetch(_ context.Context, token string) (*User, error) {
	n := h.calls.Add(1)
	h.mu.Lock()
	name, ok := h.users[token]
	fail, gate := h.fail, h.gate
	h.mu.Unlock()
	if gate != nil {
		<-gate
	}
	switch {
	case fail != nil:
		return nil, fail
	case !ok:
		return nil, ErrInvalidToken
	}
	return &User{Kind: "user", Name: name, SessionID: fmt.Sprint("answer-", n)}, nil
}

func (h *scriptedHub) set(f func(h *scriptedHub)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	f(h)
}

// cacheCounts counts what the cache tells its Observer.
type cacheCounts struct {
	hits, misses, stale atomic.Int64
	refreshes           sync.Map // result -> *atomic.Int64
}

func (cc *cacheCounts) observer() *Observer {
	return &Observer{
		CacheHit:  func() { cc.hits.Add(1) },
		CacheMiss: func() { cc.misses.Add(1) },
		CacheStale: func() {
			cc.stale.Add(1)
		},
		CacheRefresh: func(err error) {
			result := "answered"
			switch {
			case err == ErrInvalidToken:
				result = "refused"
			case err != nil:
				result = "failed"
			}
			n, _ := cc.refreshes.LoadOrStore(result, &atomic.Int64{})
			n.(*atomic.Int64).Add(1)
		},
	}
}

func (cc *cacheCounts) refreshed(result string) int64 {
	n, ok := cc.refreshes.Load(result)
	if !ok {
		return 0
	}
	return n.(*atomic.Int64).Load()
}

// outageCache is a cache as New makes it, over a scripted hub, with a
// fake clock: answers last a minute, are refreshed in their last 10 s,
// and are used up to 5 minutes past their age while the hub fails.
func outageCache(t *testing.T, hub *scriptedHub) (*answerCache, *fakeClock, *cacheCounts) {
	t.Helper()
	c, clock := newTestCache(time.Minute, 100)
	c.refreshBefore = 10 * time.Second
	c.staleFor = 5 * time.Minute
	c.fetch = hub.fetch
	counts := &cacheCounts{}
	c.obs = counts.observer()
	return c, clock, counts
}

// settled waits until no call to the hub is out (background ones
// included).
func settled(t *testing.T, c *answerCache) {
	t.Helper()
	require.Eventually(t, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return len(c.flights) == 0
	}, 10*time.Second, time.Millisecond)
}

// pastItsAge caches ada's answer, lets its age run out, and has the hub
// fail from then on with fail.
func pastItsAge(t *testing.T, c *answerCache, clock *fakeClock, hub *scriptedHub, fail error) {
	t.Helper()
	u, err := c.get(context.Background(), "", "ada-token")
	require.NoError(t, err)
	require.Equal(t, "answer-1", u.SessionID)
	clock.advance(c.maxAge)
	hub.set(func(h *scriptedHub) { h.fail = fail })
}

func TestCacheStaleIfError(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		fail  *HubError
		stale bool
	}{
		{"unreachable", &HubError{Message: "cannot reach"}, true},
		{"timeout", &HubError{Message: "too slow", Timeout: true}, true},
		{"500", &HubError{Message: "boom", StatusCode: http.StatusInternalServerError}, true},
		{"502 from the hub's proxy", &HubError{Message: "bad gateway", StatusCode: http.StatusBadGateway}, true},
		{"503", &HubError{Message: "starting", StatusCode: http.StatusServiceUnavailable}, true},
		// The hub answered: it decides, even when the answer is no use.
		{"404", &HubError{Message: "not found", StatusCode: http.StatusNotFound}, false},
		{"unusable answer", &HubError{Message: "not a model", StatusCode: http.StatusOK}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hub := newScriptedHub(map[string]string{"ada-token": "ada"})
			c, clock, counts := outageCache(t, hub)
			pastItsAge(t, c, clock, hub, tc.fail)
			u, err := c.get(ctx, "", "ada-token")
			if !tc.stale {
				require.ErrorIs(t, err, tc.fail)
				require.Nil(t, u)
				require.Zero(t, counts.stale.Load())
				return
			}
			require.NoError(t, err, "the hub failed: the old answer again")
			require.Equal(t, "answer-1", u.SessionID)
			require.EqualValues(t, 2, hub.calls.Load(), "the hub was asked first")
			require.EqualValues(t, 1, counts.stale.Load())

			// While the hub fails, the answer is used without asking it
			// again each time...
			for range 5 {
				u, err = c.get(ctx, "", "ada-token")
				require.NoError(t, err)
				require.Equal(t, "answer-1", u.SessionID)
			}
			require.EqualValues(t, 2, hub.calls.Load())
			require.EqualValues(t, 6, counts.stale.Load())
			// ...but once a second, in the background, it is.
			clock.advance(hubRetryInterval)
			u, err = c.get(ctx, "", "ada-token")
			require.NoError(t, err)
			require.Equal(t, "answer-1", u.SessionID)
			settled(t, c)
			require.EqualValues(t, 3, hub.calls.Load())
			require.EqualValues(t, 1, counts.refreshed("failed"))

			// The window ends 5 minutes after the answer's own age.
			clock.advance(5*time.Minute - hubRetryInterval - time.Millisecond)
			_, err = c.get(ctx, "", "ada-token")
			require.NoError(t, err, "still within the window")
			clock.advance(time.Millisecond)
			_, err = c.get(ctx, "", "ada-token")
			require.ErrorIs(t, err, tc.fail, "the window is over: the hub's failure")
			require.Equal(t, 0, c.len())
		})
	}
}

// When the hub answers again, the next call about a stale answer (the
// background one, a second after the last failure) replaces it.
func TestCacheStaleUntilTheHubAnswers(t *testing.T) {
	ctx := context.Background()
	hub := newScriptedHub(map[string]string{"ada-token": "ada"})
	c, clock, counts := outageCache(t, hub)
	pastItsAge(t, c, clock, hub, &HubError{Message: "down"})
	u, err := c.get(ctx, "", "ada-token")
	require.NoError(t, err)
	require.Equal(t, "answer-1", u.SessionID)

	hub.set(func(h *scriptedHub) { h.fail = nil })
	clock.advance(hubRetryInterval)
	u, err = c.get(ctx, "", "ada-token")
	require.NoError(t, err)
	require.Equal(t, "answer-1", u.SessionID, "used while the hub is asked in the background")
	settled(t, c)
	require.EqualValues(t, 1, counts.refreshed("answered"))
	stale := counts.stale.Load()
	u, err = c.get(ctx, "", "ada-token")
	require.NoError(t, err)
	require.Equal(t, "answer-3", u.SessionID, "the hub's new answer")
	require.Equal(t, stale, counts.stale.Load(), "a fresh answer is not stale")
}

// A token the hub refused stays refused while the hub is down, also past
// its refusal's age; one the service never saw gets the hub's failure; and
// with stale-if-error off, every answer past its age does.
func TestCacheOutageForRefusedUnknownAndOff(t *testing.T) {
	ctx := context.Background()
	down := &HubError{Message: "down"}

	hub := newScriptedHub(map[string]string{"ada-token": "ada"})
	c, clock, _ := outageCache(t, hub)
	_, err := c.get(ctx, "", "junk")
	require.ErrorIs(t, err, ErrInvalidToken)
	clock.advance(2 * time.Minute)
	hub.set(func(h *scriptedHub) { h.fail = down })
	_, err = c.get(ctx, "", "junk")
	require.ErrorIs(t, err, ErrInvalidToken, "refused, not a 5xx, and never admitted")
	_, err = c.get(ctx, "", "never-seen")
	require.ErrorIs(t, err, down, "nothing to fall back on")

	off := newScriptedHub(map[string]string{"ada-token": "ada"})
	c, clock, _ = outageCache(t, off)
	c.staleFor = 0
	pastItsAge(t, c, clock, off, down)
	_, err = c.get(ctx, "", "ada-token")
	require.ErrorIs(t, err, down, "HUBAUTH_STALE_IF_ERROR=0")
}

// A hub that answers decides, also during what looked like an outage: a
// token it refuses is refused at once, however recently it was admitted.
func TestCacheRefusalEndsTheFallback(t *testing.T) {
	ctx := context.Background()
	hub := newScriptedHub(map[string]string{"ada-token": "ada"})
	c, clock, _ := outageCache(t, hub)
	pastItsAge(t, c, clock, hub, &HubError{Message: "down"})
	_, err := c.get(ctx, "", "ada-token")
	require.NoError(t, err)

	hub.set(func(h *scriptedHub) { h.fail, h.users = nil, map[string]string{} }) // back, and the token revoked
	clock.advance(hubRetryInterval)
	_, _ = c.get(ctx, "", "ada-token") // the background call learns it
	settled(t, c)
	_, err = c.get(ctx, "", "ada-token")
	require.ErrorIs(t, err, ErrInvalidToken)
	hub.set(func(h *scriptedHub) { h.fail = &HubError{Message: "down again"} })
	clock.advance(2 * time.Minute)
	_, err = c.get(ctx, "", "ada-token")
	require.ErrorIs(t, err, ErrInvalidToken, "a refused token is never admitted again")
}

// An answer in the last part of its age is asked again in the
// background, once however many callers use it, and used meanwhile, past
// its age if the hub is slow; the hub's answer then replaces it.
func TestCacheRefreshAhead(t *testing.T) {
	ctx := context.Background()
	hub := newScriptedHub(map[string]string{"ada-token": "ada"})
	c, clock, counts := outageCache(t, hub)
	u, err := c.get(ctx, "", "ada-token")
	require.NoError(t, err)
	require.Equal(t, "answer-1", u.SessionID)

	clock.advance(49 * time.Second)
	_, err = c.get(ctx, "", "ada-token")
	require.NoError(t, err)
	require.EqualValues(t, 1, hub.calls.Load(), "not yet in the last 10 s")

	gate := make(chan struct{})
	hub.set(func(h *scriptedHub) { h.gate = gate }) // a slow hub
	clock.advance(2 * time.Second)
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			u, err := c.get(ctx, "", "ada-token")
			if err != nil || u.SessionID != "answer-1" {
				t.Errorf("during the refresh: %v, %v", u, err)
			}
		})
	}
	wg.Wait() // nobody waited for the hub
	require.Eventually(t, func() bool { return hub.calls.Load() == 2 }, 5*time.Second, time.Millisecond)

	clock.advance(30 * time.Second) // past its age, the refresh still out
	u, err = c.get(ctx, "", "ada-token")
	require.NoError(t, err)
	require.Equal(t, "answer-1", u.SessionID, "used until the slow refresh ends")
	require.Zero(t, counts.stale.Load(), "the hub has not failed")
	require.EqualValues(t, 2, hub.calls.Load())

	close(gate)
	settled(t, c)
	u, err = c.get(ctx, "", "ada-token")
	require.NoError(t, err)
	require.Equal(t, "answer-2", u.SessionID)
	require.EqualValues(t, 1, counts.refreshed("answered"))
	require.EqualValues(t, 1, counts.misses.Load(), "one miss: the first")

	clock.advance(49 * time.Second) // the new answer's age counts from when it came
	_, _ = c.get(ctx, "", "ada-token")
	require.EqualValues(t, 2, hub.calls.Load())
}

// A refresh that fails leaves the answer as it is, and is tried again
// after a second; one the hub refuses ends every answer of the token.
func TestCacheRefreshFailsOrIsRefused(t *testing.T) {
	ctx := context.Background()
	hub := newScriptedHub(map[string]string{"ada-token": "ada"})
	c, clock, counts := outageCache(t, hub)
	_, err := c.get(ctx, "", "ada-token")
	require.NoError(t, err)
	_, err = c.get(ctx, "session-2", "ada-token")
	require.NoError(t, err)

	clock.advance(55 * time.Second)
	hub.set(func(h *scriptedHub) { h.fail = &HubError{Message: "down"} })
	u, err := c.get(ctx, "", "ada-token")
	require.NoError(t, err)
	require.Equal(t, "answer-1", u.SessionID)
	settled(t, c)
	require.EqualValues(t, 1, counts.refreshed("failed"))
	for range 3 {
		u, err = c.get(ctx, "", "ada-token")
		require.NoError(t, err)
		require.Equal(t, "answer-1", u.SessionID, "left as it was")
	}
	require.EqualValues(t, 3, hub.calls.Load(), "not asked again within the second")
	require.Zero(t, counts.stale.Load(), "still within its age")

	hub.set(func(h *scriptedHub) { h.fail, h.users = nil, map[string]string{} }) // back; the token revoked
	clock.advance(hubRetryInterval)
	_, err = c.get(ctx, "", "ada-token")
	require.NoError(t, err, "the refresh is in the background")
	settled(t, c)
	require.EqualValues(t, 1, counts.refreshed("refused"))
	calls := hub.calls.Load()
	for _, session := range []string{"", "session-2"} {
		_, err = c.get(ctx, session, "ada-token")
		require.ErrorIs(t, err, ErrInvalidToken, "session %q", session)
	}
	require.Equal(t, calls, hub.calls.Load(), "refused from the cache")
}
