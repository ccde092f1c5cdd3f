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

// answer is what the cache keeps under a key: the hub's answer and, for
// an answer that identified a caller, what the per-token index
// (cacheindex.go) and a failing hub need. Every token the hub refused
// shares one answer, answerCache.refused, so that a flood of junk tokens
// costs no more than a small entry each (bench/NOTES.md).
type answer struct {
	user *User // nil: the hub refused the token

	// token is the token's own key, whatever the session
	// (tokenKeyFor): the index this answer is in.
	token cacheKey
	// sameToken is the next answer of the same token in the index.
	sameToken *lruEntry[cacheKey, *answer]
	// retryAt is set when the last call to the hub about this answer
	// failed: the hub is not asked about it again before then (Unix
	// nanoseconds), and meanwhile, past its age, the answer is used as
	// it is (stale-if-error).
	retryAt int64
}

func (a *answer) result() (*User, error) {
	if a.user == nil {
		return nil, ErrInvalidToken
	}
	return a.user, nil
}

// hubRetryInterval is how often the cache asks again about an answer
// while the hub fails (a background call, at most one at a time for each
// answer): often enough to notice at once that the hub is back, rarely
// enough that a service with many callers does not flood a hub that is
// starting up.
const hubRetryInterval = time.Second

// flight is a hub call in progress that later requests for the same key
// wait on instead of making their own.
type flight struct {
	done chan struct{}
	user *User
	err  error
	// background: a refresh of an answer that is still used meanwhile,
	// so nobody waits for it.
	background bool
	// stale: the hub failed, and user (or, for a refused token, err) is
	// the old answer, used again.
	stale bool
}

// answerCache remembers hub answers for maxAge, holding at most size of
// them (the least recently used goes first), and makes concurrent misses
// for one key share a single hub call.
//
// Beyond that, it keeps answers working while the hub does not:
//   - refresh ahead: the first use of an answer in the last refreshBefore
//     of its age has it asked again in the background, and the answer is
//     used until that call ends, past its age if the hub is slow, so a
//     busy caller never waits for the hub;
//   - stale-if-error: when the hub cannot be asked about an answer past
//     its age (it cannot be reached, does not answer in time, or fails
//     with a 5xx), the answer is used again, until staleFor past its age;
//     the hub is then asked about it once every hubRetryInterval, in the
//     background, until it answers;
//   - revocation per token: when the hub refuses a token, every answer
//     for that token goes, whatever session it was cached with
//     (cacheindex.go).
//
// A token the cache has no answer for always waits for the hub, and gets
// its failure when it fails. JupyterHub's Python client keeps an
// unbounded dict, lets every concurrent miss call the hub, and fails every
// caller whose answer expires while the hub is down; this type exists to
// do better on each.
type answerCache struct {
	maxAge time.Duration
	// refreshBefore is how long before the end of its age an answer is
	// refreshed ahead (refreshWindow); 0: never.
	refreshBefore time.Duration
	// staleFor is how long past its age an answer is used while the hub
	// fails (HUBAUTH_STALE_IF_ERROR); 0: not at all.
	staleFor time.Duration
	now      func() time.Time
	// fetch asks the hub about a token: the user, ErrInvalidToken when
	// the hub refuses it, or why the hub could not be asked.
	fetch func(ctx context.Context, token string) (*User, error)

	mu      sync.Mutex
	recent  *lru[cacheKey, *answer] // until: the end of its age, Unix nanoseconds
	byToken map[cacheKey]*lruEntry[cacheKey, *answer]
	flights map[cacheKey]*flight
	refused *answer   // the answer of every refused token
	obs     *Observer // nil: nothing observes
	outage  *outageLog
}

func newAnswerCache(maxAge time.Duration, size int) *answerCache {
	c := &answerCache{
		maxAge:  maxAge,
		now:     time.Now,
		recent:  newLRU[cacheKey, *answer](size),
		byToken: make(map[cacheKey]*lruEntry[cacheKey, *answer]),
		flights: make(map[cacheKey]*flight),
		refused: &answer{},
	}
	c.recent.evicted = func(e *lruEntry[cacheKey, *answer]) {
		c.unindexLocked(e)
		c.obs.cacheEviction()
	}
	return c
}

// refreshWindow is how long before the end of its age an answer is
// refreshed ahead: a tenth of the age, or the hub timeout when that is
// longer, so that a refresh that takes as long as the hub may take still
// ends in time; but never more than half the age, which would double the
// calls to the hub.
func refreshWindow(maxAge, hubTimeout time.Duration) time.Duration {
	return min(max(maxAge/10, hubTimeout), maxAge/2)
}

