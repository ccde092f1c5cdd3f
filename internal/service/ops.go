package service

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hubauth-go/whoami/hubauth"
	"github.com/hubauth-go/whoami/hubauth/hubmetrics"
	"github.com/hubauth-go/whoami/hubauth/probe"
)

// MetricsListenEnv names the variable that turns the operations listener
// on; the -metrics-listen flag, when given, wins over it.
const MetricsListenEnv = "HUBAUTH_METRICS_LISTEN"

// metricsListenFlag adds -metrics-listen to fs.
func metricsListenFlag(fs *flag.FlagSet) *string {
	return fs.String("metrics-listen", "", "host:port or :port of the operations listener, serving /metrics (Prometheus),\n"+
		"/healthz and /readyz apart from the service's own port. Default: $"+MetricsListenEnv+"; off when both are empty.")
}

// opsListener is the operations listener: the Prometheus metrics of the
// service's Authenticator and the probes, on a port of their own that the
// hub's proxy never routes. A nil *opsListener (the listener is off) does
// nothing.
type opsListener struct {
	ln      net.Listener
	reg     *prometheus.Registry
	metrics *hubmetrics.Metrics
}

// listenOps opens the operations listener at the address the flag or the
// environment gives, so that an address already in use stops start-up
// with a message naming the setting. It returns nil when neither is set.
func listenOps(fs *flag.FlagSet, flagValue string) (*opsListener, error) {
	addr, source := os.Getenv(MetricsListenEnv), MetricsListenEnv
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "metrics-listen" {
			addr, source = flagValue, "-metrics-listen"
		}
	})
	if addr == "" {
		return nil, nil
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return nil, fmt.Errorf("%s: want host:port or :port, got %q", source, addr)
	}
	ln, err := listen(source, addr)
	if err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m, err := hubmetrics.New(reg)
	if err != nil {
		ln.Close()
		return nil, err
	}
	return &opsListener{ln: ln, reg: reg, metrics: m}, nil
}

// observer is what the Authenticator reports to: nil when the listener is
// off, which hubauth.WithObserver takes as "observe nothing".
func (o *opsListener) observer() *hubauth.Observer {
	if o == nil {
		return nil
	}
	return o.metrics.Observer()
}

// registerer is where a command's own metrics go: the listener's
// registry, or, when the listener is off, one that no one reads.
func (o *opsListener) registerer() prometheus.Registerer {
	if o == nil {
		return prometheus.NewRegistry()
	}
	return o.reg
}

// handler serves /metrics, and /healthz and /readyz (the hub's API
// answers).
func (o *opsListener) handler(auth *hubauth.Authenticator) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(o.reg, promhttp.HandlerOpts{}))
	mux.Handle("/", probe.Handler(auth.Ready, 0))
	return mux
}

// close gives the address back when the service stops before serving.
func (o *opsListener) close() {
	if o != nil {
		o.ln.Close()
	}
}
