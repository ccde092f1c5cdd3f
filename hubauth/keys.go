package hubauth

import (
	"crypto/hkdf"
	"crypto/sha256"
	"time"

	"github.com/gorilla/securecookie"
)

// cookieKeys are the codecs that seal the login and state cookies, and the
// key that makes XSRF tokens. Each purpose has its own keys, derived with
// HKDF (RFC 5869) from one secret, so a value made for one can never be
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

// maxAgeSeconds is a cookie age limit in whole seconds for securecookie,
// rounded up: rounding down would make a limit under a second 0, which
// securecookie reads as no limit at all.
func maxAgeSeconds(d time.Duration) int64 {
	return int64((d + time.Second - 1) / time.Second)
}

// The state cookie's lifetime, checked inside the sealed value whatever
// the browser does with the cookie's own expiry. The login cookie's is
// CookieOptions.LoginMaxAge, checked the same way.
const stateCookieMaxAge = 10 * time.Minute

func newCookieKeys(cfg Config) (*cookieKeys, error) {
	// The origin goes into the derivation too, so a configured secret and an
	// API token with the same bytes still give different keys.
	type source struct {
		secret []byte
		origin string
	}
	sources := []source{{cfg.CookieSecret, "cookie-secret"}}
	if len(cfg.CookieSecret) == 0 {
		sources[0] = source{[]byte(cfg.APIToken), "api-token"}
	}
	for _, old := range cfg.OldCookieSecrets {
		sources = append(sources, source{old, "cookie-secret"})
	}

	k := &cookieKeys{loginMaxAge: maxAgeSeconds(cfg.CookieOptions.loginMaxAge())}
	for i, src := range sources {
		derive := func(purpose string, n int) ([]byte, error) {
			// The client id in the info keeps two services that share a
			// secret from accepting each other's cookies.
			return hkdf.Key(sha256.New, src.secret, nil, "hubauth/v1 "+src.origin+" "+purpose+" "+cfg.ClientID, n)
		}
		for _, p := range []struct {
			purpose string
			maxAge  time.Duration
			dst     *[]securecookie.Codec
		}{
			{"login", cfg.CookieOptions.loginMaxAge(), &k.login},
			{"state", stateCookieMaxAge, &k.state},
		} {
			hashKey, err := derive(p.purpose+" hmac-sha256", 32)
			if err != nil {
				return nil, err
			}
			blockKey, err := derive(p.purpose+" aes-256", 32)
			if err != nil {
				return nil, err
			}
			sc := securecookie.New(hashKey, blockKey)
			sc.SetSerializer(securecookie.JSONEncoder{})
			sc.MaxAge(int(maxAgeSeconds(p.maxAge)))
			*p.dst = append(*p.dst, sc)
		}
		if i == 0 {
			x, err := derive("xsrf hmac-sha256", 32)
			if err != nil {
				return nil, err
			}
			k.xsrf = x
		}
	}
	return k, nil
}
