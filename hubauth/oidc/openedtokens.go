package oidc

import (
	"crypto/sha256"
	"sync"
	"time"
)

// openedTokens remembers access tokens this process has opened, so a
// client that asks userinfo again and again with the same token skips the
// MAC check, the decryption and the decoding (most of a cached request's
// time: see bench/OIDC_RESULTS.md), as hubauth does for login cookies.
//
// It weakens nothing:
//   - only a token that was opened (its MAC checked with a configured key)
//     is stored, under the SHA-256 of its exact bytes: anything else is
//     looked up, missed and refused by the full check, so junk tokens
//     neither grow the cache nor push anything out of it;
//   - an entry lasts until the token's own expiry, and at most maxAge
//     (HUBAUTH_CACHE_MAX_AGE), checked on every hit;
//   - the hub's verdict on the hub token inside is not kept here: every
//     request still asks the answer cache, with its own max age.
//
// At most size tokens (HUBAUTH_CACHE_SIZE) are kept; when it is full, an
// arbitrary one goes, which costs its client one full check. A nil
// *openedTokens remembers nothing.
type openedTokens struct {
	maxAge time.Duration
	size   int

	mu     sync.Mutex
	tokens map[[sha256.Size]byte]openedToken
}

type openedToken struct {
	contents accessContents
	until    int64 // the last Unix second it may be used
}

// newOpenedTokens returns nil (no cache) when maxAge or size is not
// positive.
func newOpenedTokens(maxAge time.Duration, size int) *openedTokens {
	if maxAge <= 0 || size < 1 {
		return nil
	}
	return &openedTokens{maxAge: maxAge, size: size, tokens: map[[sha256.Size]byte]openedToken{}}
}

// get returns what the token held, if it was opened before and is still
// valid now.
func (o *openedTokens) get(token string, now time.Time) (accessContents, bool) {
	if o == nil {
		return accessContents{}, false
	}
	key := sha256.Sum256([]byte(token))
	o.mu.Lock()
	defer o.mu.Unlock()
	e, ok := o.tokens[key]
	if !ok {
		return accessContents{}, false
	}
	if now.Unix() >= e.until {
		delete(o.tokens, key)
		return accessContents{}, false
	}
	return e.contents, true
}

// put remembers a token just opened.
func (o *openedTokens) put(token string, ac accessContents, now time.Time) {
	if o == nil {
		return
	}
	until := min(ac.Expires, now.Add(o.maxAge).Unix())
	key := sha256.Sum256([]byte(token))
	o.mu.Lock()
	defer o.mu.Unlock()
	if _, ok := o.tokens[key]; !ok && len(o.tokens) >= o.size {
		for k := range o.tokens {
			delete(o.tokens, k)
			break
		}
	}
	o.tokens[key] = openedToken{contents: ac, until: until}
}
