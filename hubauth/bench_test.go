package hubauth

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// Benchmarks for the per-request hot path: finding the token, the cache
// key, a cache hit, the scope check, opening the login cookie, and the
// middlewares with the hub's answer already cached.
//
//	go test -run XXX -bench . -benchmem ./hubauth/

// benchWriter is a ResponseWriter that keeps only the status, so the
// middleware numbers measure hubauth rather than httptest.ResponseRecorder.
type benchWriter struct {
	header http.Header
	status int
}

func newBenchWriter() *benchWriter { return &benchWriter{header: http.Header{}} }

func (w *benchWriter) Header() http.Header { return w.header }

func (w *benchWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *benchWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return len(p), nil
}

// reset readies w for the next request; it allocates nothing unless a
// handler set headers.
func (w *benchWriter) reset() {
	w.status = 0
	if len(w.header) > 0 {
		clear(w.header)
	}
}

// adaOnly answers 200 only when the middleware let ada through, so a
// benchmark cannot silently measure a refusal.
var adaOnly = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	if u := UserFromContext(r.Context()); u == nil || u.Name != "ada" {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
})

func newBenchAuth(b *testing.B, cfg Config) *Authenticator {
	b.Helper()
	a, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	return a
}

func tokenRequest(token string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/services/whoami/", nil)
	r.Header.Set("Authorization", "token "+token)
	r.Header.Set("Accept", "application/json")
	r.Header.Set("User-Agent", "python-requests/2.32.3")
	return r
}

func BenchmarkTokenFromHeader(b *testing.B) {
	r := tokenRequest(adaToken)
	b.Run("tokenFromHeader", func(b *testing.B) {
		b.ReportAllocs()
		var got string
		for b.Loop() {
			got = tokenFromHeader(r)
		}
		if got != adaToken {
			b.Fatalf("tokenFromHeader = %q", got)
		}
	})
	b.Run("tokenFrom", func(b *testing.B) {
		allowInURL := testConfig("http://127.0.0.1:1/hub/api").AllowTokenInURL // false: the default
		b.ReportAllocs()
		var got string
		for b.Loop() {
			got = tokenFrom(r, allowInURL)
		}
		if got != adaToken {
			b.Fatalf("tokenFrom = %q", got)
		}
	})
}

func BenchmarkKeyFor(b *testing.B) {
	for _, sid := range []string{"", "0123456789abcdef0123456789abcdef"} {
		b.Run(fmt.Sprintf("session=%d", len(sid)), func(b *testing.B) {
			want := cacheKey(sha256.Sum256([]byte(sid + "\x00" + adaToken)))
			b.ReportAllocs()
			var k cacheKey
			for b.Loop() {
				k = keyFor(sid, adaToken)
			}
			if k != want {
				b.Fatalf("keyFor = %x, want %x", k, want)
			}
		})
	}
}

