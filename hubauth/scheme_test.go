package hubauth

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBrowserScheme(t *testing.T) {
	for _, tc := range []struct {
		name   string
		header http.Header
		tls    bool
		want   string
	}{
		{"nothing", nil, false, "http"},
		{"the connection's TLS, last", nil, true, "https"},
		{"X-Forwarded-Proto", http.Header{"X-Forwarded-Proto": {"https"}}, false, "https"},
		{"X-Forwarded-Proto, first of a list", http.Header{"X-Forwarded-Proto": {"https, http"}}, false, "https"},
		{"X-Forwarded-Proto beats the connection", http.Header{"X-Forwarded-Proto": {"http"}}, true, "http"},
		{"X-Scheme beats X-Forwarded-Proto", http.Header{"X-Scheme": {"https"}, "X-Forwarded-Proto": {"http"}}, false, "https"},
		{"Forwarded beats X-Scheme", http.Header{"Forwarded": {"proto=http"}, "X-Scheme": {"https"}}, false, "http"},
		{"Forwarded beats X-Forwarded-Proto", http.Header{"Forwarded": {"for=192.0.2.60;proto=https;by=203.0.113.43"}, "X-Forwarded-Proto": {"http"}}, false, "https"},
		{"Forwarded: the first element", http.Header{"Forwarded": {"proto=https, proto=http"}}, false, "https"},
		{"Forwarded: the first line", http.Header{"Forwarded": {"proto=https", "proto=http"}}, false, "https"},
		{"Forwarded: quoted, any case", http.Header{"Forwarded": {`For="[2001:db8:cafe::17]:4711"; PROTO="HTTPS"`}}, false, "https"},
		{"Forwarded without proto falls through", http.Header{"Forwarded": {"for=192.0.2.60"}, "X-Forwarded-Proto": {"https"}}, false, "https"},
		{"Forwarded proto only in a later element falls through", http.Header{"Forwarded": {"for=a, proto=https"}}, false, "http"},
		{"Forwarded nonsense falls through", http.Header{"Forwarded": {"proto=gopher"}, "X-Scheme": {"https"}}, false, "https"},
		{"X-Scheme nonsense falls through", http.Header{"X-Scheme": {"wss"}, "X-Forwarded-Proto": {"https"}}, false, "https"},
		{"empty headers", http.Header{"Forwarded": {""}, "X-Scheme": {""}, "X-Forwarded-Proto": {""}}, true, "https"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			for k, v := range tc.header {
				r.Header[k] = v
			}
			if tc.tls {
				r.TLS = &tls.ConnectionState{}
			}
			require.Equal(t, tc.want, browserScheme(r))
		})
	}
}

func TestForwardedProto(t *testing.T) {
	for header, want := range map[string]string{
		"proto=https":                         "https",
		"Proto=HTTP":                          "http",
		` proto = "https" `:                   "https",
		`for="a;proto=http";proto=https`:      "https", // the ; inside quotes is not a separator
		`for="a,proto=http", proto=https`:     "",      // nor is the , ; the first element has no proto
		`for="a\"b";proto=https`:              "https", // an escaped quote does not end the string
		"proto=https;proto=http":              "https",
		"proto=":                              "",
		"proto":                               "",
		`proto="https`:                        "",
		"":                                    "",
		"by=x;for=y;host=z;proto=https,for=w": "https",
	} {
		require.Equal(t, want, forwardedProto(header), "%q", header)
	}
}

// The header is the client's to write: no input panics, and the answer is
// only ever http, https or nothing, and nothing unless the input has proto.
func FuzzForwardedProto(f *testing.F) {
	for _, s := range []string{"proto=https", `for="a;b";proto="http"`, "proto=https, proto=http", `"\`, ";;,,==", `proto="\"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		got := forwardedProto(h)
		switch got {
		case "":
		case "http", "https":
			require.Contains(t, strings.ToLower(h), "proto", "%q", h)
		default:
			t.Fatalf("forwardedProto(%q) = %q", h, got)
		}
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Forwarded", h)
		if s := browserScheme(r); s != "http" && s != "https" {
			t.Fatalf("browserScheme with Forwarded %q = %q", h, s)
		}
	})
}

// Under internal SSL the service's connection is TLS from the proxy, while
// the browser may be on plain http: the proxy's X-Forwarded-Proto decides,
// so the login cookie is not made Secure for a browser that would then
// never send it back.
func TestCookieSecureUnderInternalSSL(t *testing.T) {
	j := newCookieJar(Config{ClientID: "service-x", ServicePrefix: "/services/x/"})
	r := httptest.NewRequest(http.MethodGet, "/services/x/", nil)
	r.TLS = &tls.ConnectionState{}
	r.Header.Set("X-Forwarded-Proto", "http")
	require.False(t, j.secure(r))
	r.Header.Set("Forwarded", "proto=https")
	require.True(t, j.secure(r))
}

// An ingress's Forwarded header wins over configurable-http-proxy's
// X-Forwarded-Proto; only the first element of Forwarded counts.
func TestBrowserSchemeForwardedFirst(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/services/whoami/", nil)
	r.Header.Set("X-Forwarded-Proto", "http") // added by configurable-http-proxy
	r.Header.Set("Forwarded", "for=198.51.100.7;proto=https")
	require.Equal(t, "https", browserScheme(r))
	require.Equal(t, "https", forwardedProto(`for="[2001:db8::17]:4711";proto="HTTPS"`))
	require.Equal(t, "", forwardedProto("for=192.0.2.60, proto=https"))
}
