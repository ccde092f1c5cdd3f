package hubauth

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
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
)

// Config is what hubauth needs to know about the hub and this service.
// [FromEnv] fills it from the environment a hub gives its services; it can
// also be built by hand and checked with [Config.Validate].
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
	// HubTimeout bounds one call to the hub API.
	HubTimeout time.Duration

	// The rest of this block is how the service is deployed: internal SSL
	// (see tls.go) and where it listens (see listen.go).

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
}

// Setting documents one environment variable that [FromEnv] reads.
type Setting struct {
	Name    string
	Default string
	Doc     string
}

// Settings lists every environment variable [FromEnv] reads, in the order a
// reader needs them. Commands print it for -h and the README's table is
// written from it, so the three never disagree.
func Settings() []Setting {
	return append([]Setting{
		{"JUPYTERHUB_API_TOKEN", "(required)", "the service's own token; set by the hub for managed services"},
		{"JUPYTERHUB_API_URL", "http://127.0.0.1:8081{hub prefix}api", "the hub's API base URL (http, https, or http+unix/unix+http for a socket)"},
		{"JUPYTERHUB_SERVICE_NAME", "", "the service's name; gives the default access scope access:services!service=NAME"},
		{"JUPYTERHUB_SERVICE_URL", "", "where to listen, e.g. http://127.0.0.1:10101"},
		{"JUPYTERHUB_SERVICE_PREFIX", "/", "public path prefix of the service, e.g. /services/whoami-api/"},
		{"JUPYTERHUB_BASE_URL", "/", "the deployment's base URL; the hub lives at BASE/hub/"},
		{"JUPYTERHUB_HOST", "", "public origin of the hub when it is not this service's origin"},
		{"JUPYTERHUB_OAUTH_ACCESS_SCOPES", "access:services!service=NAME", "JSON list of scopes that grant access (JUPYTERHUB_OAUTH_SCOPES is the old name)"},
		{"JUPYTERHUB_ALLOW_TOKEN_IN_URL", "false", "accept ?token= on requests that are not websockets; a browser opening such a link (a sharing link) then stays logged in by cookie"},
		{"JUPYTERHUB_ALLOW_WEBSOCKET_COOKIE_AUTH", "true", "let the login cookie authenticate websocket requests; false makes them carry a token (403 otherwise)"},
		{"HUBAUTH_ALLOW_ANY_USER", "false", "admit every hub user and service when there are no access scopes"},
		{"HUBAUTH_CACHE_MAX_AGE", "300s", "how long a hub answer is reused (seconds, or a Go duration like 2m); 0 disables reuse"},
		{"HUBAUTH_CACHE_SIZE", strconv.Itoa(DefaultCacheSize), "the most hub answers kept in memory (and, apart, the most opened login cookies)"},
		{"HUBAUTH_HUB_TIMEOUT", DefaultHubTimeout.String(), "time limit for one call to the hub API (seconds or a Go duration)"},
	}, append(deploySettings(), oauthSettings()...)...)
}

// FromEnv reads the service's configuration from the JUPYTERHUB_* (and
// HUBAUTH_*) environment variables and validates it. The error, if any,
// lists every problem found, each naming its variable.
func FromEnv() (Config, error) {
	return fromLookup(os.LookupEnv)
}

