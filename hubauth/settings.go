package hubauth

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Setting documents one environment variable that [FromEnv] reads: its
// name, its default, and what it means. The same rows read the
// environment, so -h, the README's table and what is read never disagree.
type Setting struct {
	Name    string
	Default string
	Doc     string

	// read sets the variable's field of a Config from its value (trimmed;
	// "" when unset). env reads another variable, for the few settings
	// that depend on one.
	read func(c *Config, v string, env func(string) string) error
}

// settingRows are the rows, in the order a reader needs them. A row's
// read runs even when the variable is unset, so a default can come from
// it; defaults that depend on other variables are filled in afterwards
// (Config.fillDerived).
func settingRows() []Setting {
	return []Setting{
		{"JUPYTERHUB_API_TOKEN", "(required)", "the service's own token; set by the hub for managed services",
			func(c *Config, v string, _ func(string) string) error { c.APIToken = v; return nil }},
		{"JUPYTERHUB_API_URL", "http://127.0.0.1:8081{hub prefix}api", "the hub's API base URL (http, https, or http+unix/unix+http for a socket)",
			func(c *Config, v string, _ func(string) string) error { c.APIURL = v; return nil }},
		{"JUPYTERHUB_SERVICE_NAME", "", "the service's name; gives the default access scope access:services!service=NAME",
			func(c *Config, v string, _ func(string) string) error { c.ServiceName = v; return nil }},
		{"JUPYTERHUB_SERVICE_URL", "", "where to listen, e.g. http://127.0.0.1:10101",
			func(c *Config, v string, _ func(string) string) error { c.ServiceURL = v; return nil }},
		{"JUPYTERHUB_SERVICE_PREFIX", "/", "public path prefix of the service, e.g. /services/whoami-api/",
			func(c *Config, v string, _ func(string) string) error { c.ServicePrefix = slashed(v); return nil }},
		{"JUPYTERHUB_BASE_URL", "/", "the deployment's base URL; the hub lives at BASE/hub/",
			func(c *Config, v string, _ func(string) string) error { c.BaseURL = slashed(v); return nil }},
		{"JUPYTERHUB_HOST", "", "public origin of the hub when it is not this service's origin",
			func(c *Config, v string, _ func(string) string) error {
				c.Host = strings.TrimSuffix(v, "/")
				return nil
			}},
		{"JUPYTERHUB_OAUTH_ACCESS_SCOPES", "access:services!service=NAME", "JSON list of scopes that grant access (JUPYTERHUB_OAUTH_SCOPES is the old name)",
			func(c *Config, v string, env func(string) string) error {
				if v == "" {
					// The name used before JupyterHub 3.
					v = env("JUPYTERHUB_OAUTH_SCOPES")
				}
				return readScopes(c, v)
			}},
		{"JUPYTERHUB_ALLOW_TOKEN_IN_URL", "false", "accept ?token= on requests that are not websockets; a browser opening such a link (a sharing link) then stays logged in by cookie, unless it is logged in as another user",
			func(c *Config, v string, _ func(string) string) error {
				c.AllowTokenInURL = hubBool(v, false)
				return nil
			}},
		{"JUPYTERHUB_ALLOW_WEBSOCKET_COOKIE_AUTH", "true", "let the login cookie authenticate websocket requests; false makes them carry a token (403 otherwise)",
			func(c *Config, v string, _ func(string) string) error {
				c.DenyWebsocketCookieAuth = !hubBool(v, true)
				return nil
			}},
		{"HUBAUTH_ALLOW_ANY_USER", "false", "admit every hub user and service when there are no access scopes",
			func(c *Config, v string, _ func(string) string) (err error) {
				c.AllowAnyUser, err = strictBool(v)
				return err
			}},
		{"HUBAUTH_CACHE_MAX_AGE", "300s", "how long a hub answer is reused (seconds, or a Go duration like 2m); 0 disables reuse",
			func(c *Config, v string, _ func(string) string) error { return readSeconds(v, &c.CacheMaxAge) }},
		{"HUBAUTH_CACHE_SIZE", strconv.Itoa(DefaultCacheSize), "the most hub answers kept in memory (and, apart, the most opened login cookies)",
			func(c *Config, v string, _ func(string) string) error {
				if v == "" {
					return nil
				}
				n, err := strconv.Atoi(v)
				if err != nil {
					return fmt.Errorf("want a whole number, got %.40q", v)
				}
				c.CacheSize = n
				return nil
			}},
		{"HUBAUTH_STALE_IF_ERROR", "300s", "how long past its max age a hub answer is used again while the hub cannot be reached, times out or fails with a 5xx (seconds or a Go duration); 0 turns it off",
			func(c *Config, v string, _ func(string) string) error { return readSeconds(v, &c.StaleIfError) }},
		{"HUBAUTH_HUB_TIMEOUT", DefaultHubTimeout.String(), "time limit for one call to the hub API (seconds or a Go duration)",
			func(c *Config, v string, _ func(string) string) error { return readSeconds(v, &c.HubTimeout) }},

		// How the service is deployed: internal SSL (tls.go) and where it
		// listens.
		{"JUPYTERHUB_SSL_KEYFILE", "", "internal SSL: the service's private key (PEM), set by the hub",
			func(c *Config, v string, _ func(string) string) error { c.SSLKeyFile = v; return nil }},
		{"JUPYTERHUB_SSL_CERTFILE", "", "internal SSL: the service's certificate (PEM), set by the hub",
			func(c *Config, v string, _ func(string) string) error { c.SSLCertFile = v; return nil }},
		{"JUPYTERHUB_SSL_CLIENT_CA", "", "internal SSL: CA bundle (PEM) the hub API's and the clients' certificates must chain to",
			func(c *Config, v string, _ func(string) string) error { c.SSLClientCA = v; return nil }},
		{"HUBAUTH_LISTEN", "(from JUPYTERHUB_SERVICE_URL)", "address to listen on, host:port or :port, when the service URL names one the service cannot bind",
			func(c *Config, v string, _ func(string) string) error { c.Listen = v; return nil }},

		// Services that log browsers in through the hub's OAuth provider.
		{"JUPYTERHUB_CLIENT_ID", "service-NAME", "OAuth client id (OAuth services); the login cookie is named after it",
			func(c *Config, v string, _ func(string) string) error { c.ClientID = v; return nil }},
		{"JUPYTERHUB_OAUTH_CALLBACK_URL", "{prefix}oauth_callback", "OAuth redirect URI registered with the hub: a path or a full URL",
			func(c *Config, v string, _ func(string) string) error { c.OAuthCallbackURL = v; return nil }},
		{"JUPYTERHUB_PUBLIC_URL", "", "public URL of the deployment; https makes cookies Secure (so does X-Forwarded-Proto: https)",
			func(c *Config, v string, _ func(string) string) error { c.PublicURL = v; return nil }},
		{"JUPYTERHUB_COOKIE_HOST_PREFIX_ENABLED", "false", "name cookies __Host-…, with Path=/ and Secure",
			func(c *Config, v string, _ func(string) string) error {
				c.CookieHostPrefix = hubBool(v, false)
				return nil
			}},
		{"JUPYTERHUB_COOKIE_OPTIONS", "{}", "JSON object of login cookie options: secure, samesite, domain, max_age (s) or expires_days (how long a login lasts, 30 days by default; null for a browser-session cookie)",
			func(c *Config, v string, _ func(string) string) (err error) {
				if v != "" {
					c.CookieOptions, err = parseCookieOptions(v)
				}
				return err
			}},
		{"HUBAUTH_COOKIE_SECRET", "(derived)", "hex key (at least 64 digits) for the login and state cookies; default: derived from the API token",
			func(c *Config, v string, _ func(string) string) (err error) {
				if v != "" {
					c.CookieSecret, err = parseSecret(v)
				}
				return err
			}},
		{"HUBAUTH_COOKIE_SECRET_FILE", "", "file holding HUBAUTH_COOKIE_SECRET, for secrets mounted as files",
			func(c *Config, v string, env func(string) string) error {
				switch {
				case v == "":
					return nil
				case env("HUBAUTH_COOKIE_SECRET") != "":
					return errors.New("set either it or HUBAUTH_COOKIE_SECRET, not both")
				}
				b, err := os.ReadFile(v)
				if err != nil {
					return err
				}
				if c.CookieSecret, err = parseSecret(string(b)); err != nil {
					return fmt.Errorf("%s: %v", v, err)
				}
				return nil
			}},
		{"HUBAUTH_OLD_COOKIE_SECRETS", "", "comma-separated hex keys still accepted for cookies, while rotating to a new secret",
			func(c *Config, v string, _ func(string) string) error {
				var errs []error
				for _, old := range strings.Split(v, ",") {
					if old = strings.TrimSpace(old); old == "" {
						continue
					}
					key, err := parseSecret(old)
					if err != nil {
						errs = append(errs, err)
						continue
					}
					c.OldCookieSecrets = append(c.OldCookieSecrets, key)
				}
				return errors.Join(errs...)
			}},
	}
}

