package whoami

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/hubauth-go/whoami/hubauth"
)

// Guard turns the service's Authenticator into the middleware that admits
// callers: token-only or OAuth.
type Guard func(*hubauth.Authenticator) (func(http.Handler) http.Handler, error)

// Main is the whole of a whoami command: flags (-h), configuration from the
// environment, the handler behind guard, and serving until SIGTERM or
// SIGINT. It exits 1 with the configuration's problems when it cannot start.
func Main(name, about string, guard Guard) {
	if err := run(os.Args[1:], name, about, guard); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
}

func run(args []string, name, about string, guard Guard) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = Usage(os.Stderr, fs, name, about)
	accessLog := fs.Bool("access-log", false, "log every request: method, path (never the query), status, duration.\n"+
		"Off by default, as in JupyterHub's Python examples: it was half the CPU time of a cached request.\n"+
		"Refused requests and hub failures are logged either way.")
	metricsListen := MetricsListenFlag(fs)
	listen := fs.String("listen", "", "address to listen on, host:port or :port; overrides HUBAUTH_LISTEN and the\n"+
		"host:port of JUPYTERHUB_SERVICE_URL, which stays the hub's idea of where the service is")
	if err := fs.Parse(args); err != nil {
		return err
	}

	cfg, err := hubauth.FromEnv()
	if err != nil {
		return err
	}
	if *listen != "" {
		if err := hubauth.CheckListen(*listen); err != nil {
			return fmt.Errorf("-listen: %w", err)
		}
		cfg.Listen = *listen
	}
	ops, err := ListenOps(fs, *metricsListen)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil)).With("service", cfg.ServiceName)
	auth, err := hubauth.New(cfg, hubauth.WithLogger(logger), hubauth.WithObserver(ops.Observer()))
	if err != nil {
		return err
	}
	mw, err := guard(auth)
	if err != nil {
		return err
	}
	handler := UnderPrefix(cfg.ServicePrefix, mw(Handler()))
	if *accessLog {
		handler = AccessLog(logger, handler)
	}

	srv, err := hubauth.NewServer(cfg, handler)
	if err != nil {
		return err
	}
	srv.Logger = logger

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	ops.Serve(ctx, auth, logger)
	return srv.ListenAndServe(ctx)
}
