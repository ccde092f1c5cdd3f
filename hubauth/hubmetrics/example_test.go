package hubmetrics_test

import (
	"context"
	"log"
	"net"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hubauth-go/whoami/hubauth"
	"github.com/hubauth-go/whoami/hubauth/hubmetrics"
	"github.com/hubauth-go/whoami/hubauth/probe"
)

// A service counts what hubauth does and serves the metrics, with the
// probes, on a port of their own, which the hub's proxy never routes.
func Example() {
	cfg, err := hubauth.FromEnv()
	if err != nil {
		log.Fatal(err)
	}
	reg := prometheus.NewRegistry() // one per process; nothing global
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m, err := hubmetrics.New(reg)
	if err != nil {
		log.Fatal(err)
	}
	auth, err := hubauth.New(cfg, hubauth.WithObserver(m.Observer()))
	if err != nil {
		log.Fatal(err)
	}

	ops, err := net.Listen("tcp", ":9090")
	if err != nil {
		log.Fatal(err)
	}
	go func() {
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		mux.Handle("/", probe.Handler(auth.Ready, 0)) // /healthz, and /readyz: the hub's API answers
		log.Fatal(http.Serve(ops, mux))
	}()

	mux := http.NewServeMux()
	mux.Handle(cfg.ServicePrefix, auth.Middleware(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte("hello " + hubauth.UserFromContext(r.Context()).Name))
		})))
	srv, err := hubauth.NewServer(cfg, mux)
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(srv.ListenAndServe(context.Background()))
}
