package hubauth

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// What hubauth accepts as an address, a URL or a path, from the
// configuration and from requests. Each check says what it wants, in
// words an operator can act on, and never repeats a password.

// CheckListen accepts what HUBAUTH_LISTEN and the commands' -listen flag
// take: host:port or :port (all interfaces), with a port from 1 to 65535;
// an IPv6 host goes in brackets, [::1]:8000.
func CheckListen(addr string) error {
	if strings.Contains(addr, "://") {
		return fmt.Errorf("want host:port or :port, not a URL, got %q", addr)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("want host:port or :port, got %q", addr)
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
		return fmt.Errorf("want a port from 1 to 65535 in %q", addr)
	}
	if strings.ContainsAny(host, " \t\r\n/[]") {
		return fmt.Errorf("bad host in %q", addr)
	}
	return nil
}

// listenAddr is the host:port of a service URL; https (internal SSL)
// defaults to port 443, http to 80.
func listenAddr(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("not a URL: %q", withoutUserinfo(raw))
	}
	if u.User != nil {
		return "", fmt.Errorf("a user name or password in the URL is not supported, got %q", withoutUserinfo(raw))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("want http://host:port (or https with internal SSL), got %q", withoutUserinfo(raw))
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return "", fmt.Errorf("bad port in %q", withoutUserinfo(raw))
	}
	return net.JoinHostPort(host, port), nil
}

// apiEndpoint is a parsed JUPYTERHUB_API_URL: where to send requests, and
// the socket to dial for http+unix.
type apiEndpoint struct {
	base       string // URL prefix for requests, without trailing slash
	unixSocket string // set for http+unix
}

func parseAPIURL(raw string) (apiEndpoint, error) {
	if shown := withoutUserinfo(raw); shown != raw {
		// Credentials belong in JUPYTERHUB_API_TOKEN: in the URL they
		// would end up in every error message that names the API.
		return apiEndpoint{}, fmt.Errorf("a user name or password in the URL is not supported (the service authenticates with JUPYTERHUB_API_TOKEN), got %q", shown)
	}
	// JupyterHub 6 spells a unix socket http+unix://; 4.1 and 5.x spell it
	// unix+http:// and hand services that spelling.
	rest, ok := strings.CutPrefix(raw, "http+unix://")
	if !ok {
		rest, ok = strings.CutPrefix(raw, "unix+http://")
	}
	if ok {
		// The host is the url-encoded socket path, which url.Parse
		// rejects; the request itself goes over the socket, so its URL's
		// host is only a placeholder.
		host, path, _ := strings.Cut(rest, "/")
		socket, err := url.PathUnescape(host)
		if err != nil || !strings.HasPrefix(socket, "/") {
			return apiEndpoint{}, fmt.Errorf("want http+unix://<url-encoded absolute socket path>/hub/api (or unix+http://), got %q", raw)
		}
		return apiEndpoint{base: "http://localhost/" + strings.TrimSuffix(path, "/"), unixSocket: socket}, nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return apiEndpoint{}, fmt.Errorf("want a URL like http://127.0.0.1:8081/hub/api, got %q", raw)
	}
	path := strings.TrimSuffix(u.EscapedPath(), "/")
	switch u.Scheme {
	case "http", "https":
		return apiEndpoint{base: u.Scheme + "://" + u.Host + path}, nil
	default:
		return apiEndpoint{}, fmt.Errorf("want an http, https or http+unix URL, got %q", raw)
	}
}

// withoutUserinfo returns raw with any user name and password between
// "scheme://" and the host left out, so a URL can be shown in a message
// without the credentials an operator put in it. It works on text that is
// not a valid URL too.
func withoutUserinfo(raw string) string {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return raw
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	at := strings.LastIndex(rest[:end], "@")
	if at < 0 {
		return raw
	}
	return scheme + "://" + rest[at+1:]
}

// checkPrefix checks a service prefix: a plain absolute path ending in
// '/'. A prefix the browser or a proxy could read as something else is
// refused: "//host/" is another host to a browser, '\' is '/' to some,
// dot segments are cleaned away by the redirects that carry the prefix,
// and control bytes or '?' and '#' would end the path early.
func checkPrefix(p string) error {
	switch {
	case !strings.HasPrefix(p, "/") || !strings.HasSuffix(p, "/"):
		return fmt.Errorf("want a path starting and ending with '/', got %q", p)
	case strings.HasPrefix(p, "//"):
		return fmt.Errorf("must not start with '//', which browsers read as another host, got %q", p)
	case strings.Contains(p, "//"):
		return fmt.Errorf("must not hold '//', which redirects clean away, got %q", p)
	case strings.ContainsAny(p, "\\?#"):
		return fmt.Errorf("must not hold '\\', '?' or '#', got %q", p)
	case hasDotSegment(p):
		return fmt.Errorf("must not hold '.' or '..' segments, got %q", p)
	}
	for i := 0; i < len(p); i++ {
		if p[i] < ' ' || p[i] == 0x7f {
			return fmt.Errorf("must not hold control characters, got %q", p)
		}
	}
	return nil
}

