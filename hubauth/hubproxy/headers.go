package hubproxy

import (
	"net/http"
	"net/url"
	"strings"
)

// The identity headers the app receives, named as oauth2-proxy names them.
const (
	HeaderUser        = "X-Forwarded-User"
	HeaderGroups      = "X-Forwarded-Groups"
	HeaderUserModel   = "X-Forwarded-User-Model"
	HeaderAccessToken = "X-Forwarded-Access-Token"
	HeaderPrefix      = "X-Forwarded-Prefix"
)

// The forward-auth answer's names for the same, as oauth2-proxy's
// /oauth2/auth sends them and ingress-nginx's examples copy them
// (auth-response-headers).
const (
	HeaderAuthUser        = "X-Auth-Request-User"
	HeaderAuthGroups      = "X-Auth-Request-Groups"
	HeaderAuthAccessToken = "X-Auth-Request-Access-Token"
)

// forgeable reports whether a request header is one a client must never
// get to the app: anything the app could take for a statement by a proxy
// about who is calling or where from. Names are compared in any case and
// with '_' read as '-', since CGI-style frameworks (WSGI, PHP, Rack) map
// X_Forwarded_User and X-Forwarded-User to the same variable.
func forgeable(name string) bool {
	n := strings.ToLower(strings.ReplaceAll(name, "_", "-"))
	switch {
	case strings.HasPrefix(n, "x-forwarded-"), strings.HasPrefix(n, "x-auth-request-"):
		return true
	}
	switch n {
	case "forwarded", "x-real-ip", "x-remote-user", "remote-user", "x-remote-group", "x-client-ip":
		return true
	}
	return false
}

// scrubForgeable removes every forgeable header from h.
func scrubForgeable(h http.Header) {
	for name := range h {
		if forgeable(name) {
			delete(h, name)
		}
	}
}

// scrubCredentials removes the caller's hub credentials from an outbound
// request: Authorization values with a token or bearer scheme, every
// ?token= parameter, and the hub's cookies. Everything else is kept byte
// for byte, so the app's own cookies and query reach it as sent.
// isHubCookie tells the hub's cookies ([hubauth.Authenticator.IsHubCookie]).
func scrubCredentials(out *http.Request, isHubCookie func(name string) bool) {
	if vs := out.Header.Values("Authorization"); len(vs) > 0 {
		kept := vs[:0:0]
		for _, v := range vs {
			if !isHubAuthorization(v) {
				kept = append(kept, v)
			}
		}
		setOrDelete(out.Header, "Authorization", kept)
	}
	if out.URL.RawQuery != "" {
		out.URL.RawQuery = withoutQueryParam(out.URL.RawQuery, "token")
	}
	if vs := out.Header.Values("Cookie"); len(vs) > 0 {
		var kept []string
		for _, v := range vs {
			if f := filterCookieHeader(v, isHubCookie); f != "" {
				kept = append(kept, f)
			}
		}
		setOrDelete(out.Header, "Cookie", kept)
	}
}

func setOrDelete(h http.Header, name string, vs []string) {
	if len(vs) == 0 {
		delete(h, name)
		return
	}
	h[name] = vs
}

// isHubAuthorization reports whether an Authorization value uses a scheme
// the hub takes tokens in: token or bearer, in any case.
func isHubAuthorization(v string) bool {
	v = strings.TrimLeft(v, " \t")
	scheme, _, _ := strings.Cut(v, " ")
	scheme, _, _ = strings.Cut(scheme, "\t")
	return strings.EqualFold(scheme, "token") || strings.EqualFold(scheme, "bearer")
}

// withoutQueryParam drops every key=value pair whose decoded key is name
// and keeps the others exactly as they were.
func withoutQueryParam(raw, name string) string {
	parts := strings.Split(raw, "&")
	kept := parts[:0]
	for _, p := range parts {
		key, _, _ := strings.Cut(p, "=")
		if k, err := url.QueryUnescape(key); err == nil {
			key = k
		}
		if key == name {
			continue
		}
		kept = append(kept, p)
	}
	return strings.Join(kept, "&")
}

// filterCookieHeader drops the cookies drop names from one Cookie header
// value and keeps the rest as sent.
func filterCookieHeader(v string, drop func(string) bool) string {
	parts := strings.Split(v, ";")
	kept := parts[:0]
	for _, p := range parts {
		name, _, _ := strings.Cut(p, "=")
		name = strings.TrimSpace(name)
		if name == "" || drop(name) {
			continue
		}
		kept = append(kept, strings.TrimSpace(p))
	}
	return strings.Join(kept, "; ")
}

// lastForwarded is the last comma-separated value of an inbound
// forwarding header (of its last line): the one the proxy in front
// appended, whatever a client sent before it.
func lastForwarded(h http.Header, name string) string {
	vs := h.Values(name)
	if len(vs) == 0 {
		return ""
	}
	v := vs[len(vs)-1]
	if i := strings.LastIndexByte(v, ','); i >= 0 {
		v = v[i+1:]
	}
	return strings.TrimSpace(v)
}

// validHost reports whether v can be a Host header: host or host:port of
// letters, digits and the few punctuation marks names and IPv6 use.
func validHost(v string) bool {
	if v == "" || len(v) > 255 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '.', c == '-', c == ':', c == '[', c == ']', c == '_':
		default:
			return false
		}
	}
	return true
}

// validHeaderValue reports whether v may be sent as a header value: no
// control bytes other than tab.
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}
