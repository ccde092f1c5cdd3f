package hubauth

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzSafeNext: whatever the return URL, the redirect stays on the service.
func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/services/whoami/x?y=z", "//evil", "/\\evil", "/%2F%2Fevil", "https://evil/", "/services/whoami/../..//evil",
		"/services/whoami/../../hub/admin", "/services/whoami/%2e%2e/%2E%2E/hub/admin", "/services/whoami/./x", "/services/whoami/a/..", "/services/whoami/.%2e/"} {
		f.Add("/services/whoami/", s)
		f.Add("/", s)
	}
	f.Fuzz(func(t *testing.T, prefix, next string) {
		if u, err := url.Parse(prefix); err != nil || u.Path != prefix || u.RawPath != "" || checkPrefix(prefix) != nil {
			return // prefixes are plain paths that Config.Validate accepted
		}
		got := safeNext(prefix, next)
		if !strings.HasPrefix(got, prefix) {
			t.Fatalf("safeNext(%q, %q) = %q leaves the prefix", prefix, next, got)
		}
		u, err := url.Parse(got)
		if err != nil || u.Host != "" || u.Scheme != "" {
			t.Fatalf("safeNext(%q, %q) = %q is not a local path", prefix, next, got)
		}
		p, _ := url.PathUnescape(u.EscapedPath())
		if strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") || strings.ContainsAny(got, "\\\r\n") {
			t.Fatalf("safeNext(%q, %q) = %q could be read as another host", prefix, next, got)
		}

		// What the browser is finally told: the callback hands safeNext's
		// answer to http.Redirect, which cleans the path; the browser then
		// resolves the Location against the service's URL, dot segments
		// (also as %2e) included.
		w := httptest.NewRecorder()
		http.Redirect(w, httptest.NewRequest("GET", prefix+"oauth_callback", nil), got, http.StatusFound)
		loc := w.Header().Get("Location")
		base, _ := url.Parse("http://hub.example" + prefix + "oauth_callback")
		ref, err := url.Parse(loc)
		if err != nil {
			t.Fatalf("safeNext(%q, %q): Location %q does not parse: %v", prefix, next, loc, err)
		}
		final := base.ResolveReference(ref)
		finalPath, err := url.PathUnescape(final.EscapedPath())
		if err != nil || final.Host != "hub.example" || final.Scheme != "http" ||
			!strings.HasPrefix(final.EscapedPath(), prefix) || hasDotSegment(final.EscapedPath()) ||
			strings.HasPrefix(finalPath, "//") || strings.ContainsAny(finalPath, "\\") {
			t.Fatalf("safeNext(%q, %q) = %q: the browser is sent to %q (%s), off the service", prefix, next, got, loc, final)
		}
	})
}

// FuzzOAuthCallback: whatever the browser brings to the callback (query,
// state cookie, login cookie), the answer is a redirect or a 4xx, never a
// 5xx or a panic. The fake hub refuses every code, as it would a forged one.
func FuzzOAuthCallback(f *testing.F) {
	hub := newFakeHub(f)
	hub.token = func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(400)
		_, _ = w.Write([]byte(`{"error": "invalid_grant"}`))
	}
	a, err := New(oauthConfig(hub.apiURL()))
	if err != nil {
		f.Fatal(err)
	}
	o, err := NewOAuth(a)
	if err != nil {
		f.Fatal(err)
	}
	h := o.Middleware(echoUser)

	// A genuine state parameter and cookie to mutate from.
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/services/whoami/", nil))
	loc, _ := url.Parse(w.Header().Get("Location"))
	state := loc.Query().Get("state")
	cookie := w.Result().Cookies()[0].Value
	f.Add("code=c&state="+url.QueryEscape(state), "service-whoami-oauth-state", cookie, "")
	f.Add("code=c&state="+url.QueryEscape(state), "service-whoami-oauth-state-abc", cookie, "x")
	f.Add("error=x&error_description=%ff%00", "", "", "")
	f.Add("code=&state=", "service-whoami-oauth-state", "", "MTIz|bad|cookie")
	f.Add("code=c&state=a.b.c", "service-whoami-oauth-state", "a=b", "")

	f.Fuzz(func(t *testing.T, query, stateName, stateValue, login string) {
		r := httptest.NewRequest("GET", "/services/whoami/oauth_callback", nil)
		r.URL.RawQuery = query
		if stateName != "" {
			r.Header.Add("Cookie", stateName+"="+stateValue)
		}
		if login != "" {
			r.Header.Add("Cookie", "service-whoami="+login)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code >= 500 || (w.Code >= 300 && w.Code < 400 && !strings.HasPrefix(w.Header().Get("Location"), "/services/whoami/")) {
			t.Fatalf("callback ?%s answered %d %s %s", query, w.Code, w.Header().Get("Location"), w.Body.String())
		}
		if w.Code >= 300 && w.Code < 400 {
			// Where the browser lands, dot segments resolved.
			loc, err := url.Parse(w.Header().Get("Location"))
			base, _ := url.Parse("http://hub.example/services/whoami/oauth_callback")
			if err != nil || hasDotSegment(loc.EscapedPath()) || !strings.HasPrefix(base.ResolveReference(loc).EscapedPath(), "/services/whoami/") {
				t.Fatalf("callback ?%s sends the browser to %q", query, w.Header().Get("Location"))
			}
		}
	})
}

