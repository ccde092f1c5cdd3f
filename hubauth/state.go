package hubauth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/gorilla/securecookie"
)

// oauthState is what the browser's state cookie holds for a login in
// flight; with the state parameter it is everything the callback needs.
// Nothing is kept in memory, so whichever replica (or restarted process)
// the hub's redirect reaches can finish the login.
type oauthState struct {
	// Nonce is also sealed into the OAuth state parameter and comes back
	// on the callback; the two must match.
	Nonce string `json:"n"`
	// Verifier is the PKCE code verifier (RFC 7636) for the code exchange.
	Verifier string `json:"v"`
	// Created is when the login started (Unix seconds), so the oldest of
	// a browser's logins in flight is dropped first.
	Created int64 `json:"t,omitempty"`
}

// maxLoginsInFlight is the most state cookies (logins started and not
// finished) one browser holds for the service. Starting another drops the
// oldest. Without a bound, a browser that keeps starting logins it never
// finishes (a page whose assets each start one, a user who keeps
// reloading an authorize page) fills its cookie jar until the proxy answers
// 431 to every request, the login's callback included.
const maxLoginsInFlight = 8

// stateSuffix follows the login cookie's name in a state cookie's:
// <login>-oauth-state, and <login>-oauth-state-<suffix> for a second
// login in flight, as JupyterHub's own client names them.
const stateSuffix = "-oauth-state"

// stateCookies are the cookies of the logins in flight in one browser,
// each sealed under the state keys, and the state parameters that name
// them.
type stateCookies struct {
	base   string // the first state cookie's name; a second login in flight gets a suffix
	jar    *cookieJar
	codecs []securecookie.Codec
}

func newStateCookies(cfg Config, jar *cookieJar, keys *cookieKeys) *stateCookies {
	return &stateCookies{base: loginCookieName(cfg) + stateSuffix, jar: jar, codecs: keys.state}
}

// randomString returns n random bytes, base64url-encoded.
func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand, Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// stateParam is the OAuth state parameter: sealed like the cookie (so it
// is opaque and cannot be forged), it names the state cookie to check it
// against and carries the return URL (a path and query on this service),
// which even a callback that lost the race to another login in the same
// browser still needs.
type stateParam struct {
	Nonce  string `json:"n"`
	Suffix string `json:"s,omitempty"`
	Next   string `json:"u"`
}

// stateParamName binds sealed state parameters to their use in
// securecookie's MAC, so a state cookie's value cannot pose as one.
const stateParamName = "oauth-state-parameter"

// maxStateParam bounds the state parameter read from a callback.
const maxStateParam = 4096

// start makes the state for a login that should end at next. The state
// cookie's name is stateBase, or, when a login is already in flight in
// this browser (another tab), stateBase-<suffix>, so that both can finish.
// It first makes room: state cookies that cannot be opened are cleared,
// and the oldest ones beyond MaxLoginsInFlight-1.
func (s *stateCookies) start(w http.ResponseWriter, r *http.Request, next string) (st oauthState, param, cookieName string, err error) {
	st = oauthState{Nonce: randomString(32), Verifier: randomString(32), Created: time.Now().Unix()}
	p := stateParam{Nonce: st.Nonce, Next: next}
	cookieName = s.base
	if kept := s.prune(w, r, maxLoginsInFlight-1); kept[s.base] {
		p.Suffix = randomString(6)
		cookieName += "-" + p.Suffix
	}
	param, err = securecookie.EncodeMulti(stateParamName, p, s.codecs...)
	return st, param, cookieName, err
}

// prune clears the request's state cookies that cannot be opened,
// then the oldest until at most keep remain, and returns the names of
// those left.
func (s *stateCookies) prune(w http.ResponseWriter, r *http.Request, keep int) map[string]bool {
	type inFlight struct {
		name    string
		created int64
	}
	var live []inFlight
	seen := map[string]bool{}
	for _, c := range r.Cookies() {
		if !s.is(c.Name) || seen[c.Name] {
			continue
		}
		seen[c.Name] = true
		var st oauthState
		if securecookie.DecodeMulti(c.Name, c.Value, &st, s.codecs...) != nil {
			s.jar.clear(w, r, c.Name)
			continue
		}
		live = append(live, inFlight{c.Name, st.Created})
	}
	sort.SliceStable(live, func(a, b int) bool { return live[a].created < live[b].created })
	kept := map[string]bool{}
	for i, f := range live {
		if len(live)-i > keep {
			s.jar.clear(w, r, f.name)
			continue
		}
		kept[f.name] = true
	}
	return kept
}

// set seals st into the cookie named name.
func (s *stateCookies) set(w http.ResponseWriter, r *http.Request, name string, st oauthState) error {
	v, err := securecookie.EncodeMulti(name, st, s.codecs...)
	if err != nil {
		return err
	}
	c := s.jar.cookie(r, name, v)
	c.MaxAge = int(stateCookieMaxAge.Seconds())
	http.SetCookie(w, c)
	return nil
}

// read opens the callback's state parameter, finds the state cookie
// it names, and checks that the two belong together. next is the return
// URL from the parameter, set whenever the parameter could be opened;
// name is the state cookie's.
func (s *stateCookies) read(r *http.Request, param string) (st oauthState, next, name string, err error) {
	if param == "" {
		return st, "", "", errStateMissing
	}
	var p stateParam
	if len(param) > maxStateParam || securecookie.DecodeMulti(stateParamName, param, &p, s.codecs...) != nil ||
		p.Nonce == "" || !isBase64URL(p.Suffix) {
		return st, "", "", errStateMalformed
	}
	name = s.base
	if p.Suffix != "" {
		name += "-" + p.Suffix
	}
	c, err := r.Cookie(name)
	if err != nil {
		return st, p.Next, name, errStateNoCookie
	}
	if err := securecookie.DecodeMulti(name, c.Value, &st, s.codecs...); err != nil {
		return st, p.Next, name, errStateMismatch
	}
	if subtle.ConstantTimeCompare([]byte(st.Nonce), []byte(p.Nonce)) != 1 {
		return st, p.Next, name, errStateMismatch
	}
	return st, p.Next, name, nil
}

func isBase64URL(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// is reports whether a cookie name is one of the state cookies.
func (s *stateCookies) is(name string) bool {
	return name == s.base || strings.HasPrefix(name, s.base+"-")
}

// clearAll clears every state cookie of the request: a finished login
// ends all the others in flight in the same browser (which then finish as
// a login that lost the race).
func (s *stateCookies) clearAll(w http.ResponseWriter, r *http.Request) {
	for _, c := range r.Cookies() {
		if s.is(c.Name) {
			s.jar.clear(w, r, c.Name)
		}
	}
}
