package hubauth

import (
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
)

// The cookies hubauth sets (the login cookie, the state cookies of logins
// in flight, _xsrf) all share one set of attributes, which cookieJar
// knows; what each one holds is in its own file (logincookie.go,
// state.go, xsrf.go). Reading a cookie is done here, without the
// allocations of r.Cookie.

// hostPrefix is the cookie name prefix that makes browsers insist on
// Secure, Path=/ and no Domain (RFC 6265bis §4.1.3.2).
const hostPrefix = "__Host-"

// loginCookieName is the name of a service's login cookie: its client id,
// __Host- prefixed when configured so. The state cookies of its logins in
// flight are named after it.
func loginCookieName(cfg Config) string {
	if cfg.CookieHostPrefix {
		return hostPrefix + cfg.ClientID
	}
	return cfg.ClientID
}

// IsHubCookie reports whether a cookie is one that hubauth sets or reads
// for this service (the login cookie, the state cookies of logins in
// flight, _xsrf) or the hub's session id: credentials of the hub's that a
// proxy should not pass on to an app behind it.
func (a *Authenticator) IsHubCookie(name string) bool {
	switch {
	case name == sessionCookieName:
		return true
	case name == xsrfCookieName:
		// With the cross-origin rule hubauth sets no _xsrf cookie: one
		// the browser sends is the app's own.
		return !a.cfg.CrossOriginProtection
	case a.cfg.ClientID == "":
		return false
	}
	login := loginCookieName(a.cfg)
	return name == login || strings.HasPrefix(name, login+stateSuffix)
}

// cookieJar knows the attributes of the service's cookies.
type cookieJar struct {
	cfg       Config
	path      string
	publicTLS bool // JUPYTERHUB_PUBLIC_URL is https
	publicSet bool
}

func newCookieJar(cfg Config) *cookieJar {
	j := &cookieJar{cfg: cfg, path: cfg.ServicePrefix}
	if cfg.CookieHostPrefix {
		j.path = "/"
	}
	if u, err := url.Parse(cfg.PublicURL); err == nil && u.Scheme != "" {
		j.publicSet = true
		j.publicTLS = u.Scheme == "https"
	}
	return j
}

// secure reports whether the browser reached us over https, so cookies must
// be Secure: always with __Host- names or the secure cookie option, else
// as the configured public URL says, else as browserScheme reads the
// forwarding headers (the connection's own TLS comes last: under internal
// SSL it is the proxy's, not the browser's).
func (j *cookieJar) secure(r *http.Request) bool {
	switch {
	case j.cfg.CookieHostPrefix, j.cfg.CookieOptions.Secure:
		return true
	case j.publicSet:
		return j.publicTLS
	}
	return browserScheme(r) == "https"
}

// cookie makes a cookie with the service's attributes: HttpOnly, at the
// service's path, Secure as the browser's scheme says, SameSite (Lax by
// default), and the configured domain.
func (j *cookieJar) cookie(r *http.Request, name, value string) *http.Cookie {
	c := &http.Cookie{
		Name:     name,
		Value:    value,
		Path:     j.path,
		HttpOnly: true,
		Secure:   j.secure(r),
		SameSite: j.cfg.CookieOptions.SameSite,
	}
	if c.SameSite == 0 {
		c.SameSite = http.SameSiteLaxMode
	}
	if !j.cfg.CookieHostPrefix {
		c.Domain = j.cfg.CookieOptions.Domain
	}
	return c
}

// clear tells the browser to drop a cookie.
func (j *cookieJar) clear(w http.ResponseWriter, r *http.Request, name string) {
	c := j.cookie(r, name, "")
	c.MaxAge = -1
	http.SetCookie(w, c)
}

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
