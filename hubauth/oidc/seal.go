package oidc

import (
	"time"

	"github.com/gorilla/securecookie"

	"github.com/hubauth-go/whoami/hubauth"
	"github.com/hubauth-go/whoami/hubauth/internal/sealkeys"
)

// The codes and access tokens the provider hands out are sealed, not
// stored: encrypted and signed (gorilla/securecookie: AES-256-CTR and
// HMAC-SHA-256, with the time of sealing under the MAC), each kind under
// keys of its own (package sealkeys, as hubauth's cookies). Every replica
// derives the same keys from the same secret, so whichever replica a client reaches opens what another
// sealed, and a restarted process opens what it sealed before.

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
	codecs, err := sealkeys.Codecs(secrets(cfg), keyScope, name, cfg.ClientID, maxAge, maxSealed)
	if err != nil {
		return nil, err
	}
	return &sealer{name: name, codecs: codecs}, nil
}

// keyScope keeps the provider's keys apart from hubauth's cookie keys,
// derived from the same secrets.
const keyScope = "oidc "

// secrets are the service's secrets, newest first: HUBAUTH_COOKIE_SECRET
// (else the API token), then HUBAUTH_OLD_COOKIE_SECRETS.
func secrets(cfg hubauth.Config) []sealkeys.Secret {
	return sealkeys.Secrets(cfg.CookieSecret, cfg.APIToken, cfg.OldCookieSecrets)
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
