package hubauth

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Defaults for the settings that JupyterHub does not hand to a service.
const (
	// DefaultCacheMaxAge is how long a hub answer is reused, as in
	// JupyterHub's Python client (cache_max_age = 300 s).
	DefaultCacheMaxAge = 5 * time.Minute
	// DefaultCacheSize bounds the number of cached hub answers, good and
	// bad, so a flood of random tokens cannot grow memory without limit.
	DefaultCacheSize = 10000
	// DefaultHubTimeout bounds one call to the hub API.
	DefaultHubTimeout = 10 * time.Second
	// DefaultStaleIfError is how long past its age a cached answer is
	// used while the hub fails: long enough for a hub restart (a helm
	// upgrade takes 30 to 90 s), short enough that a token revoked just
	// before an outage does not outlive it by much.
	DefaultStaleIfError = 5 * time.Minute
)

// minCookieSecret is the least key material accepted in
// HUBAUTH_COOKIE_SECRET: 32 bytes, 64 hex digits (`openssl rand -hex 32`).
const minCookieSecret = 32

// Config is what hubauth needs to know about the hub and this service.
// [FromEnv] fills it from the environment a hub gives its services
// ([Settings] lists the variables); it can also be built by hand and
// checked with [Config.Validate].
type Config struct {
	// APIURL is the hub's API base, e.g. http://127.0.0.1:8081/hub/api.
	// JupyterHub 6 may give http+unix://<url-encoded socket path>/hub/api
	// (4.1 and 5.x: unix+http://), and https with internal SSL.
	APIURL string
	// APIToken is the service's own token. hubauth never sends it when
	// identifying a caller (the caller's token does that); it is kept for
	// calls the service makes as itself, such as the OAuth code exchange.
	APIToken string
	// ServiceName is the service's name in the hub's configuration.
	ServiceName string
	// ServiceURL is where the service listens, e.g. http://127.0.0.1:10101.
	ServiceURL string
	// ServicePrefix is the public path the proxy routes to the service,
	// always with a trailing slash, e.g. /services/whoami-api/.
	ServicePrefix string
	// BaseURL is the deployment's base URL, usually "/".
	BaseURL string
	// HubPrefix is BaseURL + "hub/".
	HubPrefix string
	// Host is the public origin of the hub ("" means the same origin).
	Host string
	// AccessScopes are the scopes that grant access to this service; a
	// caller needs one of them.
	AccessScopes []string
	// AllowAnyUser admits every caller the hub identifies, whatever their
	// scopes. It must be set on purpose: an empty AccessScopes without it is
	// a configuration error, not an open door.
	AllowAnyUser bool
	// AllowTokenInURL accepts ?token= on ordinary requests. Off by default,
	// as in JupyterHub 5 and later: URLs end up in logs and browser history.
	// Websocket requests may always use it, since browsers cannot set
	// headers on them.
	AllowTokenInURL bool
	// DenyWebsocketCookieAuth refuses websocket requests that only the
	// login cookie authenticates (JUPYTERHUB_ALLOW_WEBSOCKET_COOKIE_AUTH
	// false): they must carry a token. The zero value allows them, as the
	// hub's Python client does by default (4.1 and later).
	DenyWebsocketCookieAuth bool
	// CacheMaxAge is how long a hub answer is reused; 0 disables reuse
	// (concurrent requests with the same token still share one hub call).
	CacheMaxAge time.Duration
	// CacheSize is the most hub answers kept at once.
	CacheSize int
	// StaleIfError is how long past CacheMaxAge an answer is used again
	// while the hub cannot be reached, does not answer within HubTimeout,
	// or fails with a 5xx; 0 turns it off. Counted from the answer's own
	// age, so a token revoked just before an outage is admitted at most
	// CacheMaxAge + StaleIfError after it was last checked, and only
	// while the hub is down. A token the hub refused stays refused.
	StaleIfError time.Duration
	// HubTimeout bounds one call to the hub API.
	HubTimeout time.Duration

	// The rest of this block is how the service is deployed: internal SSL
	// (see tls.go) and where it listens.

	// SSLKeyFile and SSLCertFile are the key pair the hub makes for the
	// service with internal SSL. Both set: the service presents the pair
	// when it calls the hub, and serves HTTPS with it when ServiceURL is
	// https.
	SSLKeyFile  string
	SSLCertFile string
	// SSLClientCA is the CA bundle the service trusts: the hub API's
	// certificate must chain to it, and with an https ServiceURL so must
	// every client's (the proxy's and the hub's).
	SSLClientCA string
	// Listen overrides the address the service listens on (HUBAUTH_LISTEN,
	// host:port or :port), for when ServiceURL names an address the
	// service cannot bind, such as a Kubernetes Service name. ServiceURL
	// stays the hub's idea of where the service is, and still decides
	// whether it serves HTTPS.
	Listen string

	// The rest is for services that log browsers in through the hub's
	// OAuth provider ([NewOAuth]); token-only services ignore it.

	// ClientID is the service's OAuth client id, service-<name> by default.
	// The login cookie is named after it.
	ClientID string
	// OAuthCallbackURL is the redirect URI registered with the hub: a path
	// (for a hub-managed service, prefix + "oauth_callback") or a full URL.
	OAuthCallbackURL string
	// PublicURL is the deployment's public URL, when configured; an https
	// scheme makes cookies Secure.
	PublicURL string
	// CookieHostPrefix names cookies __Host-<name>, with Path=/ and Secure.
	CookieHostPrefix bool
	// CookieOptions are extra attributes for the login cookie.
	CookieOptions CookieOptions
	// CookieSecret keys the login and state cookies. Empty derives keys from
	// APIToken, which replicas sharing the token agree on.
	CookieSecret []byte
	// OldCookieSecrets still open cookies made with them, for rotation.
	OldCookieSecrets [][]byte
	// CookiePath is the login cookie's path; empty means ServicePrefix
	// (or "/" with CookieHostPrefix). A wider path, such as "/", lets an
	// ingress that asks the service about requests for other paths
	// (forward auth) see the login.
	CookiePath string
	// ReturnHosts are the hosts, besides the service's own paths, that a
	// login may return to ([OAuth.StartLoginTo]): host or host:port, or
	// ".example.org" for every host under example.org. For logins that an
	// ingress's sign-in redirect starts for an app elsewhere; anything
	// else falls back to the service's prefix, so no login can be made to
	// send a browser to a site of someone else's choosing.
	ReturnHosts []string

	// CrossOriginProtection protects requests the login cookie
	// authenticates by the browser's Fetch Metadata and Origin headers
	// (net/http.CrossOriginProtection), instead of JupyterHub's rule that
	// a page send back the token of the _xsrf cookie. The hub's rule is
	// the default and the hub's contract with pages written for it; this
	// one suits an app that knows nothing of the hub, such as one behind
	// a proxy, whose own scripts would otherwise be refused. See csrf.go.
	CrossOriginProtection bool
}

