package hubauth

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fakeClock is a settable time source for expiry tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newTestCache(maxAge time.Duration, size int) (*answerCache, *fakeClock) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	c := newAnswerCache(maxAge, size)
	c.now = clock.now
	return c, clock
}

// countingFetch answers with a user named after the call number.
func countingFetch(calls *atomic.Int64, err error) func(context.Context, string) (*User, error) {
	return func(context.Context, string) (*User, error) {
		n := calls.Add(1)
		if err != nil {
			return nil, err
		}
		return &User{Name: fmt.Sprint("call-", n)}, nil
	}
}

// getWith sets the cache's way of asking the hub and asks for token.
func getWith(c *answerCache, sessionID, token string, fetch func(context.Context, string) (*User, error)) (*User, error) {
	c.fetch = fetch
	return c.get(context.Background(), sessionID, token)
}

func TestCacheExpiry(t *testing.T) {
	c, clock := newTestCache(5*time.Minute, 10)
	var calls atomic.Int64

	u, err := getWith(c, "", "tok", countingFetch(&calls, nil))
	require.NoError(t, err)
	require.Equal(t, "call-1", u.Name)

	clock.advance(5*time.Minute - time.Second)
	u, err = getWith(c, "", "tok", countingFetch(&calls, nil))
	require.NoError(t, err)
	require.Equal(t, "call-1", u.Name, "fresh answer reused")

	clock.advance(time.Second)
	u, err = getWith(c, "", "tok", countingFetch(&calls, nil))
	require.NoError(t, err)
	require.Equal(t, "call-2", u.Name, "expired answer asked again")
	require.EqualValues(t, 2, calls.Load())
}

func TestCacheRemembersRefusedTokens(t *testing.T) {
	c, _ := newTestCache(time.Minute, 10)
	var calls atomic.Int64
	for range 3 {
		_, err := getWith(c, "", "bad", countingFetch(&calls, ErrInvalidToken))
		require.ErrorIs(t, err, ErrInvalidToken)
	}
	require.EqualValues(t, 1, calls.Load())
}

func TestCacheForgetsHubFailures(t *testing.T) {
	c, _ := newTestCache(time.Minute, 10)
	c.staleFor = time.Minute
	var calls atomic.Int64
	hubDown := &HubError{Message: "down"}
	for range 3 {
		_, err := getWith(c, "", "tok", countingFetch(&calls, hubDown))
		require.ErrorIs(t, err, hubDown, "no answer to fall back on: the hub's failure")
	}
	require.EqualValues(t, 3, calls.Load(), "a failure is not an answer: ask again")
	require.Equal(t, 0, c.len())

	u, err := getWith(c, "", "tok", countingFetch(&calls, nil))
	require.NoError(t, err, "recovers when the hub does")
	require.Equal(t, "call-4", u.Name)
}

func TestCacheBound(t *testing.T) {
	c, _ := newTestCache(time.Hour, 100)
	var calls atomic.Int64
	for i := range 1000 {
		_, _ = getWith(c, "", fmt.Sprint("junk-", i), countingFetch(&calls, ErrInvalidToken))
	}
	require.Equal(t, 100, c.len())
	require.Len(t, c.recent.entries, 100)
	require.Empty(t, c.byToken, "refusals are not indexed")

	// Least recently used goes first: touch an old key, add one more.
	_, _ = getWith(c, "", "junk-900", countingFetch(&calls, nil))
	_, _ = getWith(c, "", "new", countingFetch(&calls, nil))
	before := calls.Load()
	_, _ = getWith(c, "", "junk-900", countingFetch(&calls, nil))
	require.Equal(t, before, calls.Load(), "recently used entry kept")
	_, _ = getWith(c, "", "junk-901", countingFetch(&calls, nil))
	require.Equal(t, before+1, calls.Load(), "least recently used entry evicted")
}

func TestCacheZeroMaxAgeStoresNothing(t *testing.T) {
	c, _ := newTestCache(0, 10)
	var calls atomic.Int64
	for range 3 {
		_, err := getWith(c, "", "tok", countingFetch(&calls, nil))
		require.NoError(t, err)
	}
	require.EqualValues(t, 3, calls.Load())
	require.Equal(t, 0, c.len())
}

func TestCacheKeyIncludesSession(t *testing.T) {
	require.NotEqual(t, keyFor("s1", "tok"), keyFor("s2", "tok"))
	require.NotEqual(t, keyFor("", "tok"), keyFor("s", "tok"))
	require.NotEqual(t, keyFor("a", "bc"), keyFor("ab", "c"))
	require.Equal(t, keyFor("s", "tok"), keyFor("s", "tok"))
	require.Equal(t, keyFor("", "tok"), tokenKeyFor("tok"), "a token's own key is its key without a session")
}

// Concurrent misses for one key make one hub call, and every caller gets
// its answer.
func TestCacheCoalescesConcurrentMisses(t *testing.T) {
	c, _ := newTestCache(time.Minute, 10)
	var calls atomic.Int64
	release := make(chan struct{})
	c.fetch = func(context.Context, string) (*User, error) {
		calls.Add(1)
		<-release
		return &User{Name: "ada"}, nil
	}
	const n = 100
	var wg sync.WaitGroup
	names := make(chan string, n)
	for range n {
		wg.Go(func() {
			u, err := c.get(context.Background(), "", "tok")
			if err == nil {
				names <- u.Name
			}
		})
	}
	// Let the goroutines pile up on the one flight, then let it land.
	require.Eventually(t, func() bool { return calls.Load() == 1 }, time.Second, time.Millisecond)
	time.Sleep(20 * time.Millisecond)
	close(release)
	wg.Wait()
	close(names)
	require.EqualValues(t, 1, calls.Load())
	got := 0
	for name := range names {
		require.Equal(t, "ada", name)
		got++
	}
	require.Equal(t, n, got)
}

// A waiter that gives up does not cancel the call others are waiting on.
func TestCacheWaiterCancellation(t *testing.T) {
	c, _ := newTestCache(time.Minute, 10)
	release := make(chan struct{})
	var leaderCtxErr error
	c.fetch = func(ctx context.Context, _ string) (*User, error) {
		<-release
		leaderCtxErr = ctx.Err()
		return &User{Name: "ada"}, nil
	}
	leaderDone := make(chan struct{})
	go func() {
		defer close(leaderDone)
		_, _ = c.get(context.Background(), "", "tok")
	}()
	require.Eventually(t, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return len(c.flights) == 1
	}, time.Second, time.Millisecond)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.get(ctx, "", "tok")
	require.True(t, errors.Is(err, context.Canceled))

	close(release)
	<-leaderDone
	require.NoError(t, leaderCtxErr)
	u, err := c.get(context.Background(), "", "tok")
	require.NoError(t, err)
	require.Equal(t, "ada", u.Name)
}
