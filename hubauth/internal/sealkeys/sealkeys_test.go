package sealkeys

import (
	"crypto/hkdf"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/stretchr/testify/require"
)

// The derivation is what cookies and codes already sealed depend on: it
// must not change from one release to the next.
func TestKeyIsTheDocumentedHKDF(t *testing.T) {
	s := Secret{[]byte("0123456789abcdef0123456789abcdef"), "api-token"}
	got, err := Key(s, "oidc ", "oidc-code hmac-sha256", "service-oidc", 32)
	require.NoError(t, err)
	want, err := hkdf.Key(sha256.New, s.Bytes, nil, "hubauth/v1 oidc api-token oidc-code hmac-sha256 service-oidc", 32)
	require.NoError(t, err)
	require.Equal(t, want, got)
	require.Equal(t, "hubauth/v1 cookie-secret login aes-256 service-x", Info(Secret{Origin: "cookie-secret"}, "", "login aes-256", "service-x"))
}

func TestSecrets(t *testing.T) {
	old := [][]byte{[]byte("old")}
	require.Equal(t, []Secret{{[]byte("tok"), "api-token"}, {[]byte("old"), "cookie-secret"}}, Secrets(nil, "tok", old))
	require.Equal(t, []Secret{{[]byte("new"), "cookie-secret"}}, Secrets([]byte("new"), "tok", nil))
}

// The first secret seals, every one opens; purposes and client ids do not
// open each other's values.
func TestCodecs(t *testing.T) {
	newer := Secret{[]byte("new secret 0123456789abcdef012345"), "cookie-secret"}
	older := Secret{[]byte("old secret 0123456789abcdef012345"), "cookie-secret"}
	oldOnly, err := Codecs([]Secret{older}, "", "login", "service-x", time.Hour, 0)
	require.NoError(t, err)
	sealedByOld, err := securecookie.EncodeMulti("c", "v", oldOnly...)
	require.NoError(t, err)

	both, err := Codecs([]Secret{newer, older}, "", "login", "service-x", time.Hour, 0)
	require.NoError(t, err)
	var got string
	require.NoError(t, securecookie.DecodeMulti("c", sealedByOld, &got, both...), "an old secret still opens")
	require.Equal(t, "v", got)

	for _, other := range []struct{ scope, purpose, client string }{
		{"", "state", "service-x"}, {"", "login", "service-y"}, {"oidc ", "login", "service-x"},
	} {
		c, err := Codecs([]Secret{older}, other.scope, other.purpose, other.client, time.Hour, 0)
		require.NoError(t, err)
		require.Error(t, securecookie.DecodeMulti("c", sealedByOld, &got, c...), "%+v", other)
	}
}

func TestMaxAgeSeconds(t *testing.T) {
	for _, tc := range []struct {
		in   time.Duration
		want int64
	}{
		{500 * time.Millisecond, 1}, // not 0, which securecookie reads as no limit
		{time.Second, 1},
		{1500 * time.Millisecond, 2},
		{30 * 24 * time.Hour, 30 * 24 * 3600},
	} {
		require.Equal(t, tc.want, MaxAgeSeconds(tc.in), tc.in.String())
	}
}
