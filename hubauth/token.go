package hubauth

import (
	"net/http"
	"strings"
)

// Where a request carries its token, in the hub's order: ?token= (when
// allowed, or on websockets), then the Authorization header. The login
// cookie, for OAuth services, comes after both (oauth.go).

// maxTokenLength is the longest token hubauth will pass to the hub. Hub
// tokens are 32 hex digits; the limit leaves room for other token formats
// while keeping junk out of the cache and the hub's logs.
const maxTokenLength = 1024

// sessionCookieName is the cookie in which the hub keeps its login
// session id. It is part of the cache key, so logging out at the hub
// (which changes or clears it) is seen by the service at once.
const sessionCookieName = "jupyterhub-session-id"

// tokenFromHeader returns the token in an "Authorization: token <t>" or
// "Authorization: bearer <t>" header (scheme in any case), or "".
func tokenFromHeader(r *http.Request) string {
	h := r.Header.Get("Authorization")
	i := strings.IndexAny(h, " \t")
	if i < 0 {
		return ""
	}
	scheme, rest := h[:i], h[i:]
	if !strings.EqualFold(scheme, "token") && !strings.EqualFold(scheme, "bearer") {
		return ""
	}
	return strings.TrimSpace(rest)
}

// isWebsocket reports whether the browser says this is a websocket request
// (Sec-Fetch-Mode: websocket). Browsers cannot set headers on websockets,
// so the hub accepts ?token= on them even when it is otherwise off.
func isWebsocket(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Sec-Fetch-Mode"), "websocket")
}

// tokenFrom finds the token a request carries, in the hub's order: the URL
// (when allowed, or on websockets), then the Authorization header.
func tokenFrom(r *http.Request, allowInURL bool) string {
	t, _ := tokenSource(r, allowInURL)
	return t
}

// tokenSource is tokenFrom that also says whether the token came from the
// URL, which a sharing link's token does.
func tokenSource(r *http.Request, allowInURL bool) (token string, fromURL bool) {
	if allowInURL || isWebsocket(r) {
		if t := r.URL.Query().Get("token"); t != "" {
			return t, true
		}
	}
	return tokenFromHeader(r), false
}

// isWebsocketUpgrade reports whether the request opens a websocket: a
// browser says so with Sec-Fetch-Mode, any client with the Upgrade
// header (RFC 6455 §4.1).
func isWebsocketUpgrade(r *http.Request) bool {
	if isWebsocket(r) {
		return true
	}
	for _, v := range r.Header.Values("Upgrade") {
		for _, p := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(p), "websocket") {
				return true
			}
		}
	}
	return false
}

// isNavigation reports whether a browser is loading a page, as opposed to
// an image, a script, a fetch() or a websocket: Sec-Fetch-Mode navigate,
// or no Sec-Fetch-Mode at all (older browsers, and clients that are not
// browsers). Only navigation starts a login: a page's subrequests after
// its login ended would otherwise each start one, and each add a state
// cookie.
func isNavigation(r *http.Request) bool {
	mode := r.Header.Get("Sec-Fetch-Mode")
	return (mode == "" || strings.EqualFold(mode, "navigate")) && !isWebsocketUpgrade(r)
}

// plausibleToken reports whether t could be a token: visible ASCII only and
// not too long. Anything else is refused without asking the hub, so a
// hostile value can neither break the request to the hub (a control byte in
// a header is an error there, which must not become a 5xx here) nor grow
// the cache with junk the hub would reject anyway.
func plausibleToken(t string) bool {
	if t == "" || len(t) > maxTokenLength {
		return false
	}
	for i := 0; i < len(t); i++ {
		if c := t[i]; c <= ' ' || c >= 0x7f {
			return false
		}
	}
	return true
}

// sessionID returns the hub session id cookie, or "" when absent or not
// plausible (the cookie is the caller's to forge; it only narrows the cache
// key, so a bad one is simply ignored).
func sessionID(r *http.Request) string {
	v, ok := cookieValue(r, sessionCookieName)
	if !ok || len(v) > 128 {
		return ""
	}
	return v
}
