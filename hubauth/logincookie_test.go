package hubauth

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/stretchr/testify/require"
)

// sealLogin seals token in a login cookie value the way the callback does.
func sealLogin(t testing.TB, o *OAuth, token string) string {
	t.Helper()
	rec := httptest.NewRecorder()
	require.NoError(t, o.login.set(rec, httptest.NewRequest(http.MethodGet, "/", nil), token))
	for _, c := range rec.Result().Cookies() {
		if c.Name == o.login.name {
			return c.Value
		}
	}
	t.Fatal("setLogin set no login cookie")
	return ""
}

// cookieGet is a browser's page load with the given login cookie value.
func cookieGet(o *OAuth, value string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/services/whoami/", nil)
	r.AddCookie(&http.Cookie{Name: o.login.name, Value: value})
	r.Header.Set("Sec-Fetch-Mode", "navigate")
	return r
}

// serveCookie runs the OAuth middleware on one request and returns the
// status and the user the app saw ("" when it was not reached).
func serveCookie(h http.Handler, r *http.Request) (int, string) {
	var seen string
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if v := w.Header().Get("X-Seen-User"); v != "" {
		seen = v
	}
	return w.Code, seen
}

func seenUserApp() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u := UserFromContext(r.Context()); u != nil {
			w.Header().Set("X-Seen-User", u.Name)
		}
	})
}

// tamper returns the sealed value with one bit of byte i (of the decoded
// value: timestamp, ciphertext or MAC) flipped. Changing a character of the
// base64 text is not always a change: the last character before the padding
// has bits the decoder ignores, so such a value opens as the original.
func tamper(value string, i int) string {
	b, err := base64.URLEncoding.DecodeString(value)
	if err != nil {
		panic(err)
	}
	b[i%len(b)] ^= 1
	return base64.URLEncoding.EncodeToString(b)
}

func TestOpenedCookieCacheRefusesWhileWarm(t *testing.T) {
	hub := newFakeHub(t)
	hub.addUser(adaToken, adaModel)
	o := newTestOAuth(t, oauthConfig(hub.apiURL()))
	h := o.Middleware(seenUserApp())
	genuine := sealLogin(t, o, adaToken)

	warm := func(t *testing.T) {
		t.Helper()
		code, user := serveCookie(h, cookieGet(o, genuine))
		require.Equal(t, http.StatusOK, code)
		require.Equal(t, "ada", user)
		_, hit := o.login.opened.get(openedKeyFor(genuine))
		require.True(t, hit, "the genuine cookie is remembered")
	}

	// Another key's cookie for the same name: its MAC does not verify.
	otherKeys := oauthConfig(hub.apiURL())
	otherKeys.CookieSecret = bytes.Repeat([]byte{7}, 32)
	foreign := sealLogin(t, newTestOAuth(t, otherKeys), adaToken)

	for _, tc := range []struct {
		name  string
		value string
	}{
		{"first character changed", strings.Replace(genuine, genuine[:1], string(genuine[0]^1), 1)},
		{"ciphertext changed", tamper(genuine, len(genuine)/3)},
		{"timestamp changed", tamper(genuine, 0)},
		{"last MAC byte changed", tamper(genuine, -1+len(genuine)*3/4)},
		{"truncated", genuine[:len(genuine)-4]},
		{"appended to", genuine + "AAAA"},
		{"sealed with another key", foreign},
		{"empty", ""},
		{"junk", "not-a-sealed-cookie"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			warm(t)
			require.NotEqual(t, genuine, tc.value)
			before := o.login.opened.len()
			_, _, err := o.login.open(cookieGet(o, tc.value))
			require.Error(t, err)
			code, user := serveCookie(h, cookieGet(o, tc.value))
			require.Equal(t, http.StatusFound, code, "a page load with a bad login cookie goes to log in")
			require.Empty(t, user)
			require.Equal(t, before, o.login.opened.len(), "a refused cookie is not remembered")
		})
	}
}

func TestOpenedCookieCacheExpiresWhileWarm(t *testing.T) {
	hub := newFakeHub(t)
	hub.addUser(adaToken, adaModel)
	cfg := oauthConfig(hub.apiURL())
	cfg.CookieOptions.MaxAge = time.Second // the smallest sealed age
	o := newTestOAuth(t, cfg)
	h := o.Middleware(seenUserApp())
	v := sealLogin(t, o, adaToken)
	sealed, ok := sealedAt(v)
	require.True(t, ok)

	code, user := serveCookie(h, cookieGet(o, v))
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "ada", user)
	require.Equal(t, 1, o.login.opened.len())

	// securecookie accepts up to and including sealed+1; wait past it.
	time.Sleep(time.Until(time.Unix(sealed+2, 0)) + 50*time.Millisecond)
	// The full check agrees that it has expired...
	var tok string
	require.Error(t, securecookie.DecodeMulti(o.login.name, v, &tok, o.login.codecs...))
	// ...and the warm cache does not answer for it.
	code, user = serveCookie(h, cookieGet(o, v))
	require.Equal(t, http.StatusFound, code, "an expired login cookie sends the browser to log in")
	require.Empty(t, user)
	require.Equal(t, 0, o.login.opened.len(), "the expired entry is dropped")
}

