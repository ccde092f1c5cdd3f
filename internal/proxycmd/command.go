// Package proxycmd is the whole of the hubauth-proxy command: flags,
// configuration, the app it may start, the handler, and serving until the
// hub stops it or the app exits. The reusable parts live in hubauth,
// hubauth/hubproxy and internal/appserver.
package proxycmd

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hubauth-go/whoami/hubauth"
	"github.com/hubauth-go/whoami/hubauth/hubproxy"
	"github.com/hubauth-go/whoami/internal/appserver"
	"github.com/hubauth-go/whoami/internal/whoami"
)

// Name is the command's name, in messages and usage.
const Name = "hubauth-proxy"

// StopGrace is how long the app has to end after SIGTERM before it is
// killed. JupyterHub's local spawners wait 10 s after SIGINT, then 5 s
// after SIGTERM, so the whole stop fits in what the hub allows.
const StopGrace = 5 * time.Second

// AppExitError says the app ended on its own; the proxy exits with the
// same status, so the hub sees the server stop as it would have.
type AppExitError struct {
	Code int
	How  string
}

func (e *AppExitError) Error() string { return "the app " + e.How }

// Main runs the command with os.Args and exits: 0 when stopped by the hub
// (SIGTERM or SIGINT), the app's own status when it exits, 1 with a
// message naming the problem when it cannot start.
func Main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	os.Exit(ExitStatus(Run(ctx, os.Args[1:], os.Stdout, os.Stderr), os.Stderr))
}

// ExitStatus is the process status for Run's error, printing the error
// when it is a problem to report.
func ExitStatus(err error, stderr io.Writer) int {
	var exit *AppExitError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &exit):
		return exit.Code
	}
	fmt.Fprintf(stderr, "%s: %v\n", Name, err)
	return 1
}

// flags are the command-line settings.
type flags struct {
	upstream        string
	stripPrefix     bool
	trustForwarded  bool
	passUserModel   bool
	passAccessToken bool
	keepCredentials bool
	authEndpoint    string
	readyPath       string
	readyTimeout    time.Duration
	bodyTimeout     time.Duration
	metricsListen   *string
	fs              *flag.FlagSet // to tell a flag given empty from one not given
	accessLog       bool
}