// fillDerived fills in the defaults that depend on other settings.
func (c *Config) fillDerived() {
	c.HubPrefix = c.BaseURL + "hub/"
	if c.APIURL == "" {
		c.APIURL = "http://127.0.0.1:8081" + c.HubPrefix + "api"
	}
	if c.AccessScopes == nil && c.ServiceName != "" {
		c.AccessScopes = []string{"access:services!service=" + c.ServiceName}
	}
	if c.ClientID == "" && c.ServiceName != "" {
		c.ClientID = "service-" + c.ServiceName
	}
	if c.OAuthCallbackURL == "" {
		c.OAuthCallbackURL = c.ServicePrefix + "oauth_callback"
	}
}

// Validate checks a Config and reports every problem at once, each naming
// the environment variable that sets the field. What only an OAuth service
// needs is checked by [NewOAuth].
func (c Config) Validate() error {
	var errs problems
	bad := errs.add
	if c.APIToken == "" {
		bad("JUPYTERHUB_API_TOKEN", "not set; the hub sets it for the services it launches, an external service needs the api_token from the hub's services configuration")
	}
	if _, err := parseAPIURL(c.APIURL); err != nil {
		bad("JUPYTERHUB_API_URL", "%v", err)
	}
	if c.ServiceURL != "" {
		if _, err := listenAddr(c.ServiceURL); err != nil {
			bad("JUPYTERHUB_SERVICE_URL", "%v", err)
		}
	}
	if c.Listen != "" {
		if err := CheckListen(c.Listen); err != nil {
			bad("HUBAUTH_LISTEN", "%v", err)
		}
	}
	c.checkSSLFiles(bad)
	if err := checkPrefix(c.ServicePrefix); err != nil {
		bad("JUPYTERHUB_SERVICE_PREFIX", "%v", err)
	}
	if !strings.HasPrefix(c.BaseURL, "/") || !strings.HasSuffix(c.BaseURL, "/") {
		bad("JUPYTERHUB_BASE_URL", "want a path starting and ending with '/', got %q", c.BaseURL)
	}
	if c.Host != "" {
		u, err := url.Parse(c.Host)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.User != nil {
			bad("JUPYTERHUB_HOST", "want an origin like https://hub.example.org, got %q", withoutUserinfo(c.Host))
		}
	}
	for _, s := range c.AccessScopes {
		if s == "" || strings.ContainsAny(s, " \t\r\n") {
			bad("JUPYTERHUB_OAUTH_ACCESS_SCOPES", "%q is not a scope", s)
		}
	}
	if len(c.AccessScopes) == 0 && !c.AllowAnyUser {
		bad("JUPYTERHUB_OAUTH_ACCESS_SCOPES",
			"no access scopes, so no one could be told apart from any hub user: set JUPYTERHUB_SERVICE_NAME "+
				"(giving access:services!service=NAME) or JUPYTERHUB_OAUTH_ACCESS_SCOPES, "+
				"or set HUBAUTH_ALLOW_ANY_USER=true to admit every hub user")
	}
	if c.CacheMaxAge < 0 {
		bad("HUBAUTH_CACHE_MAX_AGE", "must not be negative, got %s", c.CacheMaxAge)
	}
	if c.StaleIfError < 0 {
		bad("HUBAUTH_STALE_IF_ERROR", "must not be negative, got %s", c.StaleIfError)
	}
	if c.CacheSize < 1 {
		bad("HUBAUTH_CACHE_SIZE", "must be at least 1, got %d", c.CacheSize)
	}
	if c.HubTimeout <= 0 {
		bad("HUBAUTH_HUB_TIMEOUT", "must be positive, got %s", c.HubTimeout)
	}
	if c.CookiePath != "" {
		if err := checkCookiePath(c.CookiePath); err != nil {
			bad("cookie path", "%v", err)
		} else if c.CookieHostPrefix && c.CookiePath != "/" {
			bad("cookie path", "__Host- cookies (JUPYTERHUB_COOKIE_HOST_PREFIX_ENABLED) must be at /, got %q", c.CookiePath)
		}
	}
	for _, h := range c.ReturnHosts {
		if !validReturnHost(h) {
			bad("return hosts", "want host, host:port or .domain, got %q", h)
		}
	}
	return errs.err()
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
	if c.CookieSecret != nil && len(c.CookieSecret) < minCookieSecret {
		bad("HUBAUTH_COOKIE_SECRET", "want at least %d bytes", minCookieSecret)
	}
	if c.CookieHostPrefix && c.CookieOptions.Domain != "" {
		bad("JUPYTERHUB_COOKIE_OPTIONS", "a domain cannot be set on __Host- cookies (JUPYTERHUB_COOKIE_HOST_PREFIX_ENABLED)")
	}
	return errs.err()
}

