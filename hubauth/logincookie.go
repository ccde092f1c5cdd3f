package hubauth

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/securecookie"
)

// loginCookie is the cookie that keeps a browser logged in: the hub token
// its login got, sealed (encrypted and signed, with the time it was
// sealed) under the service's login keys, and named after the client id.
// Opening it is the first step of identifying a browser; the token inside
// is then checked with the hub like any other (Authenticator.check).
type loginCookie struct {
	name   string
	path   string // Config.CookiePath; "" for the jar's
	jar    *cookieJar
	codecs []securecookie.Codec // newest key first; old ones only open
	// maxAge is the codecs' age limit in whole seconds, as securecookie
	// checks it (sealed time + maxAge, inclusive).
	maxAge      int64
	lifetime    time.Duration  // the browser's Max-Age
	sessionOnly bool           // no Max-Age: a browser-session cookie
	opened      *openedCookies // login cookies already opened; nil: none kept
}

func newLoginCookie(cfg Config, jar *cookieJar, keys *cookieKeys) *loginCookie {
	return &loginCookie{
		name:        loginCookieName(cfg),
		path:        cfg.CookiePath,
		jar:         jar,
		codecs:      keys.login,
		maxAge:      keys.loginMaxAge,
		lifetime:    cfg.CookieOptions.loginMaxAge(),
		sessionOnly: cfg.CookieOptions.SessionOnly,
		opened:      newOpenedCookies(cfg.CacheMaxAge, cfg.CacheSize),
	}
}

// set seals the hub token into the login cookie.
func (l *loginCookie) set(w http.ResponseWriter, r *http.Request, token string) error {
	v, err := securecookie.EncodeMulti(l.name, token, l.codecs...)
	if err != nil {
		return err
	}
	c := l.cookie(r, v)
	if !l.sessionOnly {
		c.MaxAge = int(l.lifetime / time.Second)
	}
	http.SetCookie(w, c)
	return nil
}

// open opens the request's login cookie. present is false when there is
// none; err is set when there is one that cannot be opened (tampered,
// expired, or sealed with a key no longer accepted).
func (l *loginCookie) open(r *http.Request) (token string, present bool, err error) {
	v, ok := cookieValue(r, l.name)
	if !ok {
		return "", false, nil
	}
	token, err = l.openValue(v)
	return token, true, err
}

// has reports whether the request carries a login cookie, valid or not.
func (l *loginCookie) has(r *http.Request) bool {
	_, ok := cookieValue(r, l.name)
	return ok
}

// clear tells the browser to drop the login cookie.
func (l *loginCookie) clear(w http.ResponseWriter, r *http.Request) {
	c := l.cookie(r, "")
	c.MaxAge = -1
	http.SetCookie(w, c)
}

// cookie is the login cookie with value, at its path.
func (l *loginCookie) cookie(r *http.Request, value string) *http.Cookie {
	c := l.jar.cookie(r, l.name, value)
	if l.path != "" {
		c.Path = l.path
	}
	return c
}

// maxSealedLen is the longest cookie value securecookie opens (its
// default MaxLength); longer ones are refused without hashing them.
const maxSealedLen = 4096

// openValue opens a login cookie value: from the cache of opened cookies
// when this exact value was opened before and its sealed age has not run
// out, else with the full check (MAC with each configured key, sealed age,
// decryption), remembering the value if it passes.
func (l *loginCookie) openValue(v string) (string, error) {
	cacheable := l.opened != nil && len(v) <= maxSealedLen
	var key openedKey
	if cacheable {
		key = openedKeyFor(v)
		if token, ok := l.opened.get(key); ok {
			return token, nil
		}
	}
	var token string
	if err := securecookie.DecodeMulti(l.name, v, &token, l.codecs...); err != nil {
		return "", err
	}
	if cacheable {
		if sealed, ok := sealedAt(v); ok {
			var until int64 // 0: the age is not limited
			if l.maxAge > 0 {
				until = sealed + l.maxAge
			}
			l.opened.put(key, token, until)
		}
	}
	return token, nil
}

