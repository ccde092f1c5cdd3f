package service

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hubauth-go/whoami/hubauth"
)

// Command is what one command adds to the shell.
type Command struct {
	// Name is the command's name, in usage and messages.
	Name string
	// Synopsis follows the name in the usage line, e.g. "[flags] [-- command args...]".
	Synopsis string
	// About says what the command does, for -h.
	About string
	// Settings are the environment variables the command reads besides
	// hubauth's, for -h.
	Settings []hubauth.Setting
	// Flags adds the command's own flags. The check it returns (nil for
	// none) runs once they are parsed, with the arguments after them; its
	// problems are reported with the configuration's, before anything
	// starts.
	Flags func(fs *flag.FlagSet) (check func(args []string) error)
	// Configure, when set, changes the configuration read from the
	// environment before the Authenticator is built from it, for what the
	// command's flags decide there (a proxy's cookie path, its
	// cross-origin rule). It runs once the flags are checked; its error is
	// reported with the configuration's problems.
	Configure func(cfg *hubauth.Config) error
	// Start builds what the command serves, once the configuration is
	// read and the Authenticator made. A nil handler without an error
	// means the command was stopped while starting (ctx ended).
	Start func(ctx context.Context, s *Service) (http.Handler, error)
}

// Service is what Start is given, and what it may add to.
type Service struct {
	Config hubauth.Config
	Auth   *hubauth.Authenticator
	Logger *slog.Logger
	// Metrics is where the command registers metrics of its own, served
	// at /metrics on the operations listener beside hubauth's. When the
	// listener is off it is a registry no one reads, so a command
	// registers the same way either way.
	Metrics prometheus.Registerer
	// Server serves Start's handler; Start may change its bounds (an
	// upload-streaming proxy lifts the body size limit).
	Server *hubauth.Server
	// Args are the arguments after the flags.
	Args           []string
	Stdout, Stderr io.Writer

	background []func(context.Context)
	listeners  []*extraListener
	cleanups   []func()
	ended      <-chan struct{}
	endErr     func() error
}

// Go runs f while the service serves; its ctx ends when serving stops.
func (s *Service) Go(f func(ctx context.Context)) { s.background = append(s.background, f) }

// OnStop runs f once serving has stopped, or when Start fails after
// calling it; the last added runs first.
func (s *Service) OnStop(f func()) { s.cleanups = append(s.cleanups, f) }

// EndWhen makes the service stop when done is closed, with result()'s
// error as the command's: a proxy ends when its app does.
func (s *Service) EndWhen(done <-chan struct{}, result func() error) {
	s.ended, s.endErr = done, result
}

func (s *Service) cleanup() {
	for i := len(s.cleanups) - 1; i >= 0; i-- {
		s.cleanups[i]()
	}
	s.cleanups = nil
}

// exitCoder is an error that sets the process's exit status, such as an
// app that ended with its own.
type exitCoder interface {
	error
	ExitCode() int
}

// Main runs the command with os.Args and exits: 0 when stopped by SIGTERM
// or SIGINT (what the hub sends) or for -h, the status of an error that
// carries one, else 1 with the error printed.
func Main(cmd Command) {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	status := ExitStatus(cmd.Name, Run(ctx, cmd, os.Args[1:], os.Stdout, os.Stderr), os.Stderr)
	stop()
	os.Exit(status)
}

// ExitStatus is the process status for Run's error, printing the error
// when it is a problem to report.
func ExitStatus(name string, err error, stderr io.Writer) int {
	var exit exitCoder
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &exit):
		return exit.ExitCode()
	}
	fmt.Fprintf(stderr, "%s: %v\n", name, err)
	return 1
}

