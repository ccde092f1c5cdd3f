package oidc

import (
	"crypto/hkdf"
	"crypto/sha256"
	"time"

	"github.com/gorilla/securecookie"

	"github.com/hubauth-go/whoami/hubauth"
)

// The codes and access tokens the provider hands out are sealed, not
// stored: encrypted and signed (gorilla/securecookie: AES-256-CTR and
// HMAC-SHA-256, with the time of sealing under the MAC), each kind under
// keys of its own. Every replica derives the same keys from the same
// secret, so whichever replica a client reaches opens what another
// sealed, and a restarted process opens what it sealed before.

// secret is one source of key material, with where it came from, which
// goes into every derivation: a configured secret and an API token with
// the same bytes still give different keys.
type secret struct {
	bytes  []byte
	origin string
}

// secrets are the service's secrets, newest first: HUBAUTH_COOKIE_SECRET
// (else the API token), then HUBAUTH_OLD_COOKIE_SECRETS, which still open
// what they sealed while a rotation is under way.
func secrets(cfg hubauth.Config) []secret {
	s := []secret{{[]byte(cfg.APIToken), "api-token"}}
	if len(cfg.CookieSecret) > 0 {
		s[0] = secret{cfg.CookieSecret, "cookie-secret"}
	}
	for _, old := range cfg.OldCookieSecrets {
		s = append(s, secret{old, "cookie-secret"})
	}
	return s
}

// deriveKey makes n bytes of key material for purpose from one secret.
// The client id in the info keeps two services that share a secret from
// accepting each other's codes and tokens.
func (s secret) deriveKey(cfg hubauth.Config, purpose string, n int) ([]byte, error) {
	return hkdf.Key(sha256.New, s.bytes, nil, "hubauth/v1 oidc "+s.origin+" "+purpose+" "+cfg.ClientID, n)
}

// maxSealed bounds the length of a sealed value, sealed or opened: a
// code carries a redirect URI, a nonce and the hub's code.
const maxSealed = 8192

// sealer seals and opens values of one kind (codes, access tokens).
type sealer struct {
	name   string // bound into the MAC, so a value of one kind is never taken for another
	codecs []securecookie.Codec
}

// newSealer makes the sealer of one kind, whose values are refused once
// older than maxAge.
func newSealer(cfg hubauth.Config, name string, maxAge time.Duration) (*sealer, error) {
	s := &sealer{name: name}
	for _, src := range secrets(cfg) {
		hashKey, err := src.deriveKey(cfg, name+" hmac-sha256", 32)
		if err != nil {
			return nil, err
		}
		blockKey, err := src.deriveKey(cfg, name+" aes-256", 32)
		if err != nil {
			return nil, err
		}
		sc := securecookie.New(hashKey, blockKey)
		sc.SetSerializer(securecookie.JSONEncoder{})
		sc.MaxAge(int((maxAge + time.Second - 1) / time.Second))
		sc.MaxLength(maxSealed)
		s.codecs = append(s.codecs, sc)
	}
	return s, nil
}

// seal encrypts and signs v with the newest key.
func (s *sealer) seal(v any) (string, error) {
	return securecookie.EncodeMulti(s.name, v, s.codecs[0])
}

// open checks and decrypts text into v with any of the keys; an error
// means tampered, too old, sealed for another kind or with a key that is
// no longer configured, or not a sealed value at all.
func (s *sealer) open(text string, v any) error {
	if len(text) > maxSealed {
		return securecookie.ErrMacInvalid
	}
	return securecookie.DecodeMulti(s.name, text, v, s.codecs...)
}