func BenchmarkCacheHit(b *testing.B) {
	ada, err := ParseUser([]byte(adaModel))
	if err != nil {
		b.Fatal(err)
	}
	c := newAnswerCache(DefaultCacheMaxAge, DefaultCacheSize)
	c.refreshBefore = refreshWindow(DefaultCacheMaxAge, DefaultHubTimeout)
	c.staleFor = DefaultStaleIfError
	ctx := context.Background()
	var fetches atomic.Int64
	c.fetch = func(context.Context, string) (*User, error) {
		fetches.Add(1)
		return ada, nil
	}
	// A cache with other entries in it, as on a busy service.
	for i := range 1000 {
		if _, err := c.get(ctx, "", fmt.Sprintf("other-token-%d", i)); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := c.get(ctx, "", adaToken); err != nil {
		b.Fatal(err)
	}
	fetches.Store(0)

	// get hashes the session and the token into the key, then looks it
	// up (BenchmarkKeyFor is the hashing alone).
	b.ReportAllocs()
	var u *User
	for b.Loop() {
		u, err = c.get(ctx, "", adaToken)
	}
	if err != nil || u != ada || fetches.Load() != 0 {
		b.Fatalf("get = %v, %v after %d fetches; want the cached user", u, err, fetches.Load())
	}
}

// userScopes is what the hub sends for an ordinary user with the default
// "user" role (self, expanded and filtered) who may use whoami.
var userScopes = []string{
	"read:users:name!user=ada",
	"read:users:groups!user=ada",
	"read:users:activity!user=ada",
	"users:activity!user=ada",
	"read:servers!user=ada",
	"access:servers!user=ada",
	"delete:servers!user=ada",
	"servers!user=ada",
	"read:tokens!user=ada",
	"tokens!user=ada",
	"read:groups:name!group=g",
	"access:services!service=whoami",
}

func BenchmarkGrantedScope(b *testing.B) {
	wanted := []string{"access:services!service=whoami"}
	b.Run("granted-last", func(b *testing.B) {
		b.ReportAllocs()
		var got string
		var ok bool
		for b.Loop() {
			got, ok = grantedScope(userScopes, wanted)
		}
		if !ok || got != wanted[0] {
			b.Fatalf("grantedScope = %q, %v", got, ok)
		}
	})
	b.Run("not-granted", func(b *testing.B) {
		have := append(userScopes[:len(userScopes)-1:len(userScopes)-1], "access:services!service=other")
		b.ReportAllocs()
		var ok bool
		for b.Loop() {
			_, ok = grantedScope(have, wanted)
		}
		if ok {
			b.Fatal("grantedScope granted access:services!service=other for whoami")
		}
	})
	b.Run("ScopeGrants", func(b *testing.B) {
		// The costliest single comparison: same base, both filtered.
		b.ReportAllocs()
		var ok bool
		for b.Loop() {
			ok = ScopeGrants("access:services!service=whoami2", wanted[0])
		}
		if ok {
			b.Fatal("ScopeGrants granted another service's scope")
		}
	})
}

func BenchmarkLoginCookieDecode(b *testing.B) {
	cfg := oauthConfig("http://127.0.0.1:1/hub/api")
	keys, err := newCookieKeys(cfg)
	if err != nil {
		b.Fatal(err)
	}
	jar := newCookieJar(cfg)
	login, xsrf := newLoginCookie(cfg, jar, keys), newXSRFTokens(cfg, jar, keys)
	w := httptest.NewRecorder()
	if err := login.set(w, httptest.NewRequest(http.MethodGet, "/", nil), adaToken); err != nil {
		b.Fatal(err)
	}
	genuine := w.Result().Cookies()[0]
	request := func(login *http.Cookie) *http.Request {
		r := httptest.NewRequest(http.MethodGet, "/services/whoami/", nil)
		r.AddCookie(login)
		r.AddCookie(&http.Cookie{Name: xsrfCookieName, Value: xsrf.token(adaToken)})
		return r
	}
	junk := *genuine
	junk.Value = tamper(junk.Value, len(junk.Value)/2)
	opened := login.opened
	for _, bc := range []struct {
		name   string
		cookie *http.Cookie
		cache  *openedCookies // nil: the full check every time
		wantOK bool
	}{
		// A browser's cookie, opened before: a cache hit.
		{"cached", genuine, opened, true},
		// The full check (MAC, sealed age, AES, JSON) on every request,
		// as without the cache.
		{"full-check", genuine, nil, true},
		// A tampered cookie, refused by its MAC, with and without the
		// cache: what each junk cookie of a flood costs.
		{"junk", &junk, opened, false},
		{"junk-no-cache", &junk, nil, false},
	} {
		b.Run(bc.name, func(b *testing.B) {
			login.opened = bc.cache
			r := request(bc.cookie)
			var token string
			var present bool
			var err error
			b.ReportAllocs()
			for b.Loop() {
				token, present, err = login.open(r)
			}
			if !present || (err == nil) != bc.wantOK || (bc.wantOK && token != adaToken) {
				b.Fatalf("loginToken = %q, %v, %v", token, present, err)
			}
			if n := opened.len(); n != 1 {
				b.Fatalf("%d opened cookies remembered, want 1", n)
			}
		})
	}
}

// cachedMiddleware is Authenticator.Middleware around adaOnly, with ada's
// answer already cached by one warm-up request.
func cachedMiddleware(b *testing.B) (http.Handler, *fakeHub, *http.Request) {
	b.Helper()
	hub := newFakeHub(b)
	hub.addUser(adaToken, adaModel)
	h := newBenchAuth(b, testConfig(hub.apiURL())).Middleware(adaOnly)
	r := tokenRequest(adaToken)
	w := newBenchWriter()
	h.ServeHTTP(w, r)
	if w.status != http.StatusOK || hub.calls.Load() != 1 {
		b.Fatalf("warm-up: status %d after %d hub calls", w.status, hub.calls.Load())
	}
	return h, hub, r
}

// serveLoop serves r over and over, requiring 200 each time and, at the
// end, that the hub was asked once in all (by the warm-up).
func serveLoop(b *testing.B, h http.Handler, r *http.Request, w *benchWriter, hub *fakeHub) {
	b.Helper()
	b.ReportAllocs()
	for b.Loop() {
		w.reset()
		h.ServeHTTP(w, r)
		if w.status != http.StatusOK {
			b.Fatalf("status %d", w.status)
		}
	}
	if n := hub.calls.Load(); n != 1 {
		b.Fatalf("the hub was called %d times, want 1", n)
	}
}

func BenchmarkMiddlewareCached(b *testing.B) {
	h, hub, r := cachedMiddleware(b)
	w := newBenchWriter()
	serveLoop(b, h, r, w, hub)
}

func BenchmarkMiddlewareCachedParallel(b *testing.B) {
	h, hub, r := cachedMiddleware(b)
	var bad atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		// Each goroutine its own request, as the server gives each
		// connection its own.
		r := r.Clone(context.Background())
		w := newBenchWriter()
		for pb.Next() {
			w.reset()
			h.ServeHTTP(w, r)
			if w.status != http.StatusOK {
				bad.Add(1)
			}
		}
	})
	b.StopTimer()
	if n := bad.Load(); n != 0 {
		b.Fatalf("%d requests were not answered 200", n)
	}
	if n := hub.calls.Load(); n != 1 {
		b.Fatalf("the hub was called %d times, want 1", n)
	}
}