func parseFlags(args []string, stderr io.Writer) (flags, []string, error) {
	var f flags
	fs := flag.NewFlagSet(Name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = usage(stderr, fs)
	f.fs, f.metricsListen = fs, whoami.MetricsListenFlag(fs)
	fs.StringVar(&f.upstream, "upstream", "",
		"the app's URL, e.g. http://127.0.0.1:9000. With a command it defaults to http://127.0.0.1:{port}")
	fs.BoolVar(&f.stripPrefix, "strip-prefix", true,
		"send the app paths without the service prefix (the app lives at /; X-Forwarded-Prefix says where it is).\n"+
			"-strip-prefix=false for apps given the prefix as their base URL")
	fs.BoolVar(&f.trustForwarded, "trust-forwarded", true,
		"take scheme, host and client address from the X-Forwarded-* headers of the hub's proxy in front (checked for form)")
	fs.BoolVar(&f.passUserModel, "pass-user-model", false, "send the hub's model of the caller as JSON in X-Forwarded-User-Model")
	fs.BoolVar(&f.passAccessToken, "pass-access-token", false,
		"send the caller's own hub token in X-Forwarded-Access-Token, so the app can call the hub as them")
	fs.BoolVar(&f.keepCredentials, "keep-hub-credentials", false,
		"pass the hub token header, ?token= and the login and _xsrf cookies on to the app (removed by default)")
	fs.StringVar(&f.authEndpoint, "auth-endpoint", "",
		"also answer forward-auth requests (nginx auth_request, Traefik forwardAuth) at this path, e.g. /_hubauth/auth")
	fs.StringVar(&f.readyPath, "ready-path", "",
		"with a command: the path polled until the app answers (default: the upstream's path, or /)")
	fs.DurationVar(&f.readyTimeout, "ready-timeout", 30*time.Second, "with a command: how long the app may take to answer")
	fs.DurationVar(&f.bodyTimeout, "body-timeout", 10*time.Minute,
		"how long a client may take to send a request body (uploads stream to the app, with no size limit)")
	fs.BoolVar(&f.accessLog, "access-log", false, "log every request: method, path (never the query), status, duration")
	if err := fs.Parse(args); err != nil {
		return f, nil, err
	}
	return f, fs.Args(), nil
}

// Run is the command: it returns when the hub stops it (nil), the app
// exits (*AppExitError), or something is wrong (every problem found, each
// naming its flag or variable).
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f, command, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	var problems []error
	if f.upstream == "" && len(command) == 0 {
		problems = append(problems, errors.New("-upstream: missing: give the app's URL (-upstream http://127.0.0.1:9000), or the command that starts it after -- (hubauth-proxy -- panel serve app.py --port {port})"))
	}
	if f.upstream == "" {
		f.upstream = "http://127.0.0.1:{port}"
	}
	if err := checkUpstream(f.upstream, len(command) > 0); err != nil {
		problems = append(problems, err)
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
	cfg, err := hubauth.FromEnv()
	if err != nil {
		problems = append(problems, err)
	}
	activityCfg, err := appserver.ActivityFromEnv(os.LookupEnv)
	if err != nil {
		problems = append(problems, err)
	}
	// The address (HUBAUTH_LISTEN, else the service URL's) and, under
	// internal SSL, the TLS the hub's proxy expects, as every service has
	// them. Uploads stream through to the app, so no size limit; a body
	// still has to arrive within -body-timeout.
	srv, err := hubauth.NewServer(cfg, nil)
	if err != nil && len(problems) == 0 {
		problems = append(problems, err)
	}
	if len(problems) > 0 {
		return errors.Join(problems...)
	}

	ops, err := whoami.ListenOps(f.fs, *f.metricsListen)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil)).With("service", serviceLabel(cfg))
	auth, err := hubauth.New(cfg, hubauth.WithLogger(logger), hubauth.WithObserver(ops.Observer()))
	if err != nil {
		return err
	}
	login, err := hubauth.NewOAuth(auth)
	if err != nil {
		return err
	}

	var app *appserver.App
	ready := new(atomic.Bool)
	upstreamRaw := f.upstream
	if len(command) > 0 {
		port, err := appserver.FreePort()
		if err != nil {
			return err
		}
		vars := map[string]string{"port": strconv.Itoa(port), "prefix": cfg.ServicePrefix}
		command = appserver.Substitute(command, vars)
		upstreamRaw = appserver.Substitute([]string{f.upstream}, vars)[0]
		app, err = appserver.Start(command, os.Environ(), stdout, stderr)
		if err != nil {
			return err
		}
		logger.Info("started the app", "command", command[0], "pid", app.Pid(), "port", port)
	}
	upstream, err := url.Parse(upstreamRaw)
	if err != nil {
		stopApp(app)
		return fmt.Errorf("-upstream: %w", err)
	}
	if app != nil {
		readyPath := f.readyPath
		if readyPath == "" {
			readyPath = upstream.EscapedPath()
		}
		if readyPath == "" {
			readyPath = "/"
		}
		readyURL := upstream.Scheme + "://" + upstream.Host + readyPath
		if err := app.WaitReady(ctx, readyURL, f.readyTimeout); err != nil {
			stopApp(app)
			if ctx.Err() != nil {
				return nil // stopped by the hub while starting
			}
			return err
		}
		logger.Info("the app is ready", "url", readyURL)
	}
	ready.Store(true)

	proxy, err := hubproxy.New(hubproxy.Options{
		Upstream:        upstream,
		Prefix:          cfg.ServicePrefix,
		StripPrefix:     f.stripPrefix,
		TrustForwarded:  f.trustForwarded,
		PassUserModel:   f.passUserModel,
		PassAccessToken: f.passAccessToken,
		TokenFor:        func(r *http.Request) string { return hubauth.TokenFromContext(r.Context()) },
		KeepCredentials: f.keepCredentials,
		LoginCookie:     login.CookieName(),
		Ready:           ready.Load,
		Logger:          logger,
	})
	if err != nil {
		stopApp(app)
		return err
	}

	activity := appserver.NewActivity(activityCfg, hubSender(auth), logger)
	handler := Handler(cfg.ServicePrefix, f.authEndpoint, login, proxy, activity)
	if f.accessLog {
		handler = whoami.AccessLog(logger, handler)
	}
	srv.Handler, srv.Logger = handler, logger
	srv.MaxBodyBytes, srv.BodyTimeout = -1, f.bodyTimeout
	ops.Serve(ctx, auth, logger)
	return serve(ctx, srv, app, activity, logger)
}

