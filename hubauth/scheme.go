package hubauth

import (
	"net/http"
	"strings"
)

// browserScheme returns the scheme the browser used to reach the service,
// "https" or "http", in the order JupyterHub's own services decide it:
//
//  1. the proto= parameter of the first (outermost) element of a
//     Forwarded header (RFC 7239), as standard ingresses send it;
//  2. X-Scheme, as ingress-nginx sends it;
//  3. the first value of X-Forwarded-Proto, as configurable-http-proxy
//     and most proxies send it;
//  4. the connection itself: TLS or not.
//
// A header counts only when it names http or https; anything else falls
// through to the next. The outermost value wins because it is the
// browser's view, which is what decides whether a cookie must be Secure:
// trusting a spoofed header can only make a cookie stricter or a request
// fail, never let anyone in. The connection comes last because behind a
// TLS-terminating proxy it is not the browser's, and under internal SSL it
// is the proxy's. r.URL.Scheme is never consulted: a server's request has
// none.
//
// A configured public URL (JUPYTERHUB_PUBLIC_URL) overrides all of this
// where hubauth sets cookies.
func browserScheme(r *http.Request) string {
	// Only the first element counts, and it is in the first line.
	if p := forwardedProto(r.Header.Get("Forwarded")); p != "" {
		return p
	}
	for _, name := range []string{"X-Scheme", "X-Forwarded-Proto"} {
		first, _, _ := strings.Cut(r.Header.Get(name), ",")
		if p := httpScheme(strings.TrimSpace(first)); p != "" {
			return p
		}
	}
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

// forwardedProto returns the proto= parameter of the first element of a
// Forwarded header value (RFC 7239 §4), lower-cased, when it is http or
// https, and "" otherwise. Values may be tokens or quoted strings, and a
// quoted string may hold the ',' and ';' that otherwise separate elements
// and parameters.
func forwardedProto(header string) string {
	for _, pair := range firstElement(header) {
		name, value, ok := strings.Cut(pair, "=")
		if ok && strings.EqualFold(strings.TrimSpace(name), "proto") {
			return httpScheme(unquote(strings.TrimSpace(value)))
		}
	}
	return ""
}

// firstElement splits the first comma-separated element of a Forwarded
// value into its ';'-separated pairs, honouring quoted strings.
func firstElement(h string) []string {
	var pairs []string
	start, quoted := 0, false
	for i := 0; i < len(h); i++ {
		switch c := h[i]; {
		case quoted && c == '\\':
			i++ // the next byte is escaped
		case c == '"':
			quoted = !quoted
		case !quoted && c == ';':
			pairs = append(pairs, h[start:i])
			start = i + 1
		case !quoted && c == ',':
			return append(pairs, h[start:i])
		}
	}
	return append(pairs, h[start:])
}

// unquote undoes an RFC 7230 quoted-string; a token is returned as it is.
func unquote(v string) string {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return v
	}
	v = v[1 : len(v)-1]
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) {
			i++
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

func httpScheme(s string) string {
	switch {
	case strings.EqualFold(s, "https"):
		return "https"
	case strings.EqualFold(s, "http"):
		return "http"
	}
	return ""
}