func TestOpenedCookiesClock(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	c := newOpenedCookies(5*time.Minute, 10)
	c.now = func() time.Time { return now }
	for _, tc := range []struct {
		name      string
		until     int64 // as put is given it
		at        time.Duration
		wantValid bool
	}{
		{"inside the sealed age", now.Unix() + 60, 59 * time.Second, true},
		{"the last second of the sealed age", now.Unix() + 60, 60 * time.Second, true},
		{"one second past the sealed age", now.Unix() + 60, 61 * time.Second, false},
		{"sealed age longer than the cache's max age: max age wins", now.Unix() + 3600, 5*time.Minute + time.Second, false},
		{"no sealed age: the cache's max age", 0, 5 * time.Minute, true},
		{"no sealed age, past the cache's max age", 0, 5*time.Minute + time.Second, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key := openedKeyFor(tc.name)
			c.put(key, "tok", tc.until)
			defer func(saved time.Time) { now = saved }(now)
			now = now.Add(tc.at)
			tok, ok := c.get(key)
			require.Equal(t, tc.wantValid, ok)
			if ok {
				require.Equal(t, "tok", tok)
			}
		})
	}
	require.Nil(t, newOpenedCookies(0, 10), "HUBAUTH_CACHE_MAX_AGE=0 keeps no opened cookies")
}

func TestOpenedCookieKeyNoLongerConfigured(t *testing.T) {
	hub := newFakeHub(t)
	hub.addUser(adaToken, adaModel)
	oldSecret := bytes.Repeat([]byte{1}, 32)
	newSecret := bytes.Repeat([]byte{2}, 32)
	withOld := oauthConfig(hub.apiURL())
	withOld.CookieSecret = oldSecret
	o1 := newTestOAuth(t, withOld)
	v := sealLogin(t, o1, adaToken)
	code, user := serveCookie(o1.Middleware(seenUserApp()), cookieGet(o1, v))
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "ada", user)

	for _, tc := range []struct {
		name   string
		old    [][]byte
		wantOK bool
	}{
		{"old secret kept for rotation", [][]byte{oldSecret}, true},
		{"old secret removed", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := oauthConfig(hub.apiURL())
			cfg.CookieSecret = newSecret
			cfg.OldCookieSecrets = tc.old
			o := newTestOAuth(t, cfg)
			h := o.Middleware(seenUserApp())
			for range 2 { // the second time, a cache hit if it was stored
				code, user := serveCookie(h, cookieGet(o, v))
				if tc.wantOK {
					require.Equal(t, http.StatusOK, code)
					require.Equal(t, "ada", user)
				} else {
					require.Equal(t, http.StatusFound, code)
					require.Empty(t, user)
					require.Equal(t, 0, o.login.opened.len())
				}
			}
		})
	}
}

func TestOpenedCookieCacheBoundedUnderFlood(t *testing.T) {
	hub := newFakeHub(t)
	hub.addUser(adaToken, adaModel)
	cfg := oauthConfig(hub.apiURL())
	cfg.CacheSize = 50
	o := newTestOAuth(t, cfg)
	genuine := sealLogin(t, o, adaToken)
	_, _, err := o.login.open(cookieGet(o, genuine))
	require.NoError(t, err)

	junk := func(i int) string {
		switch i % 3 {
		case 0: // random bytes the length of a real cookie
			b := make([]byte, len(genuine)*3/4)
			_, _ = rand.Read(b)
			return base64.URLEncoding.EncodeToString(b)
		case 1: // the genuine cookie with one byte changed
			return tamper(genuine, i%len(genuine))
		default: // a well-formed value with a made-up MAC
			return base64.URLEncoding.EncodeToString(fmt.Appendf(nil, "%d|%s|%032d", time.Now().Unix(), "eA==", i))
		}
	}
	for _, tc := range []struct {
		name string
		n    int
	}{{"junk cookies", 5000}} {
		t.Run(tc.name, func(t *testing.T) {
			for i := range tc.n {
				_, _, err := o.login.open(cookieGet(o, junk(i)))
				require.Error(t, err)
			}
			require.Equal(t, 1, o.login.opened.len(), "junk is never remembered")
			_, hit := o.login.opened.get(openedKeyFor(genuine))
			require.True(t, hit, "junk evicts nothing")
			// Refusing junk costs no more allocations with the cache than
			// securecookie's own check: hashing the value allocates nothing.
			j := junk(1)
			withCache := testing.AllocsPerRun(100, func() { _, _ = o.login.openValue(j) })
			bare := testing.AllocsPerRun(100, func() {
				var tok string // escapes into DecodeMulti, as in openLogin
				_ = securecookie.DecodeMulti(o.login.name, j, &tok, o.login.codecs...)
			})
			require.LessOrEqual(t, withCache, bare)
		})
	}

	t.Run("valid cookies beyond the bound", func(t *testing.T) {
		// Many logins (each a distinct sealed value) keep the cache at
		// its bound; the least recently used go first.
		for range 3 * cfg.CacheSize {
			v := sealLogin(t, o, adaToken)
			tok, _, err := o.login.open(cookieGet(o, v))
			require.NoError(t, err)
			require.Equal(t, adaToken, tok)
			require.LessOrEqual(t, o.login.opened.len(), cfg.CacheSize)
		}
		require.Equal(t, cfg.CacheSize, o.login.opened.len())
		// An evicted cookie is still accepted: it is opened again.
		tok, _, err := o.login.open(cookieGet(o, genuine))
		require.NoError(t, err)
		require.Equal(t, adaToken, tok)
	})
}