// listenAddr is where the service should listen: Listen (HUBAUTH_LISTEN)
// when set, else the host:port of ServiceURL.
func (c Config) listenAddr() (string, error) {
	if c.Listen != "" {
		if err := CheckListen(c.Listen); err != nil {
			return "", fmt.Errorf("HUBAUTH_LISTEN: %w", err)
		}
		return c.Listen, nil
	}
	if c.ServiceURL == "" {
		return "", errors.New("JUPYTERHUB_SERVICE_URL: not set, so there is no address to listen on (or set HUBAUTH_LISTEN)")
	}
	addr, err := listenAddr(c.ServiceURL)
	if err != nil {
		return "", fmt.Errorf("JUPYTERHUB_SERVICE_URL: %w", err)
	}
	return addr, nil
}

// problems collects what is wrong with a configuration, each problem
// naming the variable that sets it.
type problems []error

func (p *problems) add(name, format string, args ...any) {
	*p = append(*p, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
}

func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return &ConfigError{Problems: p}
}

// ConfigError lists every problem found in a configuration.
type ConfigError struct {
	Problems []error
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString("hubauth: invalid configuration:")
	for _, p := range e.Problems {
		b.WriteString("\n  - ")
		b.WriteString(p.Error())
	}
	return b.String()
}

// Unwrap lets errors.Is and errors.As look at each problem.
func (e *ConfigError) Unwrap() []error { return e.Problems }

// flatten expands nested ConfigErrors so every problem is listed once.
func flatten(errs []error) []error {
	var out []error
	for _, err := range errs {
		var ce *ConfigError
		if errors.As(err, &ce) {
			out = append(out, flatten(ce.Problems)...)
			continue
		}
		out = append(out, err)
	}
	return out
}