// sealedAt reads the time (Unix seconds) a securecookie value was sealed:
// it is the value's first field, in the clear but under the MAC. Only for
// values securecookie has just opened.
func sealedAt(v string) (int64, bool) {
	b, err := base64.URLEncoding.DecodeString(v)
	if err != nil {
		return 0, false
	}
	ts, _, ok := strings.Cut(string(b), "|")
	if !ok {
		return 0, false
	}
	t, err := strconv.ParseInt(ts, 10, 64)
	return t, err == nil
}

// openedKey names one login cookie value: SHA-256 over the exact value the
// browser sent. A value changed in any way (tampered, truncated, sealed
// again) has another key, so it is never found here and goes through the
// full MAC check; and each entry is small whatever the browser sent.
type openedKey [sha256.Size]byte

// openedCookies remembers login cookies this process has opened, so a
// browser's next requests skip the decryption and MAC check (about 2 µs
// and 16 allocations each; see bench/NOTES.md, "The cookie path").
//
// It weakens nothing:
//   - Only a cookie that was opened (its MAC checked with a configured key,
//     its sealed age within the limit) is ever stored, under the hash of its
//     exact value; anything else is looked up, missed, and refused by the
//     full check, which is why a flood of junk cookies neither grows the
//     cache nor evicts anything from it.
//   - Each entry keeps the second the cookie's sealed age runs out (the
//     same rule securecookie applies: sealed time + max age) and is checked
//     against the clock on every hit, so a cookie expires on time whether
//     it is remembered or not.
//   - Keys no longer configured opened nothing in this process, whose
//     cache is built with its keys and lives as long as they do.
//   - The hub's verdict on the token is not cached here: every request
//     still goes through the answer cache, with its own max age.
//
// Entries also last at most maxAge (HUBAUTH_CACHE_MAX_AGE), so the tokens
// of browsers that went away leave memory as their hub answers do, and
// HUBAUTH_CACHE_MAX_AGE=0 turns this cache off with the other. At most size
// cookies (HUBAUTH_CACHE_SIZE) are kept; the least recently used goes
// first. Only a genuine cookie can push another out, and each takes a login
// (or, with JUPYTERHUB_ALLOW_TOKEN_IN_URL, a request with a valid token) to
// make; a browser whose cookie was pushed out pays one full check on its next
// request, nothing more. A nil *openedCookies remembers nothing.
//
// Holding the token in memory between requests is the price: a process
// whose memory can be read also gives up its cookie keys and API token,
// so this exposes nothing new to such a reader.
type openedCookies struct {
	maxAge time.Duration
	now    func() time.Time

	mu     sync.Mutex
	recent *lru[openedKey, string] // the hub token; until: the last valid second (Unix)
}

// newOpenedCookies returns nil (no cache) when maxAge or size is not
// positive.
func newOpenedCookies(maxAge time.Duration, size int) *openedCookies {
	if maxAge <= 0 || size < 1 {
		return nil
	}
	return &openedCookies{maxAge: maxAge, now: time.Now, recent: newLRU[openedKey, string](size)}
}

// openedKeyFor hashes a cookie value. It goes through a buffer on the
// stack: converting the whole value ([]byte(value)) would allocate a copy
// of it for every request.
func openedKeyFor(value string) openedKey {
	h := sha256.New()
	var buf [256]byte
	for len(value) > 0 {
		n := copy(buf[:], value)
		h.Write(buf[:n])
		value = value[n:]
	}
	var k openedKey
	h.Sum(k[:0])
	return k
}

// get returns the token of a remembered cookie that is still valid now. An
// entry found past its time is dropped.
func (c *openedCookies) get(key openedKey) (string, bool) {
	if c == nil {
		return "", false
	}
	now := c.now().Unix()
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.recent.lookup(key)
	if !ok {
		return "", false
	}
	if now > e.until {
		c.recent.remove(e)
		return "", false
	}
	return e.val, true
}

// put remembers a cookie just opened, which holds token and may be used
// up to and including the second validUntil (0: its age is not limited).
func (c *openedCookies) put(key openedKey, token string, validUntil int64) {
	if c == nil {
		return
	}
	limit := c.now().Add(c.maxAge).Unix()
	if validUntil == 0 || validUntil > limit {
		validUntil = limit
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.recent.put(key, token, validUntil)
}

// len reports how many cookies are remembered (for tests).
func (c *openedCookies) len() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.recent.count
}
