package hubauth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
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

// MaxLoginsInFlight is the most state cookies (logins started and not
// finished) one browser holds for the service. Starting another drops the
// oldest. Without a bound, a browser that keeps starting logins it never
// finishes (a page whose assets each start one, a user who keeps
// reloading an authorize page) fills its cookie jar until the proxy answers
// 431 to every request, the login's callback included.
const MaxLoginsInFlight = 8

// Why a callback is refused. All are the browser's problem (4xx), never
// ours.
var (
	errStateMissing   = errors.New("OAuth callback without a state")
	errStateMalformed = errors.New("OAuth state is malformed or expired: start the login again")
	errStateNoCookie  = errors.New("OAuth state cookie is missing or expired: start the login again")
	errStateMismatch  = errors.New("OAuth state does not match this browser's login: start the login again")
)

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

// newState makes the state for a login that should end at next. The state
// cookie's name is stateBase, or, when a login is already in flight in
// this browser (another tab), stateBase-<suffix>, so that both can finish.
// It first makes room: state cookies that cannot be opened are cleared,
// and the oldest ones beyond MaxLoginsInFlight-1.
func (j *cookieJar) newState(w http.ResponseWriter, r *http.Request, next string) (st oauthState, param, cookieName string, err error) {
	st = oauthState{Nonce: randomString(32), Verifier: randomString(32), Created: time.Now().Unix()}
	p := stateParam{Nonce: st.Nonce, Next: next}
	cookieName = j.stateBase
	if kept := j.pruneStates(w, r, MaxLoginsInFlight-1); kept[j.stateBase] {
		p.Suffix = randomString(6)
		cookieName += "-" + p.Suffix
	}
	param, err = securecookie.EncodeMulti(stateParamName, p, j.keys.state...)
	return st, param, cookieName, err
}

// pruneStates clears the request's state cookies that cannot be opened,
// then the oldest until at most keep remain, and returns the names of
// those left.
func (j *cookieJar) pruneStates(w http.ResponseWriter, r *http.Request, keep int) map[string]bool {
	type inFlight struct {
		name    string
		created int64
	}
	var live []inFlight
	seen := map[string]bool{}
	for _, c := range r.Cookies() {
		if !j.isState(c.Name) || seen[c.Name] {
			continue
		}
		seen[c.Name] = true
		var st oauthState
		if securecookie.DecodeMulti(c.Name, c.Value, &st, j.keys.state...) != nil {
			j.clear(w, r, c.Name)
			continue
		}
		live = append(live, inFlight{c.Name, st.Created})
	}
	sort.SliceStable(live, func(a, b int) bool { return live[a].created < live[b].created })
	kept := map[string]bool{}
	for i, s := range live {
		if len(live)-i > keep {
			j.clear(w, r, s.name)
			continue
		}
		kept[s.name] = true
	}
	return kept
}

// setState seals st into the cookie named name.
func (j *cookieJar) setState(w http.ResponseWriter, r *http.Request, name string, st oauthState) error {
	v, err := securecookie.EncodeMulti(name, st, j.keys.state...)
	if err != nil {
		return err
	}
	c := j.cookie(r, name, v)
	c.MaxAge = int(stateCookieMaxAge.Seconds())
	http.SetCookie(w, c)
	return nil
}

// readState opens the callback's state parameter, finds the state cookie
// it names, and checks that the two belong together. next is the return
// URL from the parameter, set whenever the parameter could be opened.
func (j *cookieJar) readState(r *http.Request, param string) (st oauthState, next string, err error) {
	if param == "" {
		return st, "", errStateMissing
	}
	var p stateParam
	if len(param) > maxStateParam || securecookie.DecodeMulti(stateParamName, param, &p, j.keys.state...) != nil ||
		p.Nonce == "" || !isBase64URL(p.Suffix) {
		return st, "", errStateMalformed
	}
	name := j.stateBase
	if p.Suffix != "" {
		name += "-" + p.Suffix
	}
	c, err := r.Cookie(name)
	if err != nil {
		return st, p.Next, errStateNoCookie
	}
	if err := securecookie.DecodeMulti(name, c.Value, &st, j.keys.state...); err != nil {
		return st, p.Next, errStateMismatch
	}
	if subtle.ConstantTimeCompare([]byte(st.Nonce), []byte(p.Nonce)) != 1 {
		return st, p.Next, errStateMismatch
	}
	return st, p.Next, nil
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

// SafeNext returns next if it is a path on this service (at or below
// prefix), otherwise prefix. Whatever the request or a hostile link put
// there, the redirect after login never leaves the service: "//host",
// "/\host", schemes, and their percent-encoded forms all fall back to the
// prefix, and so do paths with "." or ".." segments (plain or
// percent-encoded), which http.Redirect and browsers would resolve to
// somewhere above the prefix.
func SafeNext(prefix, next string) string {
	if next == "" || !strings.HasPrefix(next, prefix) || strings.ContainsAny(next, "\\#") {
		// A request's URI has no fragment; one here could only hide dot
		// segments from url.Parse that http.Redirect then cleans.
		return prefix
	}
	for i := 0; i < len(next); i++ {
		if next[i] < ' ' || next[i] == 0x7f {
			return prefix
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return prefix
	}
	// Browsers read "//" and "/\" at the start as another host; a path
	// that starts so once decoded may be re-read that way by a proxy.
	if p, err := url.PathUnescape(u.EscapedPath()); err != nil || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") || !strings.HasPrefix(u.EscapedPath(), "/") {
		return prefix
	}
	// "/services/x/../../hub/admin" starts with the prefix but is not under
	// it: http.Redirect cleans the path, and a browser resolves the dots
	// (also as %2e), either way landing above the prefix.
	if p, _ := url.PathUnescape(u.EscapedPath()); hasDotSegment(u.EscapedPath()) || hasDotSegment(p) {
		return prefix
	}
	return next
}