// fromLookup is FromEnv with the environment as a function, for tests.
func fromLookup(lookup func(string) (string, bool)) (Config, error) {
	get := func(name string) string {
		v, _ := lookup(name)
		return strings.TrimSpace(v)
	}
	var errs problems
	bad := errs.add

	cfg := Config{
		APIToken:      get("JUPYTERHUB_API_TOKEN"),
		ServiceName:   get("JUPYTERHUB_SERVICE_NAME"),
		ServiceURL:    get("JUPYTERHUB_SERVICE_URL"),
		ServicePrefix: slashed(get("JUPYTERHUB_SERVICE_PREFIX")),
		BaseURL:       slashed(get("JUPYTERHUB_BASE_URL")),
		Host:          strings.TrimSuffix(get("JUPYTERHUB_HOST"), "/"),
		CacheMaxAge:   DefaultCacheMaxAge,
		CacheSize:     DefaultCacheSize,
		HubTimeout:    DefaultHubTimeout,
	}
	cfg.HubPrefix = cfg.BaseURL + "hub/"
	cfg.APIURL = get("JUPYTERHUB_API_URL")
	if cfg.APIURL == "" {
		cfg.APIURL = "http://127.0.0.1:8081" + cfg.HubPrefix + "api"
	}

	// Access scopes: the current name, then the name used before
	// JupyterHub 3, then the service's own access scope.
	for _, name := range []string{"JUPYTERHUB_OAUTH_ACCESS_SCOPES", "JUPYTERHUB_OAUTH_SCOPES"} {
		raw := get(name)
		if raw == "" {
			continue
		}
		var scopes []string
		if err := json.Unmarshal([]byte(raw), &scopes); err != nil {
			bad(name, "want a JSON list of strings like [\"access:services!service=NAME\"], got %.60q", raw)
			break
		}
		cfg.AccessScopes = scopes
		if cfg.AccessScopes == nil {
			cfg.AccessScopes = []string{}
		}
		break
	}
	if cfg.AccessScopes == nil && cfg.ServiceName != "" {
		cfg.AccessScopes = []string{"access:services!service=" + cfg.ServiceName}
	}

	// JUPYTERHUB_* booleans are read as the hub's own client reads them;
	// our own HUBAUTH_* ones are strict.
	cfg.AllowTokenInURL = hubBool(get("JUPYTERHUB_ALLOW_TOKEN_IN_URL"), false)
	cfg.DenyWebsocketCookieAuth = !hubBool(get("JUPYTERHUB_ALLOW_WEBSOCKET_COOKIE_AUTH"), true)
	if v, err := parseBoolEnv(get("HUBAUTH_ALLOW_ANY_USER")); err != nil {
		bad("HUBAUTH_ALLOW_ANY_USER", "%v", err)
	} else {
		cfg.AllowAnyUser = v
	}

	parseDuration := func(name string, dst *time.Duration) {
		raw := get(name)
		if raw == "" {
			return
		}
		d, err := parseSeconds(raw)
		if err != nil {
			bad(name, "%v", err)
			return
		}
		*dst = d
	}
	parseDuration("HUBAUTH_CACHE_MAX_AGE", &cfg.CacheMaxAge)
	parseDuration("HUBAUTH_HUB_TIMEOUT", &cfg.HubTimeout)
	if raw := get("HUBAUTH_CACHE_SIZE"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil {
			bad("HUBAUTH_CACHE_SIZE", "want a whole number, got %.40q", raw)
		} else {
			cfg.CacheSize = n
		}
	}

	readDeployEnv(&cfg, get)
	readOAuthEnv(&cfg, get, bad)

	if err := cfg.Validate(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return cfg, &ConfigError{Problems: flatten(errs)}
	}
	return cfg, nil
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

// Validate checks a Config and reports every problem at once, each naming
// the environment variable that sets the field.
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
	c.validateDeploy(bad)
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
	if c.CacheSize < 1 {
		bad("HUBAUTH_CACHE_SIZE", "must be at least 1, got %d", c.CacheSize)
	}
	if c.HubTimeout <= 0 {
		bad("HUBAUTH_HUB_TIMEOUT", "must be positive, got %s", c.HubTimeout)
	}
	return errs.err()
}

// ListenAddr is where the service should listen: Listen (HUBAUTH_LISTEN)
// when set, else the host:port of ServiceURL.
func (c Config) ListenAddr() (string, error) {
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

// listenAddr is the host:port of a service URL; https (internal SSL)
// defaults to port 443, http to 80.
func listenAddr(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("not a URL: %q", withoutUserinfo(raw))
	}
	if u.User != nil {
		return "", fmt.Errorf("a user name or password in the URL is not supported, got %q", withoutUserinfo(raw))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("want http://host:port (or https with internal SSL), got %q", withoutUserinfo(raw))
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return "", fmt.Errorf("bad port in %q", withoutUserinfo(raw))
	}
	return net.JoinHostPort(host, port), nil
}

// apiEndpoint is a parsed JUPYTERHUB_API_URL: where to send requests, and
// the socket to dial for http+unix.
type apiEndpoint struct {
	base       string // URL prefix for requests, without trailing slash
	unixSocket string // set for http+unix
}