// get returns the answer for token in the hub session sessionID: the
// cached one, or the hub's, asked once for all concurrent callers with
// the same key and remembered. A refusal (ErrInvalidToken) is remembered
// too; a hub failure is not, so the next request asks the hub again,
// unless there is an answer to fall back on.
//
// The call to the hub is not cancelled when the first caller goes away:
// others may be waiting for it, and the hub client has its own time limit.
// A caller whose ctx ends while waiting gets ctx.Err().
func (c *answerCache) get(ctx context.Context, sessionID, token string) (*User, error) {
	key := keyFor(sessionID, token)
	c.mu.Lock()
	now := c.now().UnixNano()
	if e, ok := c.recent.lookup(key); ok {
		a, f := e.val, c.flights[key]
		switch {
		case now < e.until:
			if f == nil && c.dueForRefresh(e, now) {
				c.refreshLocked(ctx, key, token)
			}
			c.mu.Unlock()
			c.obs.cacheHit()
			return a.result()
		case f != nil && f.background && a.retryAt == 0:
			// Past its age, but the refresh it had in time is still
			// out: the hub is slow, and the answer is used until it
			// speaks.
			c.mu.Unlock()
			c.obs.cacheHit()
			return a.result()
		case now >= e.until+int64(c.staleFor):
			c.removeLocked(e)
		case a.retryAt != 0:
			// The hub failed the last time it was asked about this
			// answer: use it again, and ask again now and then.
			if f == nil && now >= a.retryAt {
				c.refreshLocked(ctx, key, token)
			}
			c.mu.Unlock()
			c.staleUsed()
			return a.result()
		}
		// Otherwise the answer is past its age: the hub decides, and the
		// answer stays only to fall back on should the hub fail.
	}
	c.obs.cacheMiss()
	if f, ok := c.flights[key]; ok {
		c.mu.Unlock()
		select {
		case <-f.done:
			return c.resultOf(f)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	f := &flight{done: make(chan struct{})}
	c.flights[key] = f
	c.mu.Unlock()
	c.land(ctx, key, token, f)
	return c.resultOf(f)
}

// dueForRefresh reports whether the answer in e, still within its age,
// should be asked again ahead: it identified a caller, its age is almost
// up, and the hub has not just failed about it.
func (c *answerCache) dueForRefresh(e *lruEntry[cacheKey, *answer], now int64) bool {
	a := e.val
	return a.user != nil && c.refreshBefore > 0 && now >= e.until-int64(c.refreshBefore) && now >= a.retryAt
}

// refreshLocked asks the hub about key again in the background; callers
// keep using the answer they have meanwhile. The call keeps ctx's values
// but not its end: the request that started it may be long gone when the
// hub answers.
func (c *answerCache) refreshLocked(ctx context.Context, key cacheKey, token string) {
	f := &flight{done: make(chan struct{}), background: true}
	c.flights[key] = f
	ctx = context.WithoutCancel(ctx)
	go func() {
		c.land(ctx, key, token, f)
		c.obs.cacheRefreshed(f.err)
	}()
}

// resultOf is what a caller of flight f gets.
func (c *answerCache) resultOf(f *flight) (*User, error) {
	if f.stale {
		c.staleUsed()
	}
	return f.user, f.err
}

func (c *answerCache) staleUsed() {
	c.obs.cacheStale()
	c.outage.staleUsed()
}

// land makes flight f's call to the hub about key and stores what the
// hub said: an answer replaces the old one; a refusal replaces it too,
// and every other answer for the token goes; a failure leaves the old
// answer as it is, to be used again (for the callers of f too, unless f
// is a refresh nobody waits for) when it is not too old.
func (c *answerCache) land(ctx context.Context, key cacheKey, token string, f *flight) {
	user, err := c.fetch(context.WithoutCancel(ctx), token)
	tk := tokenKeyFor(token)
	c.mu.Lock()
	now := c.now().UnixNano()
	delete(c.flights, key)
	switch {
	case err == nil:
		c.storeLocked(key, &answer{user: user, token: tk}, now)
	case err == ErrInvalidToken:
		c.revokeLocked(tk, now)
		c.storeLocked(key, c.refused, now)
	case hubUnavailable(err):
		if e, ok := c.recent.peek(key); ok && (f.background || now < e.until+int64(c.staleFor)) {
			a := e.val
			if a.user != nil {
				a.retryAt = now + int64(hubRetryInterval)
			}
			if !f.background {
				user, err = a.result()
				f.stale = true
			}
		}
	}
	f.user, f.err = user, err
	c.mu.Unlock()
	close(f.done)
}

// storeLocked remembers a for maxAge from now, in place of what key held.
func (c *answerCache) storeLocked(key cacheKey, a *answer, now int64) {
	if c.maxAge <= 0 {
		return
	}
	if e, ok := c.recent.peek(key); ok {
		c.unindexLocked(e)
	}
	e := c.recent.put(key, a, now+int64(c.maxAge))
	c.indexLocked(e)
}

// removeLocked forgets an entry.
func (c *answerCache) removeLocked(e *lruEntry[cacheKey, *answer]) {
	c.unindexLocked(e)
	c.recent.remove(e)
}

// len reports how many answers are remembered (for tests and metrics).
func (c *answerCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.recent.count
}
