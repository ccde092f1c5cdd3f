package hubauth

import (
	"time"

	"github.com/gorilla/securecookie"

	"github.com/hubauth-go/whoami/hubauth/internal/sealkeys"
)

// cookieKeys are the codecs that seal the login and state cookies, and the
// key that makes XSRF tokens. Each purpose has its own keys, derived
// (package sealkeys) from one secret, so a value made for one can never be
// opened as another; securecookie also binds every value to its cookie name.
//
// The secret is Config.CookieSecret when set. Otherwise it is the service's
// API token: replicas that share the token agree on the keys, and a
// restarted process still opens the cookies it set before, with nothing
// more to configure. Whoever holds the API token can already act as the
// service, so deriving from it gives no one new powers; rotating the token
// logs everyone out, which is what a rotation is for.
type cookieKeys struct {
	login []securecookie.Codec // newest secret first; old ones only open
	state []securecookie.Codec
	xsrf  []byte
	// loginMaxAge is the login codecs' age limit in whole seconds, as
	// securecookie checks it (sealed time + loginMaxAge, inclusive); the
	// cache of opened cookies applies the same limit.
	loginMaxAge int64
}

// The state cookie's lifetime, checked inside the sealed value whatever
// the browser does with the cookie's own expiry. The login cookie's is
// CookieOptions' login max age, checked the same way.
const stateCookieMaxAge = 10 * time.Minute

func newCookieKeys(cfg Config) (*cookieKeys, error) {
	secrets := sealkeys.Secrets(cfg.CookieSecret, cfg.APIToken, cfg.OldCookieSecrets)
	k := &cookieKeys{loginMaxAge: sealkeys.MaxAgeSeconds(cfg.CookieOptions.loginMaxAge())}
	var err error
	if k.login, err = sealkeys.Codecs(secrets, "", "login", cfg.ClientID, cfg.CookieOptions.loginMaxAge(), 0); err != nil {
		return nil, err
	}
	if k.state, err = sealkeys.Codecs(secrets, "", "state", cfg.ClientID, stateCookieMaxAge, 0); err != nil {
		return nil, err
	}
	// XSRF tokens are made, never opened later with an older key: the
	// newest secret alone.
	if k.xsrf, err = sealkeys.Key(secrets[0], "", "xsrf hmac-sha256", cfg.ClientID, 32); err != nil {
		return nil, err
	}
	return k, nil
}