// Run is the command until ctx ends (nil), the command ends itself
// (EndWhen), or something is wrong (every problem found, each naming its
// flag or variable).
func Run(ctx context.Context, cmd Command, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet(cmd.Name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = usage(stderr, fs, cmd)
	listen := fs.String("listen", "", "address to listen on, host:port or :port; overrides HUBAUTH_LISTEN and the\n"+
		"host:port of JUPYTERHUB_SERVICE_URL, which stays the hub's idea of where the service is")
	metricsListen := metricsListenFlag(fs)
	logRequests := fs.Bool("access-log", false, "log every request: method, path (never the query), status, duration.\n"+
		"Off by default, as in JupyterHub's Python examples: it was half the CPU time of a cached request.\n"+
		"Refused requests and hub failures are logged either way.")
	var check func([]string) error
	if cmd.Flags != nil {
		check = cmd.Flags(fs)
	}
	if err := fs.Parse(args); err != nil {
		return err
	}

	var problems []error
	if check != nil {
		if err := check(fs.Args()); err != nil {
			problems = append(problems, err)
		}
	}
	cfg, err := hubauth.FromEnv()
	if err != nil {
		problems = append(problems, err)
	}
	if cmd.Configure != nil && err == nil {
		if err := cmd.Configure(&cfg); err != nil {
			problems = append(problems, err)
		} else if err := cfg.Validate(); err != nil {
			problems = append(problems, err)
		}
	}
	if *listen != "" {
		if err := hubauth.CheckListen(*listen); err != nil {
			problems = append(problems, fmt.Errorf("-listen: %w", err))
		}
		cfg.Listen = *listen
	}
	var srv *hubauth.Server
	if len(problems) == 0 {
		// The address and, under internal SSL, the TLS the hub's proxy
		// expects.
		if srv, err = hubauth.NewServer(cfg, nil); err != nil {
			problems = append(problems, err)
		}
	}
	if len(problems) > 0 {
		return errors.Join(problems...)
	}

	ops, err := listenOps(fs, *metricsListen)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil)).With("service", label(cfg))
	auth, err := hubauth.New(cfg, hubauth.WithLogger(logger), hubauth.WithObserver(ops.observer()))
	if err != nil {
		ops.close()
		return err
	}
	s := &Service{Config: cfg, Auth: auth, Logger: logger, Metrics: ops.registerer(), Server: srv,
		Args: fs.Args(), Stdout: stdout, Stderr: stderr}
	handler, err := cmd.Start(ctx, s)
	if err != nil || handler == nil {
		s.cleanup()
		s.closeListeners()
		ops.close()
		return err
	}
	if *logRequests {
		handler = accessLog(logger, handler)
	}
	srv.Handler, srv.Logger = handler, logger
	return s.serve(ctx, ops)
}

// serveListeners serves, until ctx ends, the operations listener and every
// listener ServeOn opened, each with the service's logger and bounds and a
// short grace to stop.
func (s *Service) serveListeners(ctx context.Context, ops *opsListener) {
	if ops != nil {
		s.listeners = append(s.listeners, &extraListener{setting: "operations listener (/metrics /healthz /readyz)", ln: ops.ln, handler: ops.handler(s.Auth)})
	}
	for _, l := range s.listeners {
		srv := &hubauth.Server{Handler: l.handler, Logger: s.Logger, ShutdownGrace: time.Second}
		s.Logger.Info("listening", "for", l.setting, "addr", l.ln.Addr().String())
		go func() {
			if err := srv.Serve(ctx, l.ln); err != nil {
				s.Logger.Error("listener failed", "for", l.setting, "error", err)
			}
		}()
	}
}

// serve answers, on the service's own port and its other listeners, until
// ctx ends or the command ends itself, and then makes sure everything the
// command started is down.
func (s *Service) serve(ctx context.Context, ops *opsListener) error {
	serveCtx, stopServing := context.WithCancel(ctx)
	defer stopServing()
	defer s.cleanup()
	for _, f := range s.background {
		go f(serveCtx)
	}
	s.serveListeners(serveCtx, ops)
	served := make(chan error, 1)
	go func() { served <- s.Server.ListenAndServe(serveCtx) }()
	select {
	case <-s.ended:
		stopServing()
		<-served
		return s.endErr()
	case <-ctx.Done():
		s.cleanup()
		return <-served
	case err := <-served:
		return err
	}
}

// label names the service in its log lines.
func label(cfg hubauth.Config) string {
	if cfg.ServiceName != "" {
		return cfg.ServiceName
	}
	return cfg.ClientID
}
