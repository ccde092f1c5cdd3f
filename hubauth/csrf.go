package hubauth

import (
	"net/http"
	"net/url"
	"strings"
)

// A request the login cookie authenticates could have been sent by
// another site's page, riding on the browser's cookie. Two rules guard
// against that, and the configuration picks one ([Config.CrossOriginProtection]):
//
//   - JupyterHub's XSRF-token rule (xsrf.go), the default: what is not
//     plain navigation must send back the token of the _xsrf cookie, as
//     the hub's own pages do. Right for pages written for the hub.
//   - The Fetch Metadata and Origin rule of net/http.CrossOriginProtection
//     (crossorigin.go): the browser itself says where a request comes
//     from. Right for an app behind a proxy that has never heard of _xsrf,
//     whose own scripts would otherwise be refused.
//
// Whichever rule is chosen, a websocket the cookie authenticates must come
// from a page of the same origin (sameOriginWebsocket): browsers do not
// hold websockets to the same-origin policy, so a foreign page could
// otherwise open one with the user's login.

// csrfRule is one of the two rules.
type csrfRule interface {
	// check applies the rule to a request the login cookie authenticated
	// as u, whose hub token is hubToken: nil to admit it, else the error
	// to refuse it with.
	check(w http.ResponseWriter, r *http.Request, u *User, hubToken string) error
	// offer gives a new login's page what the rule asks it to send back.
	offer(w http.ResponseWriter, r *http.Request, u *User, hubToken string)
	// clear takes that back when the login ends.
	clear(w http.ResponseWriter, r *http.Request)
	// token is what a form must carry for the login holding hubToken, ""
	// when the rule needs nothing.
	token(hubToken string) string
}

// newCSRFRule is the rule cfg asks for.
func newCSRFRule(cfg Config, jar *cookieJar, keys *cookieKeys) csrfRule {
	if cfg.CrossOriginProtection {
		return newOriginRule()
	}
	return newXSRFTokens(cfg, jar, keys)
}

// sameOriginWebsocket reports whether a websocket request comes from a
// page of the service's own origin: its Origin header names the host the
// request was sent to (the Host header), as Jupyter Server's check_origin
// has it. A request without Origin is not a browser's, and is let through
// as there: only browsers send cookies on their own. Sec-Fetch-Site, when
// the browser sends it, must agree.
func sameOriginWebsocket(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && !strings.EqualFold(site, "same-origin") && !strings.EqualFold(site, "none") {
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	return originIsHost(origin, r.Host)
}

// originIsHost reports whether an Origin header value names host: an
// http or https origin whose host (and port) is host. "null", as sandboxed
// and file: pages send it, is no one's.
func originIsHost(origin, host string) bool {
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.Path != "" {
		return false
	}
	return strings.EqualFold(u.Host, host)
}