func TestOpenedCookieCacheConcurrent(t *testing.T) {
	hub := newFakeHub(t)
	hub.addUser(adaToken, adaModel)
	cfg := oauthConfig(hub.apiURL())
	cfg.CacheSize = 8
	o := newTestOAuth(t, cfg)
	h := o.Middleware(seenUserApp())
	values := make([]string, 12) // more than the cache holds, so it evicts
	for i := range values {
		values[i] = sealLogin(t, o, adaToken)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				v := values[(g+i)%len(values)]
				bad := i%4 == 0
				if bad {
					v = tamper(v, (g*31+i)%len(v))
				}
				code, user := serveCookie(h, cookieGet(o, v))
				switch {
				case bad && (code != http.StatusFound || user != ""):
					errs <- fmt.Sprintf("tampered cookie: %d %q", code, user)
				case !bad && (code != http.StatusOK || user != "ada"):
					errs <- fmt.Sprintf("genuine cookie: %d %q", code, user)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	var all []string
	for e := range errs {
		all = append(all, e)
	}
	require.Empty(t, all)
	require.LessOrEqual(t, o.login.opened.len(), cfg.CacheSize)
}

func TestCookieValue(t *testing.T) {
	for _, tc := range []struct {
		name   string
		lines  []string
		want   string
		wantOK bool
	}{
		{"absent", nil, "", false},
		{"only", []string{"a=1"}, "1", true},
		{"among others", []string{"x=0; a=1; b=2"}, "1", true},
		{"first wins", []string{"a=1; a=2"}, "1", true},
		{"across lines", []string{"x=0", "a=3"}, "3", true},
		{"quoted", []string{`a="q"`}, "q", true},
		{"invalid value skipped", []string{`a=b"c; a=ok`}, "ok", true},
		{"spaces around", []string{"  a = 1 ;b=2"}, " 1", true},
		{"prefix is not a match", []string{"aa=1; a_=2"}, "", false},
		{"empty value", []string{"a="}, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header["Cookie"] = tc.lines
			got, ok := cookieValue(r, "a")
			c, err := r.Cookie("a")
			require.Equal(t, err == nil, ok, "agrees with net/http")
			if err == nil {
				require.Equal(t, c.Value, got, "agrees with net/http")
			}
			require.Equal(t, tc.wantOK, ok)
			require.Equal(t, tc.want, got)
		})
	}
	// More cookies than net/http reads: it finds none, and so do we.
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Cookie", "a=1"+strings.Repeat("; x=1", maxCookiesRead))
	_, ok := cookieValue(r, "a")
	require.False(t, ok)
}

func FuzzCookieValue(f *testing.F) {
	for _, s := range []string{"a=1", "x=0; a=1", `a="q"`, "a=1; a=2", ` a = "b" `, "a=\x7f; a=ok", ";;a=;"} {
		f.Add(s, "b=2")
	}
	f.Fuzz(func(t *testing.T, line1, line2 string) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header["Cookie"] = []string{line1, line2}
		for _, name := range []string{"a", xsrfCookieName, sessionCookieName} {
			got, ok := cookieValue(r, name)
			c, err := r.Cookie(name)
			if (err == nil) != ok || (ok && c.Value != got) {
				t.Fatalf("cookieValue(%q) = %q, %v; net/http: %v, %v", name, got, ok, c, err)
			}
			var want bool
			for _, c := range r.CookiesNamed(name) {
				want = want || c.Value == "v"
			}
			if hasCookie(r, name, "v") != want {
				t.Fatalf("hasCookie(%q, v) = %v, net/http %v", name, !want, want)
			}
		}
	})
}
