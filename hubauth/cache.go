package hubauth

import (
	"container/list"
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
type cacheEntry struct {
	key     cacheKey
	user    *User
	expires time.Time
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
	order   *list.List // of *cacheEntry, most recently used first
	entries map[cacheKey]*list.Element
	flights map[cacheKey]*flight
}

func newAnswerCache(maxAge time.Duration, size int) *answerCache {
	return &answerCache{
		maxAge:  maxAge,
		size:    size,
		now:     time.Now,
		order:   list.New(),
		entries: make(map[cacheKey]*list.Element),
		flights: make(map[cacheKey]*flight),
	}
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
	if el, ok := c.entries[key]; ok {
		e := el.Value.(*cacheEntry)
		if c.now().Before(e.expires) {
			c.order.MoveToFront(el)
			c.mu.Unlock()
			if e.user == nil {
				return nil, ErrInvalidToken
			}
			return e.user, nil
		}
		c.removeLocked(el)
	}
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
	e := &cacheEntry{key: key, user: user, expires: c.now().Add(c.maxAge)}
	if el, ok := c.entries[key]; ok {
		el.Value = e
		c.order.MoveToFront(el)
		return
	}
	c.entries[key] = c.order.PushFront(e)
	for c.order.Len() > c.size {
		c.removeLocked(c.order.Back())
	}
}

func (c *answerCache) removeLocked(el *list.Element) {
	c.order.Remove(el)
	delete(c.entries, el.Value.(*cacheEntry).key)
}

// len reports how many answers are remembered (for tests and metrics).
func (c *answerCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
