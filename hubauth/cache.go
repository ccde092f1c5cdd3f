package hubauth

import (
	"context"
	"crypto/sha256"
	"sync"
	"time"
)

// cacheKey identifies one hub answer: SHA-256 over the hub session id and
// the token. Tokens are never kept in memory longer than a request, and a
// fixed-size key keeps each entry small whatever the caller sent.
type cacheKey [sha256.Size]byte

func keyFor(sessionID, token string) cacheKey {
	h := sha256.New()
	h.Write([]byte(sessionID))
	h.Write([]byte{0})
	h.Write([]byte(token))
	var k cacheKey
	h.Sum(k[:0])
	return k
}

// The answer cache stores *User under cacheKey, expiring at Unix
// nanoseconds. A nil user means the hub refused the token: bad tokens are
// remembered too, so repeating one does not reach the hub each time.

// flight is a hub call in progress that later requests for the same key
// wait on instead of making their own.
type flight struct {
	done chan struct{}
	user *User
	err  error
}

// answerCache remembers hub answers for maxAge, holding at most size of
// them (the least recently used goes first), and makes concurrent misses
// for one key share a single hub call.
//
// JupyterHub's Python client keeps an unbounded dict and lets every
// concurrent miss call the hub; both are what this type exists to avoid.
type answerCache struct {
	maxAge time.Duration
	now    func() time.Time

	mu      sync.Mutex
	recent  *lru[cacheKey, *User] // until: Unix nanoseconds
	flights map[cacheKey]*flight
	obs     *Observer // nil: nothing observes
}

func newAnswerCache(maxAge time.Duration, size int) *answerCache {
	c := &answerCache{
		maxAge:  maxAge,
		now:     time.Now,
		recent:  newLRU[cacheKey, *User](size),
		flights: make(map[cacheKey]*flight),
	}
	return c
}

// get returns the remembered answer for key, or calls fetch once for all
// concurrent callers with that key and remembers its answer. fetch returns
// (nil, ErrInvalidToken) for a token the hub refused, which is remembered;
// any other error is not, so the next request asks the hub again.
//
// The call to the hub is not cancelled when the first caller goes away:
// others may be waiting for it, and the hub client has its own time limit.
// A caller whose ctx ends while waiting gets ctx.Err().
func (c *answerCache) get(ctx context.Context, key cacheKey, fetch func(context.Context) (*User, error)) (*User, error) {
	c.mu.Lock()
	if e, ok := c.recent.lookup(key); ok {
		if c.now().UnixNano() < e.until {
			user := e.val
			c.mu.Unlock()
			c.obs.cacheHit()
			if user == nil {
				return nil, ErrInvalidToken
			}
			return user, nil
		}
		c.recent.remove(e)
	}
	c.obs.cacheMiss()
	if f, ok := c.flights[key]; ok {
		c.mu.Unlock()
		select {
		case <-f.done:
			return f.user, f.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	f := &flight{done: make(chan struct{})}
	c.flights[key] = f
	c.mu.Unlock()

	f.user, f.err = fetch(context.WithoutCancel(ctx))

	c.mu.Lock()
	delete(c.flights, key)
	if f.err == nil || f.err == ErrInvalidToken {
		c.storeLocked(key, f.user)
	}
	c.mu.Unlock()
	close(f.done)
	return f.user, f.err
}

func (c *answerCache) storeLocked(key cacheKey, user *User) {
	if c.maxAge <= 0 {
		return
	}
	for range c.recent.put(key, user, c.now().Add(c.maxAge).UnixNano()) {
		c.obs.cacheEviction()
	}
}

// len reports how many answers are remembered (for tests and metrics).
func (c *answerCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.recent.count
}
