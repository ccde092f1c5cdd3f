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
	"strings"
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

// LimitBody answers a declared body over the limit with 413 before the
// handler runs.
func ExampleLimitBody() {
	h := hubauth.LimitBody(1<<10, 10*time.Second)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "read it")
	}))
	for _, size := range []int{100, 2000} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/", strings.NewReader(strings.Repeat("x", size))))
		fmt.Println(w.Code, strings.TrimSpace(w.Body.String()))
	}
	// Output:
	// 200 read it
	// 413 {"status":413,"message":"request body too large: 2000 bytes, the limit is 1024"}
}

// BrowserScheme reads what an ingress says the browser used.
func ExampleBrowserScheme() {
	r := httptest.NewRequest(http.MethodGet, "/services/whoami/", nil)
	r.Header.Set("X-Forwarded-Proto", "http") // added by configurable-http-proxy
	r.Header.Set("Forwarded", "for=198.51.100.7;proto=https")
	fmt.Println(hubauth.BrowserScheme(r))
	// Output: https
}

// ForwardedProto reads the proto= of the first element of a Forwarded
// header; quoted values are fine, and a later element does not count.
func ExampleForwardedProto() {
	fmt.Printf("%q\n", hubauth.ForwardedProto(`for="[2001:db8::17]:4711";proto="HTTPS"`))
	fmt.Printf("%q\n", hubauth.ForwardedProto("for=192.0.2.60, proto=https"))
	// Output:
	// "https"
	// ""
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

// An app with its own http.Server can still serve internal SSL the way the
// hub expects: ServerTLS is nil unless the service URL is https.
func ExampleConfig_ServerTLS() {
	cfg, err := hubauth.FromEnv()
	if err != nil {
		log.Fatal(err)
	}
	tlsConf, err := cfg.ServerTLS()
	if err != nil {
		log.Fatal(err)
	}
	addr, err := cfg.ListenAddr()
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Addr: addr, Handler: http.NotFoundHandler(), TLSConfig: tlsConf, ReadHeaderTimeout: 10 * time.Second}
	if tlsConf != nil {
		log.Fatal(srv.ListenAndServeTLS("", "")) // the key pair is in tlsConf
	}
	log.Fatal(srv.ListenAndServe())
}