// hasDotSegment reports whether a path has a "." or ".." segment, spelled
// plainly or percent-encoded.
func hasDotSegment(p string) bool {
	for _, seg := range strings.Split(p, "/") {
		if len(seg) > 6 {
			continue
		}
		switch strings.ReplaceAll(strings.ToLower(seg), "%2e", ".") {
		case ".", "..":
			return true
		}
	}
	return false
}

// slashed makes a URL path start and end with '/'; empty means "/".
func slashed(p string) string {
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	if !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return p
}

// UnderPrefix serves h for prefix and every path below it (and prefix
// without its trailing slash); other paths get a JSON 404. The hub's proxy
// sends a service only its own prefix, so anything else reached the port
// directly.
func UnderPrefix(prefix string, h http.Handler) http.Handler {
	bare := strings.TrimSuffix(prefix, "/")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if strings.HasPrefix(p, prefix) || (bare != "" && p == bare) {
			h.ServeHTTP(w, r)
			return
		}
		WriteJSONError(w, http.StatusNotFound, "not found: this service serves "+prefix)
	})
}

// safeNext returns next if it is a path on this service (at or below
// prefix), otherwise prefix. Whatever the request or a hostile link put
// there, the redirect after login never leaves the service: "//host",
// "/\host", schemes, and their percent-encoded forms all fall back to the
// prefix, and so do paths with "." or ".." segments (plain or
// percent-encoded), which http.Redirect and browsers would resolve to
// somewhere above the prefix.
func safeNext(prefix, next string) string {
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

// isCookieToken reports whether s can name a cookie: an RFC 6265 token,
// that is visible ASCII without the separators ()<>@,;:\"/[]?={} (the
// same set as RFC 9110's tchar). net/http silently drops a Set-Cookie
// whose name is anything else, so a client id outside it would send every
// browser round the login forever.
func isCookieToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("()<>@,;:\\\"/[]?={}", c) >= 0 {
			return false
		}
	}
	return true
}

// checkCookiePath checks a cookie path (Config.CookiePath): an absolute
// path without the bytes that would end or bend the Set-Cookie header.
func checkCookiePath(p string) error {
	if !strings.HasPrefix(p, "/") {
		return fmt.Errorf("want a path starting with '/', got %q", p)
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; c < ' ' || c >= 0x7f || c == ';' {
			return fmt.Errorf("must not hold ';', spaces or control characters, got %q", p)
		}
	}
	return nil
}

// validReturnHost reports whether h can be an entry of Config.ReturnHosts:
// host or host:port, or the same after a '.' for every host under it.
func validReturnHost(h string) bool {
	h = strings.TrimPrefix(h, ".")
	if h == "" || len(h) > 255 || strings.HasPrefix(h, ".") {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '.', c == '-', c == ':', c == '[', c == ']':
		default:
			return false
		}
	}
	return true
}

// returnHostAllowed reports whether host (host or host:port, as in a URL)
// is one of allowed: the same host and port (no port matches no port),
// or, for an entry ".example.org", example.org or any host under it, with
// the entry's port.
func returnHostAllowed(allowed []string, host string) bool {
	host = strings.ToLower(host)
	name, port := host, ""
	if h, p, err := net.SplitHostPort(host); err == nil {
		name, port = h, p
	}
	for _, a := range allowed {
		a = strings.ToLower(a)
		if a == host {
			return true
		}
		suffix, ok := strings.CutPrefix(a, ".")
		if !ok {
			continue
		}
		sname, sport := suffix, ""
		if h, p, err := net.SplitHostPort(suffix); err == nil {
			sname, sport = h, p
		}
		if sport == port && (name == sname || strings.HasSuffix(name, "."+sname)) {
			return true
		}
	}
	return false
}

// safeReturn returns where a login may send the browser once it is done:
// next when it is a path on this service (safeNext) or an http(s) URL on
// one of the allowed hosts (Config.ReturnHosts), without credentials or
// bytes a browser might read differently; ok is false, and the prefix
// returned, for anything else.
func safeReturn(prefix string, allowed []string, next string) (string, bool) {
	if s := safeNext(prefix, next); s == next {
		return next, true
	}
	if len(allowed) == 0 || strings.ContainsAny(next, "\\#") {
		return prefix, false
	}
	for i := 0; i < len(next); i++ {
		if next[i] <= ' ' || next[i] == 0x7f {
			return prefix, false
		}
	}
	u, err := url.Parse(next)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil || u.Opaque != "" ||
		u.Host == "" || !returnHostAllowed(allowed, u.Host) {
		return prefix, false
	}
	return next, true
}
