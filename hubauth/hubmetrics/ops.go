package hubmetrics

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Ops configures the operations handler: what an orchestrator and a
// Prometheus server ask a service, served apart from the service itself
// (its own port, never routed by JupyterHub's proxy).
type Ops struct {
	// Gatherer is the registry served at /metrics. Nil serves no /metrics.
	Gatherer prometheus.Gatherer
	// Ready is the readiness check of /readyz, normally [HubReady]. Nil
	// means always ready.
	Ready func(context.Context) error
	// ReadyEvery is how long an answer of Ready is reused;
	// [DefaultReadyEvery] when zero.
	ReadyEvery time.Duration
}

// Handler serves
//
//   - /metrics: the registry, in Prometheus' text format (promhttp.HandlerFor);
//   - /healthz: 200 while the process runs; it never calls the hub, so a
//     hub outage does not get the service restarted (it would not help);
//   - /readyz: 200 when the last readiness check, at most ReadyEvery old,
//     passed, else 503 saying why (the hub's error names the API URL).
//
// Other paths get 404.
func Handler(o Ops) http.Handler {
	mux := http.NewServeMux()
	if o.Gatherer != nil {
		mux.Handle("GET /metrics", promhttp.HandlerFor(o.Gatherer, promhttp.HandlerOpts{}))
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeText(w, http.StatusOK, "ok")
	})
	var ready *Readiness
	if o.Ready != nil {
		ready = NewReadiness(o.Ready, o.ReadyEvery)
	}
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if ready != nil {
			if err := ready.Check(r.Context()); err != nil {
				writeText(w, http.StatusServiceUnavailable, "not ready: "+err.Error())
				return
			}
		}
		writeText(w, http.StatusOK, "ok")
	})
	return mux
}

func writeText(w http.ResponseWriter, status int, msg string) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(msg + "\n"))
}