func parseAPIURL(raw string) (apiEndpoint, error) {
	if shown := withoutUserinfo(raw); shown != raw {
		// Credentials belong in JUPYTERHUB_API_TOKEN: in the URL they
		// would end up in every error message that names the API.
		return apiEndpoint{}, fmt.Errorf("a user name or password in the URL is not supported (the service authenticates with JUPYTERHUB_API_TOKEN), got %q", shown)
	}
	// JupyterHub 6 spells a unix socket http+unix://; 4.1 and 5.x spell it
	// unix+http:// and hand services that spelling.
	rest, ok := strings.CutPrefix(raw, "http+unix://")
	if !ok {
		rest, ok = strings.CutPrefix(raw, "unix+http://")
	}
	if ok {
		// The host is the url-encoded socket path, which url.Parse
		// rejects; the request itself goes over the socket, so its URL's
		// host is only a placeholder.
		host, path, _ := strings.Cut(rest, "/")
		socket, err := url.PathUnescape(host)
		if err != nil || !strings.HasPrefix(socket, "/") {
			return apiEndpoint{}, fmt.Errorf("want http+unix://<url-encoded absolute socket path>/hub/api (or unix+http://), got %q", raw)
		}
		return apiEndpoint{base: "http://localhost/" + strings.TrimSuffix(path, "/"), unixSocket: socket}, nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return apiEndpoint{}, fmt.Errorf("want a URL like http://127.0.0.1:8081/hub/api, got %q", raw)
	}
	path := strings.TrimSuffix(u.EscapedPath(), "/")
	switch u.Scheme {
	case "http", "https":
		return apiEndpoint{base: u.Scheme + "://" + u.Host + path}, nil
	default:
		return apiEndpoint{}, fmt.Errorf("want an http, https or http+unix URL, got %q", raw)
	}
}

// withoutUserinfo returns raw with any user name and password between
// "scheme://" and the host left out, so a URL can be shown in a message
// without the credentials an operator put in it. It works on text that is
// not a valid URL too.
func withoutUserinfo(raw string) string {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return raw
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	at := strings.LastIndex(rest[:end], "@")
	if at < 0 {
		return raw
	}
	return scheme + "://" + rest[at+1:]
}

// checkPrefix checks a service prefix: a plain absolute path ending in
// '/'. A prefix the browser or a proxy could read as something else is
// refused: "//host/" is another host to a browser, '\' is '/' to some,
// dot segments are cleaned away by the redirects that carry the prefix,
// and control bytes or '?' and '#' would end the path early.
func checkPrefix(p string) error {
	switch {
	case !strings.HasPrefix(p, "/") || !strings.HasSuffix(p, "/"):
		return fmt.Errorf("want a path starting and ending with '/', got %q", p)
	case strings.HasPrefix(p, "//"):
		return fmt.Errorf("must not start with '//', which browsers read as another host, got %q", p)
	case strings.Contains(p, "//"):
		return fmt.Errorf("must not hold '//', which redirects clean away, got %q", p)
	case strings.ContainsAny(p, "\\?#"):
		return fmt.Errorf("must not hold '\\', '?' or '#', got %q", p)
	case hasDotSegment(p):
		return fmt.Errorf("must not hold '.' or '..' segments, got %q", p)
	}
	for i := 0; i < len(p); i++ {
		if p[i] < ' ' || p[i] == 0x7f {
			return fmt.Errorf("must not hold control characters, got %q", p)
		}
	}
	return nil
}

// hasDotSegment reports whether a path has a "." or ".." segment, spelled
// plainly or percent-encoded.
func hasDotSegment(p string) bool {
	for _, seg := range strings.Split(p, "/") {
		if len(seg) > 6 {
			continue
		}
		switch strings.ReplaceAll(strings.ToLower(seg), "%2e", ".") {
		case ".", "..":
			return true
		}
	}
	return false
}

// slashed makes a URL path start and end with '/'; empty means "/".
func slashed(p string) string {
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	if !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return p
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

// parseBoolEnv reads the strict booleans of HUBAUTH_* variables.
func parseBoolEnv(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "", "0", "false", "no", "off":
		return false, nil
	case "1", "true", "yes", "on":
		return true, nil
	}
	return false, fmt.Errorf("want true or false, got %.40q", v)
}

// parseSeconds reads a plain number as seconds (as JupyterHub's settings
// are) and anything else as a Go duration.
func parseSeconds(v string) (time.Duration, error) {
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		if f < 0 || f > 1e9 {
			return 0, fmt.Errorf("want between 0 and 1e9 seconds, got %s", v)
		}
		return time.Duration(f * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("want seconds or a duration like 90s or 5m, got %.40q", v)
	}
	return d, nil
}

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
