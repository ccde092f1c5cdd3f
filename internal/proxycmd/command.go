// Package proxycmd is what the hubauth-proxy command adds to the service
// shell (internal/service): its flags, the app it may start, and the
// handler that puts the app behind the hub's login. The reusable parts
// live in hubauth, hubauth/hubproxy and internal/appserver.
package proxycmd

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hubauth-go/whoami/hubauth"
	"github.com/hubauth-go/whoami/hubauth/hubproxy"
	"github.com/hubauth-go/whoami/internal/appserver"
	"github.com/hubauth-go/whoami/internal/service"
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

// ExitCode is the status the proxy exits with: the app's.
func (e *AppExitError) ExitCode() int { return e.Code }

// flags are the command-line settings of the proxy's own.
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
}

func (f *flags) register(fs *flag.FlagSet) {
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
}

// check reports every problem with the flags and the command after them.
func (f *flags) check(command []string) error {
	var problems []error
	if f.upstream == "" && len(command) == 0 {
		problems = append(problems, errors.New("-upstream: missing: give the app's URL (-upstream http://127.0.0.1:9000), or the command that starts it after -- (hubauth-proxy -- panel serve app.py --port {port})"))
	}
	if f.upstream == "" {
		f.upstream = "http://127.0.0.1:{port}"
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
	return errors.Join(problems...)
}

// checkUpstream reads -upstream before any {port} is known.
func checkUpstream(raw string, withCommand bool) error {
	if strings.Contains(raw, "{port}") {
		if !withCommand {
			return fmt.Errorf("%q has {port}, which only a command after -- fills in", raw)
		}
		raw = strings.ReplaceAll(raw, "{port}", "1")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("want a URL like http://127.0.0.1:9000, got %q", raw)
	}
	return hubproxy.CheckUpstream(u)
}

// Command is hubauth-proxy, for the service shell.
func Command() service.Command {
	var f flags
	var activity appserver.ActivityConfig
	return service.Command{
		Name:     Name,
		Synopsis: "[flags] [-- command args...]",
		About:    about,
		Settings: Settings(),
		Flags: func(fs *flag.FlagSet) func([]string) error {
			f.register(fs)
			return func(command []string) error {
				var err error
				activity, err = appserver.ActivityFromEnv(os.LookupEnv)
				return errors.Join(f.check(command), err)
			}
		},
		Start: func(ctx context.Context, s *service.Service) (http.Handler, error) {
			return start(ctx, s, f, activity)
		},
	}
}

// start starts the app, if there is a command, waits until it answers,
// and builds the handler.
func start(ctx context.Context, s *service.Service, f flags, activityCfg appserver.ActivityConfig) (http.Handler, error) {
	login, err := hubauth.NewOAuth(s.Auth)
	if err != nil {
		return nil, err
	}
	ready := new(atomic.Bool)
	upstreamRaw := f.upstream
	var app *appserver.App
	if command := s.Args; len(command) > 0 {
		port, err := appserver.FreePort()
		if err != nil {
			return nil, err
		}
		vars := map[string]string{"port": strconv.Itoa(port), "prefix": s.Config.ServicePrefix}
		command = appserver.Substitute(command, vars)
		upstreamRaw = appserver.Substitute([]string{f.upstream}, vars)[0]
		app, err = appserver.Start(command, os.Environ(), s.Stdout, s.Stderr)
		if err != nil {
			return nil, err
		}
		s.OnStop(func() { app.Stop(StopGrace) })
		s.EndWhen(app.Done(), func() error {
			s.Logger.Warn("the app ended; stopping", "how", app.Describe())
			return &AppExitError{Code: app.ExitCode(), How: app.Describe()}
		})
		s.Logger.Info("started the app", "command", command[0], "pid", app.Pid(), "port", port)
	}
	upstream, err := url.Parse(upstreamRaw)
	if err != nil {
		return nil, fmt.Errorf("-upstream: %w", err)
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
			if ctx.Err() != nil {
				return nil, nil // stopped by the hub while starting
			}
			return nil, err
		}
		s.Logger.Info("the app is ready", "url", readyURL)
	}
	ready.Store(true)

	proxy, err := hubproxy.New(s.Auth, hubproxy.Options{
		Upstream:        upstream,
		StripPrefix:     f.stripPrefix,
		TrustForwarded:  f.trustForwarded,
		PassUserModel:   f.passUserModel,
		PassAccessToken: f.passAccessToken,
		KeepCredentials: f.keepCredentials,
		Ready:           ready.Load,
		Logger:          s.Logger,
	})
	if err != nil {
		return nil, err
	}
	activity := appserver.NewActivity(activityCfg, hubSender(s.Auth), s.Logger)
	s.Go(activity.Run)
	// Uploads stream through to the app, so no size limit; a body still
	// has to arrive within -body-timeout.
	s.Server.MaxBodyBytes, s.Server.BodyTimeout = -1, f.bodyTimeout
	return Handler(s.Config.ServicePrefix, f.authEndpoint, login, proxy, activity), nil
}

// Handler routes the proxy's requests: the forward-auth endpoint, if any;
// everything under the prefix through the hub's login (which also answers
// the OAuth callback) to the app, counting activity; a JSON 404 elsewhere.
func Handler(prefix, authEndpoint string, login *hubauth.OAuth, proxy *hubproxy.Proxy, activity *appserver.Activity) http.Handler {
	app := hubauth.UnderPrefix(prefix, login.Middleware(activity.Middleware(proxy)))
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
