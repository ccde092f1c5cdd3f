package hubauth

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// MinCookieSecret is the least key material accepted in
// HUBAUTH_COOKIE_SECRET: 32 bytes, 64 hex digits (`openssl rand -hex 32`).
const MinCookieSecret = 32

// CookieOptions are the login cookie attributes an operator may set through
// JUPYTERHUB_COOKIE_OPTIONS, the JSON object of cookie arguments JupyterHub
// passes to its services. Keys JupyterHub knows but that would weaken the
// cookie (httponly, path) are ignored.
type CookieOptions struct {
	// Secure forces the Secure attribute even when the browser-facing
	// scheme cannot be seen to be https.
	Secure bool
	// SameSite defaults to Lax: the cookie comes along when the hub
	// redirects back, but not on cross-site subrequests.
	SameSite http.SameSite
	// Domain, when set, shares the cookie with subdomains.
	Domain string
	// MaxAge is how long a login lasts: the browser keeps the cookie that
	// long, and the service refuses it once it is older, whatever the
	// browser does (the age is sealed inside). 0 means
	// [DefaultLoginMaxAge], 30 days as with JupyterHub's own client.
	MaxAge time.Duration
	// SessionOnly makes the login cookie a browser-session cookie (no
	// Max-Age): JUPYTERHUB_COOKIE_OPTIONS with "expires_days": null or 0.
	// The sealed age limit still applies.
	SessionOnly bool
}

// DefaultLoginMaxAge is how long a login lasts unless
// JUPYTERHUB_COOKIE_OPTIONS says otherwise: 30 days, as JupyterHub's
// Python client sets its login cookie (expires_days=30). The hub token
// inside may expire sooner; the hub then refuses it and the browser logs in
// again.
const DefaultLoginMaxAge = 30 * 24 * time.Hour

// LoginMaxAge is how long a login cookie is honoured: MaxAge, or
// [DefaultLoginMaxAge] when that is 0.
func (o CookieOptions) LoginMaxAge() time.Duration {
	if o.MaxAge > 0 {
		return o.MaxAge
	}
	return DefaultLoginMaxAge
}

func oauthSettings() []Setting {
	return []Setting{
		{"JUPYTERHUB_CLIENT_ID", "service-NAME", "OAuth client id (OAuth services); the login cookie is named after it"},
		{"JUPYTERHUB_OAUTH_CALLBACK_URL", "{prefix}oauth_callback", "OAuth redirect URI registered with the hub: a path or a full URL"},
		{"JUPYTERHUB_PUBLIC_URL", "", "public URL of the deployment; https makes cookies Secure (so does X-Forwarded-Proto: https)"},
		{"JUPYTERHUB_COOKIE_HOST_PREFIX_ENABLED", "false", "name cookies __Host-…, with Path=/ and Secure"},
		{"JUPYTERHUB_COOKIE_OPTIONS", "{}", "JSON object of login cookie options: secure, samesite, domain, max_age (s) or expires_days (how long a login lasts, 30 days by default; null for a browser-session cookie)"},
		{"HUBAUTH_COOKIE_SECRET", "(derived)", "hex key (at least 64 digits) for the login and state cookies; default: derived from the API token"},
		{"HUBAUTH_COOKIE_SECRET_FILE", "", "file holding HUBAUTH_COOKIE_SECRET, for secrets mounted as files"},
		{"HUBAUTH_OLD_COOKIE_SECRETS", "", "comma-separated hex keys still accepted for cookies, while rotating to a new secret"},
	}
}

// readOAuthEnv fills the OAuth part of cfg; problems go to bad, each naming
// its variable.
func readOAuthEnv(cfg *Config, get func(string) string, bad func(name, format string, args ...any)) {
	cfg.ClientID = get("JUPYTERHUB_CLIENT_ID")
	if cfg.ClientID == "" && cfg.ServiceName != "" {
		cfg.ClientID = "service-" + cfg.ServiceName
	}
	cfg.OAuthCallbackURL = get("JUPYTERHUB_OAUTH_CALLBACK_URL")
	if cfg.OAuthCallbackURL == "" {
		cfg.OAuthCallbackURL = cfg.ServicePrefix + "oauth_callback"
	}
	cfg.PublicURL = get("JUPYTERHUB_PUBLIC_URL")
	cfg.CookieHostPrefix = hubBool(get("JUPYTERHUB_COOKIE_HOST_PREFIX_ENABLED"), false)
	var err error
	if raw := get("JUPYTERHUB_COOKIE_OPTIONS"); raw != "" {
		opts, err := ParseCookieOptions(raw)
		if err != nil {
			bad("JUPYTERHUB_COOKIE_OPTIONS", "%v", err)
		}
		cfg.CookieOptions = opts
	}

	secret, file := get("HUBAUTH_COOKIE_SECRET"), get("HUBAUTH_COOKIE_SECRET_FILE")
	switch {
	case secret != "" && file != "":
		bad("HUBAUTH_COOKIE_SECRET_FILE", "set either it or HUBAUTH_COOKIE_SECRET, not both")
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			bad("HUBAUTH_COOKIE_SECRET_FILE", "%v", err)
			break
		}
		if cfg.CookieSecret, err = parseSecret(string(b)); err != nil {
			bad("HUBAUTH_COOKIE_SECRET_FILE", "%s: %v", file, err)
		}
	case secret != "":
		if cfg.CookieSecret, err = parseSecret(secret); err != nil {
			bad("HUBAUTH_COOKIE_SECRET", "%v", err)
		}
	}
	for _, old := range strings.Split(get("HUBAUTH_OLD_COOKIE_SECRETS"), ",") {
		if old = strings.TrimSpace(old); old == "" {
			continue
		}
		key, err := parseSecret(old)
		if err != nil {
			bad("HUBAUTH_OLD_COOKIE_SECRETS", "%v", err)
			continue
		}
		cfg.OldCookieSecrets = append(cfg.OldCookieSecrets, key)
	}
}

