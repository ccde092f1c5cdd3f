package oidc

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/go-jose/go-jose/v4"
)

// SigningKey signs id_tokens. Every key of a provider is published at its
// JWKS endpoint under its ID, so clients can check a signature made with
// any of them: to rotate, put the new key first and keep the old one
// listed until the id_tokens it signed have expired.
type SigningKey struct {
	// Key is the private key: an *rsa.PrivateKey of at least 2048 bits, or
	// an *ecdsa.PrivateKey on P-256, P-384 or P-521.
	Key crypto.Signer
	// Algorithm is the JWS algorithm it signs with: RS256 for RSA (the
	// one OpenID Connect requires every client to support), ES256, ES384
	// or ES512 for the curves.
	Algorithm string
	// ID is the key id (kid): the key's JWK thumbprint (RFC 7638), the
	// same for the same key on every replica.
	ID string
}

// minRSABits is the smallest RSA key accepted, as NIST and go-oidc want.
const minRSABits = 2048

// NewSigningKey describes k: its algorithm and its thumbprint as key id.
func NewSigningKey(k crypto.Signer) (SigningKey, error) {
	var alg string
	switch key := k.(type) {
	case *rsa.PrivateKey:
		if key.N.BitLen() < minRSABits {
			return SigningKey{}, fmt.Errorf("an RSA key of %d bits: want at least %d", key.N.BitLen(), minRSABits)
		}
		alg = string(jose.RS256)
	case *ecdsa.PrivateKey:
		switch key.Curve {
		case elliptic.P256():
			alg = string(jose.ES256)
		case elliptic.P384():
			alg = string(jose.ES384)
		case elliptic.P521():
			alg = string(jose.ES512)
		default:
			return SigningKey{}, errors.New("an EC key on a curve other than P-256, P-384 or P-521")
		}
	default:
		return SigningKey{}, fmt.Errorf("a %T: want an RSA key or an EC key on P-256, P-384 or P-521", k)
	}
	jwk := jose.JSONWebKey{Key: k.Public()}
	sum, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return SigningKey{}, err
	}
	return SigningKey{Key: k, Algorithm: alg, ID: base64.RawURLEncoding.EncodeToString(sum)}, nil
}

// ParseKeys reads private keys from PEM: PKCS #8 ("PRIVATE KEY"), PKCS #1
// ("RSA PRIVATE KEY") or SEC 1 ("EC PRIVATE KEY") blocks, in order, as
// `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048` writes
// them. Other blocks, such as certificates, are refused, so a file that is
// not what it should be does not start a provider that cannot sign.
func ParseKeys(data []byte) ([]SigningKey, error) {
	var keys []SigningKey
	for n := 1; ; n++ {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		var k any
		var err error
		switch block.Type {
		case "PRIVATE KEY":
			k, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		case "RSA PRIVATE KEY":
			k, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		case "EC PRIVATE KEY":
			k, err = x509.ParseECPrivateKey(block.Bytes)
		default:
			return nil, fmt.Errorf("PEM block %d is %q: want a private key", n, block.Type)
		}
		if err != nil {
			return nil, fmt.Errorf("PEM block %d (%s): %v", n, block.Type, err)
		}
		signer, ok := k.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("PEM block %d: a %T cannot sign", n, k)
		}
		sk, err := NewSigningKey(signer)
		if err != nil {
			return nil, fmt.Errorf("PEM block %d: %v", n, err)
		}
		keys = append(keys, sk)
	}
	if len(keys) == 0 {
		return nil, errors.New("no PEM private key in it")
	}
	return keys, nil
}

// checkKeys makes sure hand-made SigningKeys say what NewSigningKey
// would: a wrong algorithm or key id would publish a JWKS that no
// signature matches.
func checkKeys(keys []SigningKey) error {
	seen := map[string]bool{}
	for i, k := range keys {
		want, err := NewSigningKey(k.Key)
		if err != nil {
			return fmt.Errorf("key %d: %v", i+1, err)
		}
		if k.Algorithm != want.Algorithm || k.ID == "" {
			return fmt.Errorf("key %d: want algorithm %s and a key id (NewSigningKey fills them in)", i+1, want.Algorithm)
		}
		if seen[k.ID] {
			return fmt.Errorf("key %d: key id %s is listed twice", i+1, k.ID)
		}
		seen[k.ID] = true
	}
	return nil
}
