package hubauth

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"
)

// Defaults for [Server]: every bound a zero field leaves to them.
const (
	// defaultReadHeaderTimeout bounds how long a client may take to send a
	// request's headers (and, with TLS, to finish the handshake).
	defaultReadHeaderTimeout = 10 * time.Second
	// defaultBodyTimeout bounds how long a client may take to send a
	// request's body, counted from when the handler starts.
	defaultBodyTimeout = 30 * time.Second
	// defaultIdleTimeout is how long a kept-alive connection may wait for
	// its next request.
	defaultIdleTimeout = 2 * time.Minute
	// defaultMaxBodyBytes is the largest request body read: the services
	// read at most a small form.
	defaultMaxBodyBytes = 1 << 20
	// defaultShutdownGrace is how long requests in flight may take to
	// finish once the server is told to stop.
	defaultShutdownGrace = 10 * time.Second
)

// Server serves a service's handler the way a JupyterHub service is served:
// on the address the hub expects (or HUBAUTH_LISTEN), over TLS with
// client certificates under internal SSL, with every read bounded in time
// and size, and with a graceful shutdown. Build it with [NewServer], or as a
// literal for other listeners (zero fields take the defaults: headers
// within 10 s, a body within 30 s and at most 1 MiB, idle connections
// closed after 2 minutes, 10 s for requests in flight to finish), and run
// it with [Server.ListenAndServe].
//
// Slow clients cannot hold connections: the headers must arrive within
// ReadHeaderTimeout and the body within BodyTimeout of the handler starting,
// or the connection is closed. A handler that expects a long upload can move
// its own deadline with [http.ResponseController.SetReadDeadline]. Requests
// without a body (including websocket upgrades) have no body deadline.
type Server struct {
	// Addr is host:port or :port.
	Addr string
	// Handler answers every request; it runs behind the body limits.
	Handler http.Handler
	// TLSConfig, when set, makes the server speak TLS ([NewServer] sets
	// the internal-SSL one).
	TLSConfig *tls.Config
	// Logger receives start, stop and connection errors; nil discards
	// them.
	Logger *slog.Logger

	ReadHeaderTimeout time.Duration
	BodyTimeout       time.Duration
	IdleTimeout       time.Duration
	// MaxBodyBytes bounds a request body: a larger Content-Length is
	// answered 413 at once, and reading past it fails with
	// *http.MaxBytesError. Negative means no bound.
	MaxBodyBytes  int64
	ShutdownGrace time.Duration
}

// NewServer makes a Server for h on HUBAUTH_LISTEN, else the service URL's
// host:port, serving TLS with the internal-SSL key pair
// and requiring client certificates when the service URL is https.
func NewServer(cfg Config, h http.Handler) (*Server, error) {
	addr, err := cfg.listenAddr()
	if err != nil {
		return nil, err
	}
	tlsConf, err := cfg.serverTLS()
	if err != nil {
		return nil, err
	}
	return &Server{Addr: addr, Handler: h, TLSConfig: tlsConf}, nil
}

// ListenAndServe listens on s.Addr and serves until ctx is done; then it
// stops taking connections and waits up to ShutdownGrace for requests in
// flight. It returns nil after a clean shutdown.
func (s *Server) ListenAndServe(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.Addr, err)
	}
	return s.Serve(ctx, ln)
}

// Serve serves on ln until ctx is done, as ListenAndServe does; it closes ln.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if s.Handler == nil {
		ln.Close()
		return errors.New("hubauth: Server.Handler is nil")
	}
	logger := s.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	srv := &http.Server{
		Handler:           limitBody(s.maxBody(), or(s.BodyTimeout, defaultBodyTimeout))(s.Handler),
		TLSConfig:         s.TLSConfig,
		ReadHeaderTimeout: or(s.ReadHeaderTimeout, defaultReadHeaderTimeout),
		IdleTimeout:       or(s.IdleTimeout, defaultIdleTimeout),
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	scheme := "http"
	if s.TLSConfig != nil {
		scheme = "https"
	}
	logger.Info("listening", "addr", ln.Addr().String(), "scheme", scheme)

	errc := make(chan error, 1)
	go func() {
		if s.TLSConfig != nil {
			errc <- srv.ServeTLS(ln, "", "")
			return
		}
		errc <- srv.Serve(ln)
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	grace := or(s.ShutdownGrace, defaultShutdownGrace)
	logger.Info("shutting down", "grace", grace)
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func (s *Server) maxBody() int64 {
	if s.MaxBodyBytes == 0 {
		return defaultMaxBodyBytes
	}
	return s.MaxBodyBytes
}

func or(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// limitBody bounds request bodies, in size and in time: a Content-Length
// over maxBytes is answered 413 without reading it, reading past maxBytes
// fails with *http.MaxBytesError (and closes the connection after the
// answer), and a body that has not arrived within timeout of the handler
// starting fails with a timeout, after which the connection is closed.
// maxBytes < 0 or timeout <= 0 turns that bound off. [Server] applies it
// to every request.
func limitBody(maxBytes int64, timeout time.Duration) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Body == nil || r.Body == http.NoBody {
				next.ServeHTTP(w, r)
				return
			}
			if maxBytes >= 0 {
				if r.ContentLength > maxBytes {
					w.Header().Set("Connection", "close")
					WriteJSONError(w, http.StatusRequestEntityTooLarge,
						"request body too large: "+strconv.FormatInt(r.ContentLength, 10)+
							" bytes, the limit is "+strconv.FormatInt(maxBytes, 10))
					return
				}
				r.Body = http.MaxBytesReader(w, r.Body, maxBytes)
			}
			if timeout > 0 {
				// Server clears the deadline itself once the body is read
				// to its end, so it only ever bounds the body.
				_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(timeout))
			}
			next.ServeHTTP(w, r)
		})
	}
}