// parseSecret reads a hex key. The message never repeats the value: it is a
// secret, and start-up errors end up in logs.
func parseSecret(raw string) ([]byte, error) {
	b, err := hex.DecodeString(strings.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("want hex digits, as `openssl rand -hex 32` prints")
	}
	if len(b) < MinCookieSecret {
		return nil, fmt.Errorf("want at least %d bytes (%d hex digits), got %d bytes", MinCookieSecret, 2*MinCookieSecret, len(b))
	}
	return b, nil
}

// ParseCookieOptions reads JUPYTERHUB_COOKIE_OPTIONS, a JSON object of
// cookie arguments as JupyterHub gives them to its services.
func ParseCookieOptions(raw string) (CookieOptions, error) {
	opts := CookieOptions{SameSite: http.SameSiteLaxMode}
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return opts, fmt.Errorf("want a JSON object like {\"secure\": true}, got %.60q", raw)
	}
	for k, v := range m {
		var err error
		switch strings.ToLower(k) {
		case "secure":
			err = json.Unmarshal(v, &opts.Secure)
		case "samesite":
			var s string
			if err = json.Unmarshal(v, &s); err == nil {
				opts.SameSite, err = parseSameSite(s)
			}
		case "domain":
			err = json.Unmarshal(v, &opts.Domain)
		case "max_age", "expires_days":
			var n float64
			if err = json.Unmarshal(v, &n); err == nil {
				if strings.EqualFold(k, "expires_days") {
					n *= 24 * 3600
				}
				switch {
				case n < 0 || n > math.MaxInt32:
					err = fmt.Errorf("out of range")
				case n < 1:
					// null or 0: no expiry for the browser, as Tornado
					// reads expires_days=None.
					opts.MaxAge, opts.SessionOnly = 0, true
				default:
					opts.MaxAge, opts.SessionOnly = time.Duration(n*float64(time.Second)), false
				}
			}
		default:
			// httponly, path, expires and anything new: not ours to loosen.
		}
		if err != nil {
			return opts, fmt.Errorf("%s: %v", k, err)
		}
	}
	return opts, nil
}

func parseSameSite(s string) (http.SameSite, error) {
	switch strings.ToLower(s) {
	case "lax", "":
		return http.SameSiteLaxMode, nil
	case "strict":
		return http.SameSiteStrictMode, nil
	case "none":
		return http.SameSiteNoneMode, nil
	}
	return 0, fmt.Errorf("want Lax, Strict or None, got %q", s)
}

// validateOAuth checks what an OAuth service needs beyond a token service.
func (c Config) validateOAuth() error {
	var errs problems
	bad := errs.add
	if c.ClientID == "" {
		bad("JUPYTERHUB_CLIENT_ID", "not set, and no JUPYTERHUB_SERVICE_NAME to make service-NAME from")
	} else if !isCookieToken(c.ClientID) {
		bad("JUPYTERHUB_CLIENT_ID", "%q cannot name a cookie (RFC 6265 allows letters, digits and !#$%%&'*+-.^_`|~), so no login could finish", c.ClientID)
	}
	if u, err := url.Parse(c.OAuthCallbackURL); err != nil || !strings.HasPrefix(u.Path, "/") ||
		(u.Host == "") != (u.Scheme == "") {
		bad("JUPYTERHUB_OAUTH_CALLBACK_URL", "want a path like /services/NAME/oauth_callback or a full URL, got %q", withoutUserinfo(c.OAuthCallbackURL))
	}
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil {
			bad("JUPYTERHUB_PUBLIC_URL", "want an http or https URL without a user name or password, got %q", withoutUserinfo(c.PublicURL))
		}
	}
	if c.CookieSecret != nil && len(c.CookieSecret) < MinCookieSecret {
		bad("HUBAUTH_COOKIE_SECRET", "want at least %d bytes", MinCookieSecret)
	}
	if c.CookieHostPrefix && c.CookieOptions.Domain != "" {
		bad("JUPYTERHUB_COOKIE_OPTIONS", "a domain cannot be set on __Host- cookies (JUPYTERHUB_COOKIE_HOST_PREFIX_ENABLED)")
	}
	return errs.err()
}

// isCookieToken reports whether s can name a cookie: an RFC 6265 token,
// that is visible ASCII without the separators ()<>@,;:\"/[]?={} (the
// same set as RFC 9110's tchar). net/http silently drops a Set-Cookie
// whose name is anything else, so a client id outside it would send every
// browser round the login forever.
func isCookieToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("()<>@,;:\\\"/[]?={}", c) >= 0 {
			return false
		}
	}
	return true
}