// Settings lists every environment variable [FromEnv] reads, in the order a
// reader needs them. Commands print it for -h and the README's table is
// written from it.
func Settings() []Setting { return settingRows() }

// FromEnv reads the service's configuration from the JUPYTERHUB_* (and
// HUBAUTH_*) environment variables and validates it. The error, if any,
// lists every problem found, each naming its variable.
func FromEnv() (Config, error) {
	return fromLookup(os.LookupEnv)
}

// fromLookup is FromEnv with the environment as a function, for tests.
func fromLookup(lookup func(string) (string, bool)) (Config, error) {
	env := func(name string) string {
		v, _ := lookup(name)
		return strings.TrimSpace(v)
	}
	cfg := Config{
		CacheMaxAge:  DefaultCacheMaxAge,
		CacheSize:    DefaultCacheSize,
		StaleIfError: DefaultStaleIfError,
		HubTimeout:   DefaultHubTimeout,
	}
	var errs problems
	for _, s := range settingRows() {
		if err := s.read(&cfg, env(s.Name), env); err != nil {
			for _, e := range unjoin(err) {
				errs.add(s.Name, "%v", e)
			}
		}
	}
	cfg.fillDerived()
	if err := cfg.Validate(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return cfg, &ConfigError{Problems: flatten(errs)}
	}
	return cfg, nil
}

