package hubauth

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/require"
)

// When the hub refuses a token under one session, the token's answers
// under every other session are refused at once, without asking the hub
// for each; other tokens keep theirs.
func TestCacheRevokesEveryAnswerOfAToken(t *testing.T) {
	ctx := context.Background()
	hub := newScriptedHub(map[string]string{"ada-token": "ada", "bob-token": "bob"})
	c, _, _ := outageCache(t, hub)
	for _, s := range []string{"", "s1", "s2"} {
		u, err := c.get(ctx, s, "ada-token")
		require.NoError(t, err)
		require.Equal(t, "ada", u.Name)
	}
	_, err := c.get(ctx, "s1", "bob-token")
	require.NoError(t, err)
	require.Len(t, c.byToken, 2)

	hub.set(func(h *scriptedHub) { delete(h.users, "ada-token") }) // revoked at the hub
	_, err = c.get(ctx, "s3", "ada-token")                         // a session the cache never saw
	require.ErrorIs(t, err, ErrInvalidToken)
	calls := hub.calls.Load()
	for _, s := range []string{"", "s1", "s2", "s3"} {
		_, err := c.get(ctx, s, "ada-token")
		require.ErrorIs(t, err, ErrInvalidToken, "session %q", s)
	}
	require.Equal(t, calls, hub.calls.Load(), "refused from the cache, at once")
	u, err := c.get(ctx, "s1", "bob-token")
	require.NoError(t, err)
	require.Equal(t, "bob", u.Name, "another token is not touched")
	require.Len(t, c.byToken, 1)
	requireIndexConsistent(t, c)
}

// The index follows every change to the cache: answers stored, replaced,
// refused, expired, evicted, revoked. Random operations on a small cache,
// then the index checked against the entries.
func TestCacheIndexStaysConsistent(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	users := map[string]string{}
	for i := range 6 {
		users[fmt.Sprint("token-", i)] = fmt.Sprint("user-", i)
	}
	hub := newScriptedHub(users)
	c, clock, _ := outageCache(t, hub)
	c.recent.size = 8
	for i := range 5000 {
		token := fmt.Sprint("token-", rng.IntN(8)) // 6 and 7 are refused
		session := fmt.Sprint("s", rng.IntN(4))
		switch rng.IntN(20) {
		case 0:
			hub.set(func(h *scriptedHub) { delete(h.users, token) })
		case 1:
			hub.set(func(h *scriptedHub) { h.users[token] = "back" })
		case 2:
			hub.set(func(h *scriptedHub) { h.fail = &HubError{Message: "down"} })
		case 3:
			hub.set(func(h *scriptedHub) { h.fail = nil })
		case 4, 5:
			clock.advance(time.Duration(rng.IntN(90)) * time.Second)
		}
		_, _ = c.get(ctx, session, token)
		settled(t, c)
		if i%100 == 0 {
			requireIndexConsistent(t, c)
		}
	}
	requireIndexConsistent(t, c)
}

// requireIndexConsistent checks that every answer identifying a caller
// is in its token's chain exactly once, and the chains hold nothing else.
func requireIndexConsistent(t *testing.T, c *answerCache) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	seen := map[*lruEntry[cacheKey, *answer]]bool{}
	for tk, head := range c.byToken {
		require.NotNil(t, head)
		for e := head; e != nil; e = e.val.sameToken {
			require.False(t, seen[e], "an entry in two places")
			seen[e] = true
			require.NotNil(t, e.val.user, "a refusal in the index")
			require.Equal(t, tk, e.val.token)
			require.Same(t, e, c.recent.entries[e.key], "an entry no longer in the cache")
		}
	}
	for _, e := range c.recent.entries {
		require.Equal(t, e.val.user != nil, seen[e], "indexed if and only if it identified a caller")
	}
}

// A refusal costs the cache no more than before there was an index: its
// entry stays in the 64-byte size class, and the refusals share one
// answer (see bench/NOTES.md for why entries are small).
func TestCacheEntryStaysSmall(t *testing.T) {
	require.LessOrEqual(t, unsafe.Sizeof(lruEntry[cacheKey, *answer]{}), uintptr(64))
	hub := newScriptedHub(nil)
	c, _, _ := outageCache(t, hub)
	for i := range 10 {
		_, _ = c.get(context.Background(), "", fmt.Sprint("junk-", i))
	}
	for _, e := range c.recent.entries {
		require.Same(t, c.refused, e.val)
	}
	require.Empty(t, c.byToken)
}
