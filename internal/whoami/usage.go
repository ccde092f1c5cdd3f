package whoami

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"text/tabwriter"
	"time"

	"github.com/hubauth-go/whoami/hubauth"
)

// ShutdownGrace is how long requests in flight may take to finish once the
// process is told to stop.
const ShutdownGrace = 10 * time.Second

// Serve answers on addr with h until ctx is done (the commands cancel it on
// SIGTERM or SIGINT), then stops taking connections and waits up to
// ShutdownGrace for requests in flight.
func Serve(ctx context.Context, addr string, h http.Handler, logger *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	logger.Info("listening", "addr", ln.Addr().String())

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down", "grace", ShutdownGrace)
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Usage returns a flag.Usage function that explains the command and lists
// every environment variable it reads, from hubauth.Settings.
func Usage(out io.Writer, fs *flag.FlagSet, name, about string) func() {
	return func() {
		fmt.Fprintf(out, "Usage: %s\n\n%s\n\n", name, about)
		fmt.Fprintf(out, "JupyterHub starts it with these environment variables set; an externally run\nservice sets them by hand:\n\n")
		tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  VARIABLE\tDEFAULT\tMEANING")
		for _, s := range hubauth.Settings() {
			def := s.Default
			if def == "" {
				def = "-"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", s.Name, def, s.Doc)
		}
		tw.Flush()
		var flags bool
		fs.VisitAll(func(*flag.Flag) { flags = true })
		if flags {
			fmt.Fprintf(out, "\nFlags:\n")
			fs.SetOutput(out)
			fs.PrintDefaults()
		}
	}
}