func BenchmarkOAuthMiddlewareCookie(b *testing.B) {
	benchCookieMiddleware(b, true)
}

// BenchmarkOAuthMiddlewareCookieFullCheck is the cookie path opening the
// login cookie in full on every request (no cache of opened cookies).
func BenchmarkOAuthMiddlewareCookieFullCheck(b *testing.B) {
	benchCookieMiddleware(b, false)
}

func benchCookieMiddleware(b *testing.B, cacheOpened bool) {
	hub := newFakeHub(b)
	hub.addUser(adaToken, adaModel)
	o, err := NewOAuth(newBenchAuth(b, oauthConfig(hub.apiURL())))
	if err != nil {
		b.Fatal(err)
	}
	if !cacheOpened {
		o.login.opened = nil
	}
	h := o.Middleware(adaOnly)
	rec := httptest.NewRecorder()
	if err := o.login.set(rec, httptest.NewRequest(http.MethodGet, "/", nil), adaToken); err != nil {
		b.Fatal(err)
	}
	// A browser's navigation to the service: login cookie, the _xsrf
	// cookie it was given (so no Set-Cookie is needed), fetch metadata.
	r := httptest.NewRequest(http.MethodGet, "/services/whoami/", nil)
	r.AddCookie(rec.Result().Cookies()[0])
	r.AddCookie(&http.Cookie{Name: xsrfCookieName, Value: o.csrf.token(adaToken)})
	r.Header.Set("Sec-Fetch-Mode", "navigate")
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	r.Header.Set("Accept", "text/html,application/xhtml+xml")
	r.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0")

	w := newBenchWriter()
	h.ServeHTTP(w, r)
	if w.status != http.StatusOK || hub.calls.Load() != 1 || len(w.header) != 0 {
		b.Fatalf("warm-up: status %d, headers %v after %d hub calls", w.status, w.header, hub.calls.Load())
	}
	serveLoop(b, h, r, w, hub)
	if len(w.header) != 0 {
		b.Fatalf("a logged-in navigation set headers: %v", w.header)
	}
	if want := map[bool]int{true: 1, false: 0}[cacheOpened]; o.login.opened.len() != want {
		b.Fatalf("%d opened cookies remembered, want %d", o.login.opened.len(), want)
	}
}
