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

// cacheEntry is one remembered hub answer. A nil user means the hub
// refused the token: bad tokens are remembered too, so repeating one does
// not reach the hub each time.
//
// Entries link themselves into the recency list (rather than sitting in a
// container/list element) and keep their expiry as Unix nanoseconds: a
// flood of junk tokens fills the cache with refusals, and the smaller each
// one is, the less memory a full cache holds (see bench/NOTES.md).
type cacheEntry struct {
	key        cacheKey
	user       *User
	expires    int64 // Unix nanoseconds
	prev, next *cacheEntry
}

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
	size   int
	now    func() time.Time

	mu      sync.Mutex
	head    cacheEntry // sentinel of the recency list: head.next is the most recently used
	count   int
	entries map[cacheKey]*cacheEntry
	flights map[cacheKey]*flight
	obs     *Observer // nil: nothing observes
}

func newAnswerCache(maxAge time.Duration, size int) *answerCache {
	c := &answerCache{
		maxAge: maxAge,
		size:   size,
		now:    time.Now,
		// Room for twice the bound up front: a full cache that keeps
		// evicting deletes and adds keys all the time, and a map sized
		// for exactly its entries would grow once more to make room for
		// the deleted slots. Reserved now, the cache's memory stays flat
		// under a flood of new tokens (bench/NOTES.md).
		entries: make(map[cacheKey]*cacheEntry, 2*min(size, 1<<19)),
		flights: make(map[cacheKey]*flight),
	}
	c.head.prev, c.head.next = &c.head, &c.head
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
	if e, ok := c.entries[key]; ok {
		if c.now().UnixNano() < e.expires {
			c.unlink(e)
			c.pushFront(e)
			c.mu.Unlock()
			c.obs.cache(CacheHit)
			if e.user == nil {
				return nil, ErrInvalidToken
			}
			return e.user, nil
		}
		c.removeLocked(e)
	}
	c.obs.cache(CacheMiss)
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
	expires := c.now().Add(c.maxAge).UnixNano()
	if e, ok := c.entries[key]; ok {
		e.user, e.expires = user, expires
		c.unlink(e)
		c.pushFront(e)
		return
	}
	e := &cacheEntry{key: key, user: user, expires: expires}
	c.entries[key] = e
	c.pushFront(e)
	c.count++
	for c.count > c.size {
		c.removeLocked(c.head.prev)
		c.obs.cache(CacheEviction)
	}
}

func (c *answerCache) removeLocked(e *cacheEntry) {
	c.unlink(e)
	delete(c.entries, e.key)
	c.count--
}

func (c *answerCache) pushFront(e *cacheEntry) {
	e.prev, e.next = &c.head, c.head.next
	c.head.next.prev = e
	c.head.next = e
}

func (c *answerCache) unlink(e *cacheEntry) {
	e.prev.next = e.next
	e.next.prev = e.prev
	e.prev, e.next = nil, nil
}

// len reports how many answers are remembered (for tests and metrics).
func (c *answerCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.count
}