// unjoin lists the errors an errors.Join made, or err alone.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// readScopes reads a JSON list of access scopes; an empty list is kept as
// such (no scopes), unset leaves the default.
func readScopes(c *Config, v string) error {
	if v == "" {
		return nil
	}
	var scopes []string
	if err := json.Unmarshal([]byte(v), &scopes); err != nil {
		return fmt.Errorf("want a JSON list of strings like [\"access:services!service=NAME\"], got %.60q", v)
	}
	if scopes == nil {
		scopes = []string{}
	}
	c.AccessScopes = scopes
	return nil
}

// hubBool reads a JUPYTERHUB_* boolean as JupyterHub's Python client does:
// empty means def, "0" and "false" (in any case) mean false, and anything
// else means true. An operator's setting means the same to this service as
// to the hub's own.
func hubBool(v string, def bool) bool {
	switch strings.ToLower(v) {
	case "":
		return def
	case "0", "false":
		return false
	}
	return true
}

// strictBool reads the booleans of HUBAUTH_* variables, which are ours
// and strict.
func strictBool(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "", "0", "false", "no", "off":
		return false, nil
	case "1", "true", "yes", "on":
		return true, nil
	}
	return false, fmt.Errorf("want true or false, got %.40q", v)
}

// readSeconds reads a plain number as seconds (as JupyterHub's settings
// are) and anything else as a Go duration into dst; "" leaves dst as it
// is.
func readSeconds(v string, dst *time.Duration) error {
	if v == "" {
		return nil
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		if f < 0 || f > 1e9 {
			return fmt.Errorf("want between 0 and 1e9 seconds, got %s", v)
		}
		*dst = time.Duration(f * float64(time.Second))
		return nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return fmt.Errorf("want seconds or a duration like 90s or 5m, got %.40q", v)
	}
	*dst = d
	return nil
}

// parseSecret reads a hex key. The message never repeats the value: it is a
// secret, and start-up errors end up in logs.
func parseSecret(raw string) ([]byte, error) {
	b, err := hex.DecodeString(strings.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("want hex digits, as `openssl rand -hex 32` prints")
	}
	if len(b) < minCookieSecret {
		return nil, fmt.Errorf("want at least %d bytes (%d hex digits), got %d bytes", minCookieSecret, 2*minCookieSecret, len(b))
	}
	return b, nil
}
