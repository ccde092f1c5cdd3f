// Package hubmetrics counts what a [hubauth.Authenticator] does in
// Prometheus metrics, to be served on an operations listener of its own
// (beside the probes of package hubauth/probe).
//
// hubauth reports through a [hubauth.Observer] and depends on no metrics
// library; this package is the Prometheus side (github.com/prometheus/client_golang).
// Following that library's advice, nothing is registered globally: the
// metrics go on the registry you pass, normally one per process.
//
//	reg := prometheus.NewRegistry()
//	m, err := hubmetrics.New(reg)
//	...
//	auth, err := hubauth.New(cfg, hubauth.WithObserver(m.Observer()))
//	...
//	ops := http.NewServeMux()
//	ops.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
//	go http.Serve(opsListener, ops)
//
// The metrics:
//
//	hubauth_requests_total{outcome}                       requests decided: admitted, no_token, refused, forbidden, hub_error
//	hubauth_hub_request_duration_seconds{method,path,result}  calls to the hub's API (a histogram; _count counts them)
//	hubauth_cache_hits_total, hubauth_cache_misses_total, hubauth_cache_evictions_total
//	hubauth_cache_stale_total                             answers used past their age while the hub failed
//	hubauth_cache_refreshes_total{result}                 background refreshes: answered, refused, failed
//	hubauth_oauth_logins_started_total, hubauth_oauth_logins_finished_total, hubauth_oauth_logins_failed_total
//
// The result of a hub call is the hub's HTTP status ("200", "403", …), or
// "timeout", "canceled" or "unreachable" when there was no answer.
//
// Two Authenticators in one process (two services) cannot register the
// same names twice on one registry; register each with a label of its own:
// New(prometheus.WrapRegistererWith(prometheus.Labels{"service": name}, reg)).
package hubmetrics
