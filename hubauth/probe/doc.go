// Package probe answers the two questions an orchestrator (Kubernetes, a
// load balancer) asks a service, on an operations listener of its own that
// the hub's proxy never routes:
//
//   - /healthz: is the process alive? Always yes while it runs: it never
//     calls the hub, so a hub outage does not get the service restarted
//     (which would not help).
//   - /readyz: can it do its work? Yes when the hub's API answers
//     ([hubauth.Authenticator.Ready]), asked at most every few seconds
//     however often the probes come.
//
// Beside the Prometheus metrics of package hubmetrics:
//
//	ops := http.NewServeMux()
//	ops.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
//	ops.Handle("/", probe.Handler(auth.Ready, 0))
package probe
