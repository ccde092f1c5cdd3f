package hubauth

// The answer cache keys an answer by the hub session and the token
// together (keyFor), so a logout at the hub, which ends the session, is
// seen at once. One token can then have answers under several sessions,
// and when the hub refuses the token under one of them (it was revoked,
// or expired), the others must go too: otherwise they would admit the
// token until their own age ran out.
//
// The index below finds them: for every token with answers that
// identified a caller, a chain of those entries, under the token's own
// key. Refusals are not indexed (a refused token has nothing to revoke),
// so a flood of junk tokens costs the index nothing; the chain's links
// live in the answers of identified callers, which are few and each hold
// a whole user model already. The index holds hashes only, never a token.

// tokenKeyFor is a token's own key, whatever the session: its cache key
// without one.
func tokenKeyFor(token string) cacheKey { return keyFor("", token) }

// indexLocked adds e, just stored, to its token's chain.
func (c *answerCache) indexLocked(e *lruEntry[cacheKey, *answer]) {
	a := e.val
	if a.user == nil {
		return
	}
	a.sameToken = c.byToken[a.token]
	c.byToken[a.token] = e
}

// unindexLocked takes e out of its token's chain, before it is removed
// or its answer replaced. Chains are short (one entry per session the
// token was used in), so walking one costs next to nothing.
func (c *answerCache) unindexLocked(e *lruEntry[cacheKey, *answer]) {
	a := e.val
	if a.user == nil {
		return
	}
	var prev *lruEntry[cacheKey, *answer]
	for x := c.byToken[a.token]; x != nil; prev, x = x, x.val.sameToken {
		if x != e {
			continue
		}
		switch {
		case prev != nil:
			prev.val.sameToken = a.sameToken
		case a.sameToken != nil:
			c.byToken[a.token] = a.sameToken
		default:
			delete(c.byToken, a.token)
		}
		a.sameToken = nil
		return
	}
}

// revokeLocked turns every answer that identified a caller with the
// token whose key is tk, under whatever session it was cached, into the
// refusal the hub just gave at now: the token is refused everywhere at
// once, without asking the hub again for each session.
func (c *answerCache) revokeLocked(tk cacheKey, now int64) {
	for e := c.byToken[tk]; e != nil; {
		next := e.val.sameToken
		e.val.sameToken = nil
		e.val, e.until = c.refused, now+int64(c.maxAge)
		e = next
	}
	delete(c.byToken, tk)
}
