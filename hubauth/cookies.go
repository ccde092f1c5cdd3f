package hubauth

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/securecookie"
)

// hostPrefix is the cookie name prefix that makes browsers insist on
// Secure, Path=/ and no Domain (RFC 6265bis §4.1.3.2).
const hostPrefix = "__Host-"

// cookieJar knows the names, attributes and seals of the service's cookies.
type cookieJar struct {
	cfg       Config
	keys      *cookieKeys
	login     string // login cookie name: the client id, maybe __Host- prefixed
	stateBase string // state cookie name; a second login in flight gets a suffix
	path      string
	publicTLS bool // JUPYTERHUB_PUBLIC_URL is https
	publicSet bool
	opened    *openedCookies // login cookies already opened; nil: none kept
}

func newCookieJar(cfg Config, keys *cookieKeys) *cookieJar {
	j := &cookieJar{cfg: cfg, keys: keys, login: cfg.ClientID, path: cfg.ServicePrefix,
		opened: newOpenedCookies(cfg.CacheMaxAge, cfg.CacheSize)}
	if cfg.CookieHostPrefix {
		j.login = hostPrefix + cfg.ClientID
		j.path = "/"
	}
	j.stateBase = j.login + "-oauth-state"
	if u, err := url.Parse(cfg.PublicURL); err == nil && u.Scheme != "" {
		j.publicSet = true
		j.publicTLS = u.Scheme == "https"
	}
	return j
}

// secure reports whether the browser reached us over https, so cookies must
// be Secure: always with __Host- names or the secure cookie option, else
// as the configured public URL says, else as BrowserScheme reads the
// forwarding headers (the connection's own TLS comes last: under internal
// SSL it is the proxy's, not the browser's).
func (j *cookieJar) secure(r *http.Request) bool {
	switch {
	case j.cfg.CookieHostPrefix, j.cfg.CookieOptions.Secure:
		return true
	case j.publicSet:
		return j.publicTLS
	}
	return BrowserScheme(r) == "https"
}

func (j *cookieJar) cookie(r *http.Request, name, value string) *http.Cookie {
	c := &http.Cookie{
		Name:     name,
		Value:    value,
		Path:     j.path,
		HttpOnly: true,
		Secure:   j.secure(r),
		SameSite: j.cfg.CookieOptions.SameSite,
	}
	if c.SameSite == 0 {
		c.SameSite = http.SameSiteLaxMode
	}
	if !j.cfg.CookieHostPrefix {
		c.Domain = j.cfg.CookieOptions.Domain
	}
	return c
}

// setLogin stores the hub token in the sealed login cookie.
func (j *cookieJar) setLogin(w http.ResponseWriter, r *http.Request, token string) error {
	v, err := securecookie.EncodeMulti(j.login, token, j.keys.login...)
	if err != nil {
		return err
	}
	c := j.cookie(r, j.login, v)
	if !j.cfg.CookieOptions.SessionOnly {
		c.MaxAge = int(j.cfg.CookieOptions.LoginMaxAge() / time.Second)
	}
	http.SetCookie(w, c)
	return nil
}

// loginToken opens the login cookie. present is false when there is none;
// err is set when there is one that cannot be opened (tampered, expired, or
// sealed with a key no longer accepted).
func (j *cookieJar) loginToken(r *http.Request) (token string, present bool, err error) {
	v, ok := cookieValue(r, j.login)
	if !ok {
		return "", false, nil
	}
	token, err = j.openLogin(v)
	return token, true, err
}

// maxSealedLen is the longest cookie value securecookie opens (its
// default MaxLength); longer ones are refused without hashing them.
const maxSealedLen = 4096

// openLogin opens a login cookie value: from the cache of opened cookies
// when this exact value was opened before and its sealed age has not run
// out, else with the full check (MAC with each configured key, sealed age,
// decryption), remembering the value if it passes.
func (j *cookieJar) openLogin(v string) (string, error) {
	cacheable := j.opened != nil && len(v) <= maxSealedLen
	var key openedKey
	if cacheable {
		key = openedKeyFor(v)
		if token, ok := j.opened.get(key); ok {
			return token, nil
		}
	}
	var token string
	if err := securecookie.DecodeMulti(j.login, v, &token, j.keys.login...); err != nil {
		return "", err
	}
	if cacheable {
		if sealed, ok := sealedAt(v); ok {
			var until int64 // 0: the age is not limited
			if j.keys.loginMaxAge > 0 {
				until = sealed + j.keys.loginMaxAge
			}
			j.opened.put(key, token, until)
		}
	}
	return token, nil
}

// sealedAt reads the time (Unix seconds) a securecookie value was sealed:
// it is the value's first field, in the clear but under the MAC. Only for
// values securecookie has just opened.
func sealedAt(v string) (int64, bool) {
	b, err := base64.URLEncoding.DecodeString(v)
	if err != nil {
		return 0, false
	}
	ts, _, ok := strings.Cut(string(b), "|")
	if !ok {
		return 0, false
	}
	t, err := strconv.ParseInt(ts, 10, 64)
	return t, err == nil
}

// hasLogin reports whether the request carries a login cookie, valid or
// not.
func (j *cookieJar) hasLogin(r *http.Request) bool {
	_, ok := cookieValue(r, j.login)
	return ok
}

// clear tells the browser to drop a cookie.
func (j *cookieJar) clear(w http.ResponseWriter, r *http.Request, name string) {
	c := j.cookie(r, name, "")
	c.MaxAge = -1
	http.SetCookie(w, c)
}

// isState reports whether a cookie name is one of our state cookies.
func (j *cookieJar) isState(name string) bool {
	return name == j.stateBase || strings.HasPrefix(name, j.stateBase+"-")
}