// FuzzParseCookieOptions: any JUPYTERHUB_COOKIE_OPTIONS value is read or
// refused with an error, never a panic.
func FuzzParseCookieOptions(f *testing.F) {
	for _, s := range []string{`{}`, `{"secure": true, "samesite": "None"}`, `{"max_age": 1e300}`, `{"expires_days": -1}`, `[]`, `{"domain": 5}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		opts, err := parseCookieOptions(raw)
		if err == nil && opts.MaxAge < 0 {
			t.Fatalf("negative max age from %q", raw)
		}
	})
}

// FuzzStartLogin: whatever cookies and headers a browser without a login
// sends (state cookies of any number, names and values), the answer is a
// redirect to the hub or a 4xx, never a 5xx; the browser ends up with at
// most maxLoginsInFlight state cookies, and the return URL stays on the
// service.
func FuzzStartLogin(f *testing.F) {
	o, err := NewOAuth(mustNew(f, oauthConfig("http://127.0.0.1:1/hub/api")))
	if err != nil {
		f.Fatal(err)
	}
	h := o.Middleware(echoUser)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/services/whoami/", nil))
	genuine := w.Result().Cookies()[0]
	f.Add("/services/whoami/x?y=1", "", genuine.Name+"="+genuine.Value, 1)
	f.Add("/services/whoami/a", "navigate", genuine.Name+"="+genuine.Value+"; "+genuine.Name+"-abc=junk", 9)
	f.Add("/services/whoami/img.png", "no-cors", "", 0)
	f.Add("/services/whoami/../../hub/admin", "", "service-whoami=bad|seal", 3)

	f.Fuzz(func(t *testing.T, path, mode, cookies string, copies int) {
		r := httptest.NewRequest("GET", "/services/whoami/", nil)
		if u, err := url.Parse(path); err == nil && strings.HasPrefix(u.Path, "/services/whoami/") {
			r.URL = u
		}
		if mode != "" {
			r.Header.Set("Sec-Fetch-Mode", mode)
		}
		if cookies != "" {
			r.Header.Set("Cookie", cookies)
		}
		// Many copies of a genuine state cookie under different names,
		// as a browser that started many logins holds them.
		for i := range copies % 40 {
			r.AddCookie(&http.Cookie{Name: genuine.Name + "-" + strings.Repeat("x", i+1), Value: genuine.Value})
		}
		states := 0
		for _, c := range r.Cookies() {
			if o.states.is(c.Name) {
				states++
			}
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		switch {
		case w.Code >= 500:
			t.Fatalf("%s: %d %s", path, w.Code, w.Body.String())
		case w.Code == http.StatusFound:
			loc, err := url.Parse(w.Header().Get("Location"))
			if err != nil || loc.Path != "/hub/api/oauth2/authorize" {
				t.Fatalf("login redirect to %q", w.Header().Get("Location"))
			}
			// Of the state cookies sent, at most maxLoginsInFlight-1 are
			// left alive, and one is added.
			set, cleared := 0, 0
			for _, c := range w.Result().Cookies() {
				if o.states.is(c.Name) {
					if c.MaxAge < 0 {
						cleared++
					} else {
						set++
					}
				}
			}
			if set != 1 || states-cleared > maxLoginsInFlight-1+countDuplicates(r) {
				t.Fatalf("%d state cookies sent, %d cleared, %d set", states, cleared, set)
			}
		case w.Code >= 400:
			if len(w.Result().Cookies()) > 0 && w.Code != http.StatusForbidden {
				t.Fatalf("%d with cookies", w.Code)
			}
		}
	})
}

// countDuplicates counts state cookies sent twice under one name, which
// the browser holds once.
func countDuplicates(r *http.Request) int {
	seen, dup := map[string]bool{}, 0
	for _, c := range r.Cookies() {
		if seen[c.Name] {
			dup++
		}
		seen[c.Name] = true
	}
	return dup
}

func mustNew(tb testing.TB, cfg Config) *Authenticator {
	a, err := New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

// FuzzSharingLink: whatever a link's ?token= and the login and session
// cookies a browser brings, the answer is never a 5xx or a panic, and a
// genuine login of one user is never replaced by a link of another.
func FuzzSharingLink(f *testing.F) {
	const carolToken = "c0ffee00c0ffee00c0ffee00c0ffee00"
	hub := newFakeHub(f)
	hub.addUser(adaToken, adaModel)
	hub.addUser(carolToken, `{"kind": "user", "name": "carol", "scopes": ["access:services!service=whoami"]}`)
	cfg := oauthConfig(hub.apiURL())
	cfg.AllowTokenInURL = true
	o := newTestOAuth(f, cfg)
	h := o.Middleware(echoUser)
	w := httptest.NewRecorder()
	if err := o.login.set(w, httptest.NewRequest("GET", "/", nil), adaToken); err != nil {
		f.Fatal(err)
	}
	adaLogin := w.Result().Cookies()[0].Value
	f.Add(carolToken, adaLogin, "")
	f.Add(carolToken, adaLogin, "session-1")
	f.Add(adaToken, adaLogin, "")
	f.Add(carolToken, "", "")
	f.Add("\x00%zz", "MTIz|bad|cookie", "\xff")
	f.Add(strings.Repeat("t", 2000), adaLogin+"x", strings.Repeat("s", 200))

	f.Fuzz(func(t *testing.T, link, login, session string) {
		r := httptest.NewRequest("GET", "/services/whoami/shared", nil)
		r.URL.RawQuery = "token=" + url.QueryEscape(link)
		r.Header.Set("Sec-Fetch-Mode", "navigate")
		if login != "" {
			r.Header.Add("Cookie", "service-whoami="+login)
		}
		if session != "" {
			r.Header.Add("Cookie", "jupyterhub-session-id="+session)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Fatalf("link %q with login %q answered %d %s", link, login, w.Code, w.Body.String())
		}
		if login == adaLogin && w.Code == 200 && w.Body.String() != "ada" {
			for _, c := range w.Result().Cookies() {
				if c.Name == "service-whoami" {
					t.Fatalf("a link of %s replaced ada's login", w.Body.String())
				}
			}
		}
	})
}
