package hubauth

import (
	"net/http"
	"net/textproto"
	"strings"
)

// maxCookiesRead is net/http's default limit on the cookies of one request
// (GODEBUG httpcookiemaxnum): past it, r.Cookie finds none. Headers with
// more cookies than this are left to net/http itself.
const maxCookiesRead = 3000

// cookieValue is r.Cookie(name).Value without the allocations: r.Cookie
// parses every cookie of the request into a new slice of new *Cookie
// values to return one, and the cookie path asks for three names per
// request (the login cookie, the hub session id and _xsrf). It reads the
// Cookie header lines the way net/http does (the first valid cookie of
// that name wins; surrounding double quotes are removed; a value with a
// byte net/http refuses is skipped), which FuzzCookieValue checks against
// net/http for arbitrary headers. name must be a valid cookie name.
func cookieValue(r *http.Request, name string) (string, bool) {
	var value string
	found := eachCookie(r, name, func(v string) bool {
		value = v
		return true
	})
	return value, found
}

// hasCookie reports whether the request has a cookie name=value (among
// possibly several cookies of that name).
func hasCookie(r *http.Request, name, value string) bool {
	return eachCookie(r, name, func(v string) bool { return v == value })
}

// eachCookie calls fn with the value of every valid cookie called name, in
// order, until fn returns true; it reports whether one did.
func eachCookie(r *http.Request, name string, fn func(value string) bool) bool {
	lines := r.Header["Cookie"]
	n := 0
	for _, line := range lines {
		n += strings.Count(line, ";") + 1
	}
	if n > maxCookiesRead {
		// Rare and hostile: net/http decides what counts.
		for _, c := range r.CookiesNamed(name) {
			if fn(c.Value) {
				return true
			}
		}
		return false
	}
	for _, line := range lines {
		line = textproto.TrimString(line)
		var part string
		for len(line) > 0 {
			part, line, _ = strings.Cut(line, ";")
			part = textproto.TrimString(part)
			k, v, _ := strings.Cut(part, "=")
			if textproto.TrimString(k) != name {
				continue
			}
			v, ok := cookieValueOK(v)
			if ok && fn(v) {
				return true
			}
		}
	}
	return false
}

// cookieValueOK removes a value's surrounding double quotes and reports
// whether what is left is a valid cookie value (RFC 6265 §4.1.1, as
// net/http reads it).
func cookieValueOK(v string) (string, bool) {
	if len(v) > 1 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
	}
	for i := 0; i < len(v); i++ {
		if b := v[i]; b < 0x20 || b >= 0x7f || b == '"' || b == ';' || b == '\\' {
			return "", false
		}
	}
	return v, true
}
