package hubmetrics_test

import (
	"log"
	"net"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/hubauth-go/whoami/hubauth"
	"github.com/hubauth-go/whoami/hubauth/hubmetrics"
)

// A service counts what hubauth does and serves the metrics and probes on
// a port of their own, which the hub's proxy never routes.
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
		log.Fatal(http.Serve(ops, hubmetrics.Handler(hubmetrics.Ops{
			Gatherer: reg,
			Ready:    hubmetrics.HubReady(auth), // /readyz: the hub's API answers
		})))
	}()

	mux := http.NewServeMux()
	mux.Handle(cfg.ServicePrefix, auth.Middleware(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte("hello " + hubauth.UserFromContext(r.Context()).Name))
		})))
	addr, err := cfg.ListenAddr()
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(http.ListenAndServe(addr, mux))
}
