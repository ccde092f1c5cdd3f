// Package sealkeys derives, from a service's secrets, the keys that seal
// what hubauth hands out: its login and state cookies, and the codes and
// access tokens of the OpenID Connect provider in hubauth/oidc. Each
// purpose gets keys of its own, derived with HKDF-SHA-256 (RFC 5869), so
// a value sealed for one can never be opened as another.
//
// The secret is HUBAUTH_COOKIE_SECRET when set, else the service's API
// token: replicas that share it derive the same keys, and a restarted
// process opens what it sealed before, with nothing more to configure.
// Old secrets (HUBAUTH_OLD_COOKIE_SECRETS) still open what they sealed
// while a rotation is under way.
package sealkeys

import (
	"crypto/hkdf"
	"crypto/sha256"
	"time"

	"github.com/gorilla/securecookie"
)

// Secret is one source of key material and where it came from, which goes
// into every derivation: a configured secret and an API token with the
// same bytes still give different keys.
type Secret struct {
	Bytes  []byte
	Origin string // "cookie-secret" or "api-token"
}

// Secrets lists a service's secrets, newest first: cookieSecret (else the
// API token), then the old secrets.
func Secrets(cookieSecret []byte, apiToken string, old [][]byte) []Secret {
	s := []Secret{{[]byte(apiToken), "api-token"}}
	if len(cookieSecret) > 0 {
		s[0] = Secret{cookieSecret, "cookie-secret"}
	}
	for _, o := range old {
		s = append(s, Secret{o, "cookie-secret"})
	}
	return s
}

// Info is the HKDF info of one purpose: "hubauth/v1 <scope><origin>
// <purpose> <clientID>". The client id keeps two services that share a
// secret from accepting each other's values; scope ("" for hubauth's
// cookies, "oidc " for the provider's values) keeps the provider's apart.
func Info(s Secret, scope, purpose, clientID string) string {
	return "hubauth/v1 " + scope + s.Origin + " " + purpose + " " + clientID
}

// Key derives n bytes of key material for purpose from s.
func Key(s Secret, scope, purpose, clientID string, n int) ([]byte, error) {
	return hkdf.Key(sha256.New, s.Bytes, nil, Info(s, scope, purpose, clientID), n)
}

// MaxAgeSeconds is an age limit in whole seconds for securecookie, rounded
// up: rounding down would make a limit under a second 0, which
// securecookie reads as no limit at all.
func MaxAgeSeconds(d time.Duration) int64 {
	return int64((d + time.Second - 1) / time.Second)
}

// Codecs makes one securecookie codec (AES-256 and HMAC-SHA-256, JSON)
// per secret for purpose, in the order of secrets: the first seals, all
// open. Values older than maxAge are refused, and, when maxLen > 0,
// values longer than maxLen.
func Codecs(secrets []Secret, scope, purpose, clientID string, maxAge time.Duration, maxLen int) ([]securecookie.Codec, error) {
	var codecs []securecookie.Codec
	for _, s := range secrets {
		hashKey, err := Key(s, scope, purpose+" hmac-sha256", clientID, 32)
		if err != nil {
			return nil, err
		}
		blockKey, err := Key(s, scope, purpose+" aes-256", clientID, 32)
		if err != nil {
			return nil, err
		}
		sc := securecookie.New(hashKey, blockKey)
		sc.SetSerializer(securecookie.JSONEncoder{})
		sc.MaxAge(int(MaxAgeSeconds(maxAge)))
		if maxLen > 0 {
			sc.MaxLength(maxLen)
		}
		codecs = append(codecs, sc)
	}
	return codecs, nil
}
