package proxycmd

import (
	"errors"
	"flag"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/hubauth-go/whoami/hubauth"
	"github.com/hubauth-go/whoami/hubauth/hubproxy"
)

// flags are the command-line settings of the proxy's own.
type flags struct {
	upstream        string
	stripPrefix     bool
	passHost        bool
	trustForwarded  bool
	passUserModel   bool
	passAccessToken bool
	keepCredentials bool
	allowedGroups   listFlag
	authEndpoint    string
	forwardAuth     string // -forward-auth-listen
	cookiePath      string
	redirectHosts   listFlag
	readyPath       string
	readyTimeout    time.Duration
	bodyTimeout     time.Duration
}

// listFlag is a flag that may be given more than once.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func (f *flags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.upstream, "upstream", "",
		"the app's URL, e.g. http://127.0.0.1:9000, or unix:/path/to/app.sock. With a command it defaults to\n"+
			"http://127.0.0.1:{port}, or unix:{unix_socket} when the command names {unix_socket}")
	fs.BoolVar(&f.stripPrefix, "strip-prefix", false,
		"send the app paths without the prefix (for apps that think they live at /; X-Forwarded-Prefix says where).\n"+
			"Off: apps told their base path ({prefix}) get the full path, as most want")
	fs.BoolVar(&f.passHost, "pass-host-header", true,
		"send the app the Host header the browser sent, not the app's own address (apps that check a\n"+
			"websocket's Origin against Host need it)")
	fs.BoolVar(&f.trustForwarded, "trust-forwarded", true,
		"take scheme and client address from what the hub's proxy appended to X-Forwarded-Proto and -For")
	fs.BoolVar(&f.passUserModel, "pass-user-model", false, "send the hub's model of the caller as JSON in X-Forwarded-User-Model")
	fs.BoolVar(&f.passAccessToken, "pass-access-token", false,
		"send the caller's own hub token in X-Forwarded-Access-Token, so the app can call the hub as them")
	fs.BoolVar(&f.keepCredentials, "keep-hub-credentials", false,
		"pass the hub token header, ?token= and the hub's cookies on to the app (removed by default)")
	fs.Var(&f.allowedGroups, "allowed-group",
		"admit only members of this hub group (repeat the flag for more), on top of the access scope")
	fs.StringVar(&f.authEndpoint, "auth-endpoint", "",
		"also answer forward-auth requests (nginx auth_request, Traefik forwardAuth) at this path, e.g. /_hubauth/auth,\n"+
			"with the caller's name and groups only")
	fs.StringVar(&f.forwardAuth, "forward-auth-listen", "",
		"host:port of a listener of its own answering forward-auth requests at any path, for an ingress only: with\n"+
			"the model and token too, when -pass-user-model and -pass-access-token say so. The hub's proxy never routes it")
	fs.StringVar(&f.cookiePath, "cookie-path", "",
		"the login cookie's path (default: the prefix); / lets an ingress's forward auth see the login for apps elsewhere")
	fs.Var(&f.redirectHosts, "allowed-redirect-host",
		"a host (host:port, or .domain for every host under it) that a login started at {prefix}_hubauth/sign_in?rd=URL\n"+
			"may return to; repeat for more. Other URLs are refused")
	fs.StringVar(&f.readyPath, "ready-path", "",
		"with a command: the path polled until the app answers (default: the upstream's path, or /)")
	fs.DurationVar(&f.readyTimeout, "ready-timeout", 30*time.Second, "with a command: how long the app may take to answer")
	fs.DurationVar(&f.bodyTimeout, "body-timeout", 10*time.Minute,
		"how long a client may take to send a request body (uploads stream to the app, with no size limit)")
}

// check reports every problem with the flags and the command after them.
func (f *flags) check(command []string) error {
	var problems []error
	if f.upstream == "" && len(command) == 0 {
		problems = append(problems, errors.New("-upstream: missing: give the app's URL (-upstream http://127.0.0.1:9000), or the command that starts it after -- (hubauth-proxy -- panel serve app.py --port {port})"))
	}
	if f.upstream == "" {
		f.upstream = "http://127.0.0.1:{port}"
		if strings.Contains(strings.Join(command, " "), "{unix_socket}") {
			f.upstream = "unix:{unix_socket}"
		}
	}
	if err := checkUpstream(f.upstream, len(command) > 0); err != nil {
		problems = append(problems, fmt.Errorf("-upstream: %w", err))
	}
	if f.readyPath != "" && !strings.HasPrefix(f.readyPath, "/") {
		problems = append(problems, fmt.Errorf("-ready-path: want a path starting with /, got %q", f.readyPath))
	}
	if f.readyTimeout <= 0 {
		problems = append(problems, fmt.Errorf("-ready-timeout: must be positive, got %s", f.readyTimeout))
	}
	if f.bodyTimeout <= 0 {
		problems = append(problems, fmt.Errorf("-body-timeout: must be positive, got %s", f.bodyTimeout))
	}
	if f.authEndpoint != "" && !strings.HasPrefix(f.authEndpoint, "/") {
		problems = append(problems, fmt.Errorf("-auth-endpoint: want a path starting with /, got %q", f.authEndpoint))
	}
	if f.forwardAuth != "" {
		if err := hubauth.CheckListen(f.forwardAuth); err != nil {
			problems = append(problems, fmt.Errorf("-forward-auth-listen: %w", err))
		}
	}
	for _, g := range f.allowedGroups {
		if g == "" {
			problems = append(problems, errors.New("-allowed-group: empty"))
		}
	}
	return errors.Join(problems...)
}

// configure puts what the flags decide about the login into the
// configuration: the cross-origin rule (the app knows nothing of the
// hub's _xsrf cookie), the cookie path and the hosts a login may return
// to. Config.Validate checks the values.
func (f *flags) configure(cfg *hubauth.Config) error {
	cfg.CrossOriginProtection = true
	cfg.CookiePath = f.cookiePath
	cfg.ReturnHosts = f.redirectHosts
	return nil
}

// checkUpstream reads -upstream before any {port} or {unix_socket} is
// known.
func checkUpstream(raw string, withCommand bool) error {
	for _, ph := range []string{"{port}", "{unix_socket}"} {
		if !strings.Contains(raw, ph) {
			continue
		}
		if !withCommand {
			return fmt.Errorf("%q has %s, which only a command after -- fills in", raw, ph)
		}
		raw = strings.ReplaceAll(raw, ph, map[string]string{"{port}": "1", "{unix_socket}": "/app.sock"}[ph])
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("want a URL like http://127.0.0.1:9000, got %q", raw)
	}
	return hubproxy.CheckUpstream(u)
}
