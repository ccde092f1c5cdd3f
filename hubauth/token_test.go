package hubauth

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestTokenFrom(t *testing.T) {
	for _, tc := range []struct {
		name       string
		target     string
		header     map[string]string
		allowInURL bool
		want       string
	}{
		{"token scheme", "/", map[string]string{"Authorization": "token abc"}, false, "abc"},
		{"bearer scheme", "/", map[string]string{"Authorization": "bearer abc"}, false, "abc"},
		{"scheme in any case", "/", map[string]string{"Authorization": "Bearer abc"}, false, "abc"},
		{"TOKEN upper", "/", map[string]string{"Authorization": "TOKEN abc"}, false, "abc"},
		{"extra spaces", "/", map[string]string{"Authorization": "token    abc  "}, false, "abc"},
		{"tab separator", "/", map[string]string{"Authorization": "token\tabc"}, false, "abc"},
		{"basic scheme ignored", "/", map[string]string{"Authorization": "Basic YTpi"}, false, ""},
		{"scheme only", "/", map[string]string{"Authorization": "token"}, false, ""},
		{"glued scheme", "/", map[string]string{"Authorization": "tokenabc"}, false, ""},
		{"empty", "/", nil, false, ""},
		{"query ignored by default", "/?token=q", nil, false, ""},
		{"query ignored, header used", "/?token=q", map[string]string{"Authorization": "token h"}, false, "h"},
		{"query when allowed", "/?token=q", nil, true, "q"},
		{"query first when allowed", "/?token=q", map[string]string{"Authorization": "token h"}, true, "q"},
		{"query on websocket", "/?token=q", map[string]string{"Sec-Fetch-Mode": "websocket"}, false, "q"},
		{"empty query falls back to header", "/?token=", map[string]string{"Authorization": "token h"}, true, "h"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, tc.target, nil)
			for k, v := range tc.header {
				r.Header.Set(k, v)
			}
			require.Equal(t, tc.want, tokenFrom(r, tc.allowInURL))
		})
	}
}

func TestPlausibleToken(t *testing.T) {
	require.True(t, plausibleToken("0123456789abcdef0123456789abcdef"))
	require.True(t, plausibleToken("eyJhbGciOi.J9-_~+/="))
	require.False(t, plausibleToken(""))
	require.False(t, plausibleToken("a b"))
	require.False(t, plausibleToken("a\x00b"))
	require.False(t, plausibleToken("a\r\nX-Injected: 1"))
	require.False(t, plausibleToken("é"))
	require.False(t, plausibleToken(strings.Repeat("a", maxTokenLength+1)))
}

func TestSessionID(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	require.Equal(t, "", sessionID(r))
	r.Header.Set("Cookie", sessionCookieName+"=abc123")
	require.Equal(t, "abc123", sessionID(r))
	r.Header.Set("Cookie", sessionCookieName+"="+strings.Repeat("x", 200))
	require.Equal(t, "", sessionID(r))
	r.Header.Set("Cookie", "garbage;;==;"+sessionCookieName)
	require.Equal(t, "", sessionID(r))
}

// FuzzTokenFromHeader: no header value makes extraction panic; a token is
// found only behind a token/bearer scheme, and it is trimmed.
func FuzzTokenFromHeader(f *testing.F) {
	for _, s := range []string{"token abc", "bearer  x", "Token\t\tx y", "", "token", "basic x", "token \x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header["Authorization"] = []string{h}
		tok := tokenFromHeader(r)
		if tok == "" {
			return
		}
		lower := strings.ToLower(h)
		require.True(t, strings.HasPrefix(lower, "token") || strings.HasPrefix(lower, "bearer"), "token %q from %q", tok, h)
		require.Equal(t, strings.TrimSpace(tok), tok)
		require.True(t, strings.HasSuffix(strings.TrimSpace(h), tok))
	})
}
