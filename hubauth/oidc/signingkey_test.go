package oidc

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"testing"

	"github.com/stretchr/testify/require"
)

func pemBlock(t *testing.T, typ string, der []byte) string {
	t.Helper()
	return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}

func TestParseKeys(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	smallRSA, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	ec384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	require.NoError(t, err)
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	pkcs8 := func(k any) []byte {
		der, err := x509.MarshalPKCS8PrivateKey(k)
		require.NoError(t, err)
		return der
	}
	sec1, err := x509.MarshalECPrivateKey(ec384)
	require.NoError(t, err)

	for _, tc := range []struct {
		name  string
		pem   string
		algs  []string
		error string
	}{
		{name: "PKCS #8 RSA then PKCS #1 RSA", pem: pemBlock(t, "PRIVATE KEY", pkcs8(rsaKey)) + pemBlock(t, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey)),
			error: "key id"}, // the same key twice
		{name: "RSA, P-256 and P-384", pem: pemBlock(t, "PRIVATE KEY", pkcs8(rsaKey)) + pemBlock(t, "PRIVATE KEY", pkcs8(ecKey)) + pemBlock(t, "EC PRIVATE KEY", sec1),
			algs: []string{"RS256", "ES256", "ES384"}},
		{name: "nothing", pem: "not a key", error: "no PEM private key"},
		{name: "a certificate", pem: pemBlock(t, "CERTIFICATE", []byte{1, 2}), error: `PEM block 1 is "CERTIFICATE": want a private key`},
		{name: "garbage in a block", pem: pemBlock(t, "PRIVATE KEY", []byte("junk")), error: "PEM block 1 (PRIVATE KEY):"},
		{name: "a small RSA key", pem: pemBlock(t, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(smallRSA)), error: "an RSA key of 1024 bits: want at least 2048"},
		{name: "Ed25519", pem: pemBlock(t, "PRIVATE KEY", pkcs8(edKey)), error: "want an RSA key or an EC key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			keys, err := ParseKeys([]byte(tc.pem))
			if tc.error != "" && tc.algs == nil {
				if err == nil {
					err = checkKeys(keys)
				}
				require.ErrorContains(t, err, tc.error)
				return
			}
			require.NoError(t, err)
			require.NoError(t, checkKeys(keys))
			var algs []string
			for _, k := range keys {
				algs = append(algs, k.Algorithm)
				require.Len(t, k.ID, 43, "a base64url SHA-256 thumbprint")
			}
			require.Equal(t, tc.algs, algs)
		})
	}
}

// A key's id is its thumbprint: the same key has the same id wherever it
// is loaded, and a hand-made SigningKey that says otherwise is refused.
func TestSigningKeyID(t *testing.T) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	a, err := NewSigningKey(k)
	require.NoError(t, err)
	b, err := ParseKeys([]byte(pemBlock(t, "EC PRIVATE KEY", must(x509.MarshalECPrivateKey(k)))))
	require.NoError(t, err)
	require.Equal(t, a.ID, b[0].ID)
	require.ErrorContains(t, checkKeys([]SigningKey{{Key: k, Algorithm: "RS256", ID: a.ID}}), "want algorithm ES256")
	require.ErrorContains(t, checkKeys([]SigningKey{{Key: k, Algorithm: "ES256"}}), "a key id")
}

// The derived key is the same for the same secret, on every replica and
// after every restart, and another for another secret or purpose.
func TestDeriveRSAKey(t *testing.T) {
	a, err := deriveRSAKey([]byte("api-token-one"), "purpose")
	require.NoError(t, err)
	again, err := deriveRSAKey([]byte("api-token-one"), "purpose")
	require.NoError(t, err)
	other, err := deriveRSAKey([]byte("api-token-two"), "purpose")
	require.NoError(t, err)
	otherPurpose, err := deriveRSAKey([]byte("api-token-one"), "another purpose")
	require.NoError(t, err)
	require.True(t, a.Equal(again))
	require.False(t, a.Equal(other))
	require.False(t, a.Equal(otherPurpose))
	require.Equal(t, 2048, a.N.BitLen())
	require.NoError(t, a.Validate())
	ka, err := NewSigningKey(a)
	require.NoError(t, err)
	kb, err := NewSigningKey(again)
	require.NoError(t, err)
	require.Equal(t, ka.ID, kb.ID)
	require.Equal(t, "RS256", ka.Algorithm)
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
