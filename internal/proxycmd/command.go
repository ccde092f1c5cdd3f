// Package proxycmd is what the hubauth-proxy command adds to the service
// shell (internal/service): its flags, the app it may start, and the
// handler that puts the app behind the hub's login. The reusable parts
// live in hubauth, hubauth/hubproxy and internal/appserver.
package proxycmd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
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

// serverEnv is what the hub tells a user's server besides what every
// service gets.
type serverEnv struct {
	user       string // JUPYTERHUB_USER: set for a user's server only
	defaultURL string // JUPYTERHUB_DEFAULT_URL
}

// Command is hubauth-proxy, for the service shell.
func Command() service.Command {
	var f flags
	var activity appserver.ActivityConfig
	var server serverEnv
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
				server = serverEnv{user: os.Getenv("JUPYTERHUB_USER"), defaultURL: os.Getenv("JUPYTERHUB_DEFAULT_URL")}
				return errors.Join(f.check(command), err)
			}
		},
		Configure: func(cfg *hubauth.Config) error { return f.configure(cfg) },
		Start: func(ctx context.Context, s *service.Service) (http.Handler, error) {
			return start(ctx, s, f, activity, server)
		},
	}
}

// start starts the app, if there is a command, waits until it answers,
// and builds the handler.
func start(ctx context.Context, s *service.Service, f flags, activityCfg appserver.ActivityConfig, server serverEnv) (http.Handler, error) {
	login, err := hubauth.NewOAuth(s.Auth)
	if err != nil {
		return nil, err
	}
	ready := new(atomic.Bool)
	upstreamRaw := f.upstream
	var app *appserver.App
	if command := s.Args; len(command) > 0 {
		vars, err := placeholders(s, command, f.upstream)
		if err != nil {
			return nil, err
		}
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
		s.Logger.Info("started the app", "command", command[0], "pid", app.Pid(), "upstream", upstreamRaw)
	}
	upstream, err := url.Parse(upstreamRaw)
	if err != nil {
		return nil, fmt.Errorf("-upstream: %w", err)
	}
	if app != nil {
		if err := waitReady(ctx, app, upstream, f); err != nil {
			if ctx.Err() != nil {
				return nil, nil // stopped by the hub while starting
			}
			return nil, err
		}
	}
	ready.Store(true)

	proxy, err := hubproxy.New(s.Auth, hubproxy.Options{
		Upstream:        upstream,
		StripPrefix:     f.stripPrefix,
		PassHost:        f.passHost,
		TrustForwarded:  f.trustForwarded,
		PassUserModel:   f.passUserModel,
		PassAccessToken: f.passAccessToken,
		KeepCredentials: f.keepCredentials,
		AllowedGroups:   f.allowedGroups,
		Ready:           ready.Load,
		Logger:          s.Logger,
	})
	if err != nil {
		return nil, err
	}
	if f.forwardAuth != "" {
		if err := s.ServeOn("-forward-auth-listen", f.forwardAuth, proxy.IngressAuth(login.Identify)); err != nil {
			return nil, err
		}
	}
	activity := appserver.NewActivity(activityCfg, hubSender(s.Auth), s.Logger)
	s.Go(activity.Run)
	// Uploads stream through to the app, so no size limit; a body still
	// has to arrive within -body-timeout.
	s.Server.MaxBodyBytes, s.Server.BodyTimeout = -1, f.bodyTimeout
	rt := Routes{Prefix: s.Config.ServicePrefix, AuthEndpoint: f.authEndpoint, Login: login, Proxy: proxy, Activity: activity}
	if server.user != "" {
		rt.DefaultURL = server.defaultURL
		rt.HubVersion = hubVersion(ctx, s)
	}
	return rt.Handler(), nil
}

// placeholders are the values the command's {names} take: {port}, a free
// loopback port; {prefix}, the service's prefix (/user/NAME/), and
// {prefix_no_slash} without its last '/', for apps that refuse one;
// {unix_socket}, a socket path in a directory of the proxy's own that
// only its user can enter, when the command or -upstream names it.
func placeholders(s *service.Service, command []string, upstream string) (map[string]string, error) {
	port, err := appserver.FreePort()
	if err != nil {
		return nil, err
	}
	vars := map[string]string{
		"port":            strconv.Itoa(port),
		"prefix":          s.Config.ServicePrefix,
		"prefix_no_slash": strings.TrimSuffix(s.Config.ServicePrefix, "/"),
	}
	if strings.Contains(strings.Join(append(command, upstream), " "), "{unix_socket}") {
		// MkdirTemp makes the directory 0700: whatever mode the app gives
		// its socket, no other user of the host reaches it.
		dir, err := os.MkdirTemp("", "hubauth-proxy-")
		if err != nil {
			return nil, fmt.Errorf("{unix_socket}: %w", err)
		}
		s.OnStop(func() { os.RemoveAll(dir) })
		vars["unix_socket"] = filepath.Join(dir, "app.sock")
	}
	return vars, nil
}

// waitReady waits until the app answers at -ready-path (or the upstream's
// path), over its unix socket if it has one.
func waitReady(ctx context.Context, app *appserver.App, upstream *url.URL, f flags) error {
	readyPath := f.readyPath
	if readyPath == "" {
		readyPath = upstream.EscapedPath()
	}
	if readyPath == "" || upstream.Scheme == "unix" {
		readyPath = "/"
	}
	readyURL := upstream.Scheme + "://" + upstream.Host + readyPath
	var dial func(context.Context, string, string) (net.Conn, error)
	if socket, ok := hubproxy.UnixSocket(upstream); ok {
		if f.readyPath != "" {
			readyPath = f.readyPath
		}
		readyURL, dial = "http://localhost"+readyPath, hubproxy.UnixDialer(socket)
	}
	return app.WaitReady(ctx, readyURL, dial, f.readyTimeout)
}

// hubVersion asks the hub its version (GET {API}/), which a user's server
// sends back as X-JupyterHub-Version: hubauth-proxy speaks the hub's
// protocol as that release does (the test suite runs it against 4.1, 5.x
// and 6.1). "" when the hub does not say; the server then works, and the
// hub logs that it could not tell the server's version.
func hubVersion(ctx context.Context, s *service.Service) string {
	resp, err := s.Auth.HubAPI(ctx, s.Config.APIToken, http.MethodGet, "/", nil)
	if err != nil {
		s.Logger.Warn("could not ask the hub its version; answers go without X-JupyterHub-Version", "error", err.Error())
		return ""
	}
	defer resp.Body.Close()
	var answer struct {
		Version string `json:"version"`
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err := json.Unmarshal(body, &answer); err != nil || !validVersion(answer.Version) {
		s.Logger.Warn("the hub did not say its version; answers go without X-JupyterHub-Version", "status", resp.StatusCode)
		return ""
	}
	return answer.Version
}

// validVersion reports whether v can be a version in a header.
func validVersion(v string) bool {
	if v == "" || len(v) > 64 {
		return false
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c <= ' ' || c >= 0x7f {
			return false
		}
	}
	return true
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
