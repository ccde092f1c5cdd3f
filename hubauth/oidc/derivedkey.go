package oidc

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"io"
	"math/big"
)

// Without a key file, the provider signs with an RSA key derived from its
// secret (HUBAUTH_COOKIE_SECRET, else the API token), so every replica and
// every restart signs with the same key under the same key id, with
// nothing to store or share but what the service already has.
//
// crypto/rsa cannot do this: since Go 1.26 GenerateKey ignores the random
// source it is given. So the primes are found here, the usual way, in a
// stream of bytes that only the secret determines: HKDF-SHA-256 (RFC 5869)
// makes an AES-256 key from the secret, and AES in counter mode over zeros
// turns it into as many bytes as the search needs. Each prime is the first
// probable prime at or after a 1024-bit odd number from the stream, with
// its two top bits set so the modulus has exactly 2048; math/big's
// ProbablyPrime (20 Miller-Rabin rounds and a Baillie-PSW test) decides.
// The key is then checked by rsa.PrivateKey.Validate.
//
// Whoever holds the secret can derive the key, and so sign id_tokens; they
// can already act as the service with the API token. A key file
// (HUBAUTH_OIDC_KEY_FILE) keeps signing apart from that secret.

// derivedKeyBits is the size of a derived key's modulus.
const derivedKeyBits = 2048

// rsaExponent is the public exponent, as everyone uses.
const rsaExponent = 65537

// deriveRSAKey derives the RSA key for secret; info keeps keys for
// different purposes or services apart.
func deriveRSAKey(secret []byte, info string) (*rsa.PrivateKey, error) {
	seed, err := hkdf.Key(sha256.New, secret, nil, info, 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(seed)
	if err != nil {
		return nil, err
	}
	stream := cipher.StreamReader{S: cipher.NewCTR(block, make([]byte, aes.BlockSize)), R: zeros{}}
	p, err := derivedPrime(stream, derivedKeyBits/2)
	if err != nil {
		return nil, err
	}
	var q *big.Int
	for {
		if q, err = derivedPrime(stream, derivedKeyBits/2); err != nil {
			return nil, err
		}
		// p and q must differ in their top 100 bits, or N is easy to factor
		// (Fermat); for primes from independent bytes this never repeats.
		if new(big.Int).Rsh(new(big.Int).Abs(new(big.Int).Sub(p, q)), derivedKeyBits/2-100).Sign() != 0 {
			break
		}
	}
	one := big.NewInt(1)
	pm1, qm1 := new(big.Int).Sub(p, one), new(big.Int).Sub(q, one)
	lambda := new(big.Int).Div(new(big.Int).Mul(pm1, qm1), new(big.Int).GCD(nil, nil, pm1, qm1))
	d := new(big.Int).ModInverse(big.NewInt(rsaExponent), lambda)
	if d == nil {
		return nil, errors.New("derived RSA key: the exponent has no inverse")
	}
	key := &rsa.PrivateKey{
		PublicKey: rsa.PublicKey{N: new(big.Int).Mul(p, q), E: rsaExponent},
		D:         d,
		Primes:    []*big.Int{p, q},
	}
	key.Precompute()
	if err := key.Validate(); err != nil {
		return nil, err
	}
	return key, nil
}

// derivedPrime returns the first probable prime p at or after an odd
// number of bits bits read from r, with p-1 coprime to the exponent.
func derivedPrime(r io.Reader, bits int) (*big.Int, error) {
	buf := make([]byte, bits/8)
	e := big.NewInt(rsaExponent)
	two := big.NewInt(2)
	for {
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, err
		}
		buf[0] |= 0xc0
		buf[len(buf)-1] |= 1
		p := new(big.Int).SetBytes(buf)
		// About 355 odd numbers are tried on average; 4096 and the top
		// bits still set leaves no realistic chance of running out.
		for range 4096 {
			if p.ProbablyPrime(20) {
				pm1 := new(big.Int).Sub(p, big.NewInt(1))
				if new(big.Int).GCD(nil, nil, pm1, e).Cmp(big.NewInt(1)) == 0 && p.BitLen() == bits {
					return p, nil
				}
			}
			p.Add(p, two)
		}
	}
}

// zeros reads as an endless run of zero bytes: counter mode over it is
// the key stream itself.
type zeros struct{}

func (zeros) Read(b []byte) (int, error) {
	clear(b)
	return len(b), nil
}
