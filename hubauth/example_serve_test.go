package hubauth_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/hubauth-go/whoami/hubauth"
)

// A service serves until SIGTERM (what the hub sends when it stops a
// managed service), then lets requests in flight finish. NewServer picks
// the address and, under internal SSL, the TLS setup from the config.
func ExampleNewServer() {
	cfg, err := hubauth.FromEnv()
	if err != nil {
		log.Fatal(err)
	}
	auth, err := hubauth.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s\n", hubauth.UserFromContext(r.Context()).Name)
	})
	srv, err := hubauth.NewServer(cfg, auth.Middleware(app))
	if err != nil {
		log.Fatal(err) // e.g. a bad HUBAUTH_LISTEN
	}
	srv.Logger = slog.Default()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := srv.ListenAndServe(ctx); err != nil {
		log.Fatal(err)
	}
}

// A Server literal serves a second, plain listener (say, for operations)
// with the same bounds; zero fields take the defaults.
func ExampleServer() {
	ops := &hubauth.Server{
		Addr:        "127.0.0.1:9090",
		Handler:     http.NotFoundHandler(),
		BodyTimeout: 5 * time.Second,
	}
	_ = ops.ListenAndServe // run it beside the service's own Server
	fmt.Println(ops.Addr)
	// Output: 127.0.0.1:9090
}

// CheckListen is how a command checks its own -listen flag.
func ExampleCheckListen() {
	for _, addr := range []string{":8000", "0.0.0.0:8000", "8000", "http://0.0.0.0:8000"} {
		fmt.Println(addr, hubauth.CheckListen(addr))
	}
	// Output:
	// :8000 <nil>
	// 0.0.0.0:8000 <nil>
	// 8000 want host:port or :port, got "8000"
	// http://0.0.0.0:8000 want host:port or :port, not a URL, got "http://0.0.0.0:8000"
}

// UnderPrefix keeps a service to its own prefix: the hub's proxy sends it
// nothing else, so anything else reached its port directly.
func ExampleUnderPrefix() {
	h := hubauth.UnderPrefix("/services/whoami/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "the service")
	}))
	for _, path := range []string{"/services/whoami/", "/services/whoami", "/hub/admin"} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		fmt.Println(path, w.Code, w.Body.String())
	}
	// Output:
	// /services/whoami/ 200 the service
	// /services/whoami 200 the service
	// /hub/admin 404 {"status":404,"message":"not found: this service serves /services/whoami/"}
}
