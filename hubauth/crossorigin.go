package hubauth

import (
	"net/http"
	"strings"
)

// originRule is the Fetch Metadata and Origin rule for requests the login
// cookie authenticates (chosen by [Config.CrossOriginProtection]): it
// needs nothing from the page, so an app that has never heard of the
// hub's _xsrf cookie works behind it unchanged, its scripts' fetch() and
// XHR calls, module scripts, fonts and CSS included.
//
// Unsafe methods (POST, PUT, DELETE, …) are net/http's
// CrossOriginProtection, the standard library's implementation: admitted
// when the browser says Sec-Fetch-Site: same-origin (or none, for a
// request the user made by typing or bookmarking); without that header,
// when the Origin header names the request's host; and from clients that
// send neither, which are not browsers and carry no one else's cookie.
// Everything else is refused, same-site pages on another port or
// subdomain included.
//
// Reads (GET, HEAD, OPTIONS) change nothing, so CrossOriginProtection lets
// them all through; this rule also refuses the ones that are not a page
// load and come from another origin (a foreign page's fetch(), script or
// image), so such a page cannot read a user's data with the user's
// cookie even where the cookie's SameSite would allow it (same-site
// pages, or SameSite=None set by the operator). A link from anywhere still
// opens the app: that is navigation.
type originRule struct {
	cop *http.CrossOriginProtection
}

func newOriginRule() *originRule {
	return &originRule{cop: http.NewCrossOriginProtection()}
}

func (o *originRule) check(_ http.ResponseWriter, r *http.Request, _ *User, _ string) error {
	if err := o.cop.Check(r); err != nil {
		return ErrCrossOrigin
	}
	if isNavigation(r) || isWebsocketUpgrade(r) {
		// Websockets have their own check (sameOriginWebsocket), in
		// either rule.
		return nil
	}
	switch site := strings.ToLower(r.Header.Get("Sec-Fetch-Site")); site {
	case "same-origin", "none":
		return nil
	case "":
		// An older browser: its Origin, if it sent one, must be ours.
		if origin := r.Header.Get("Origin"); origin != "" && !originIsHost(origin, r.Host) {
			return ErrCrossOrigin
		}
		return nil
	}
	return ErrCrossOrigin
}

// The rule needs nothing from the page and sets no cookie.
func (*originRule) offer(http.ResponseWriter, *http.Request, *User, string) {}
func (*originRule) clear(http.ResponseWriter, *http.Request)                {}
func (*originRule) token(string) string                                     { return "" }