// serve answers until the hub stops the proxy or the app exits, and then
// makes sure both are down.
func serve(ctx context.Context, srv *hubauth.Server, app *appserver.App, activity *appserver.Activity, logger *slog.Logger) error {
	serveCtx, stopServing := context.WithCancel(ctx)
	defer stopServing()
	go activity.Run(serveCtx)
	served := make(chan error, 1)
	go func() { served <- srv.ListenAndServe(serveCtx) }()

	var appDone <-chan struct{}
	if app != nil {
		appDone = app.Done()
	}
	select {
	case <-appDone:
		logger.Warn("the app ended; stopping", "how", app.Describe())
		stopServing()
		<-served
		app.Stop(StopGrace) // whatever it left in its process group
		return &AppExitError{Code: app.ExitCode(), How: app.Describe()}
	case <-ctx.Done():
		logger.Info("stopping the proxy and the app")
		if app != nil {
			app.Stop(StopGrace)
		}
		return <-served
	case err := <-served:
		stopApp(app)
		return err
	}
}

func stopApp(app *appserver.App) {
	if app != nil {
		app.Stop(StopGrace)
	}
}

// Handler routes the proxy's requests: the forward-auth endpoint, if any;
// everything under the prefix through the hub's login (which also answers
// the OAuth callback) to the app, counting activity; a JSON 404 elsewhere.
func Handler(prefix, authEndpoint string, login *hubauth.OAuth, proxy *hubproxy.Proxy, activity *appserver.Activity) http.Handler {
	app := whoami.UnderPrefix(prefix, login.Middleware(activity.Middleware(proxy)))
	if authEndpoint == "" {
		return app
	}
	forward := login.Identify(proxy.ForwardAuth())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == authEndpoint {
			forward.ServeHTTP(w, r)
			return
		}
		app.ServeHTTP(w, r)
	})
}

// checkUpstream reads -upstream before any {port} is known.
func checkUpstream(raw string, withCommand bool) error {
	if strings.Contains(raw, "{port}") {
		if !withCommand {
			return fmt.Errorf("-upstream: %q has {port}, which only a command after -- fills in", raw)
		}
		raw = strings.ReplaceAll(raw, "{port}", "1")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("-upstream: want a URL like http://127.0.0.1:9000, got %q", raw)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("-upstream: want an http or https URL like http://127.0.0.1:9000, got %q", u.Redacted())
	}
	if u.Host == "" || u.Hostname() == "" {
		return fmt.Errorf("-upstream: %q has no host; want a URL like http://127.0.0.1:9000", u.Redacted())
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("-upstream: bad port in %q", u.Redacted())
		}
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("-upstream: %q: credentials, a query or a fragment are not supported", u.Redacted())
	}
	return nil
}

func serviceLabel(cfg hubauth.Config) string {
	if cfg.ServiceName != "" {
		return cfg.ServiceName
	}
	return cfg.ClientID
}

// hubSender sends activity reports for URLs under JUPYTERHUB_API_URL
// through the Authenticator's own hub client, so they take the same road
// as every other hub call: a unix socket, or TLS with the internal-SSL key
// pair. Other URLs are posted plainly.
func hubSender(auth *hubauth.Authenticator) appserver.Sender {
	api := strings.TrimSuffix(auth.Config().APIURL, "/")
	plain := appserver.HTTPSender(nil)
	return func(ctx context.Context, u, token string, body []byte) error {
		path, ok := strings.CutPrefix(u, api)
		if !ok || !strings.HasPrefix(path, "/") {
			return plain(ctx, u, token, body)
		}
		resp, err := auth.HubAPI(ctx, token, http.MethodPost, path, bytes.NewReader(body))
		if err != nil {
			return err
		}
		return appserver.CheckReport(resp)
	}
}
