package hubmetrics

import (
	"context"
	"errors"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hubauth-go/whoami/hubauth"
)

// Metrics holds the Prometheus metrics of one Authenticator. Build it with
// [New] and hand [Metrics.Observer] to [hubauth.WithObserver].
type Metrics struct {
	requests       map[hubauth.Outcome]prometheus.Counter
	requestsVec    *prometheus.CounterVec
	hubCalls       *prometheus.HistogramVec
	cacheHits      prometheus.Counter
	cacheMisses    prometheus.Counter
	cacheEvictions prometheus.Counter
	cacheStale     prometheus.Counter
	refreshes      map[string]prometheus.Counter // by refreshResult
	loginsStarted  prometheus.Counter
	loginsFinished prometheus.Counter
	loginsFailed   prometheus.Counter
}

// hubCallBuckets are the histogram buckets of hub call durations, in
// seconds: a hub on the same network answers in milliseconds, and the
// default time limit (HUBAUTH_HUB_TIMEOUT) is 10 s.
func hubCallBuckets() []float64 {
	return []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
}

// outcomes are the outcomes hubauth decides requests with, each counted
// from zero so that a rate over it works before the first refusal.
func outcomes() []hubauth.Outcome {
	return []hubauth.Outcome{hubauth.OutcomeAdmitted, hubauth.OutcomeNoToken, hubauth.OutcomeRefused,
		hubauth.OutcomeForbidden, hubauth.OutcomeHubError}
}

// New makes the metrics and registers them on reg. It fails when reg
// already holds metrics of these names (a second Authenticator: see the
// package documentation).
func New(reg prometheus.Registerer) (*Metrics, error) {
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
	}
	refreshes := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hubauth_cache_refreshes_total",
		Help: "Background refreshes of cached hub answers (in the last part of their age, or while the hub fails), by result: answered (the new answer replaced the old), refused (the hub refused the token: every answer for it went), failed (the old answer was left as it was).",
	}, []string{"result"})
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hubauth_requests_total",
		Help: "Requests the hubauth middleware decided on, by outcome: admitted, no_token, refused, forbidden, hub_error.",
	}, []string{"outcome"})
	m := &Metrics{
		requests:    map[hubauth.Outcome]prometheus.Counter{},
		requestsVec: requests,
		hubCalls: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "hubauth_hub_request_duration_seconds",
			Help:    "Calls to the JupyterHub API and how long the hub took to answer, by method, path (relative to the API URL) and result (the HTTP status, or timeout, canceled, unreachable).",
			Buckets: hubCallBuckets(),
		}, []string{"method", "path", "result"}),
		cacheHits:      counter("hubauth_cache_hits_total", "Token lookups answered from the cache of hub answers."),
		cacheMisses:    counter("hubauth_cache_misses_total", "Token lookups the cache could not answer (the hub was asked, or a call under way for the same token waited for)."),
		cacheEvictions: counter("hubauth_cache_evictions_total", "Hub answers pushed out of the full cache (HUBAUTH_CACHE_SIZE) to make room."),
		cacheStale:     counter("hubauth_cache_stale_total", "Cached hub answers used past their age because the hub could not be reached, timed out or failed with a 5xx (HUBAUTH_STALE_IF_ERROR)."),
		refreshes:      map[string]prometheus.Counter{},
		loginsStarted:  counter("hubauth_oauth_logins_started_total", "Browsers sent to the hub's OAuth authorize page."),
		loginsFinished: counter("hubauth_oauth_logins_finished_total", "OAuth logins that came back from the hub and finished: the login cookie set, or the code handed off (an OpenID Connect provider's)."),
		loginsFailed:   counter("hubauth_oauth_logins_failed_total", "OAuth callbacks that could not finish the login."),
	}
	for _, o := range outcomes() {
		m.requests[o] = requests.WithLabelValues(string(o))
	}
	for _, r := range []string{"answered", "refused", "failed"} {
		m.refreshes[r] = refreshes.WithLabelValues(r)
	}
	for _, c := range []prometheus.Collector{requests, m.hubCalls, m.cacheHits, m.cacheMisses,
		m.cacheEvictions, m.cacheStale, refreshes, m.loginsStarted, m.loginsFinished, m.loginsFailed} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Observer returns the hubauth.Observer that counts into m.
func (m *Metrics) Observer() *hubauth.Observer {
	return &hubauth.Observer{
		Request:       m.request,
		HubCall:       m.hubCall,
		CacheHit:      m.cacheHits.Inc,
		CacheMiss:     m.cacheMisses.Inc,
		CacheEviction: m.cacheEvictions.Inc,
		CacheStale:    m.cacheStale.Inc,
		CacheRefresh:  m.refresh,
		LoginStarted:  func(context.Context) { m.loginsStarted.Inc() },
		LoginFinished: func(context.Context) { m.loginsFinished.Inc() },
		LoginFailed:   func(context.Context, error) { m.loginsFailed.Inc() },
	}
}

func (m *Metrics) request(_ context.Context, o hubauth.Outcome) {
	if c, ok := m.requests[o]; ok {
		c.Inc()
		return
	}
	m.requestsVec.WithLabelValues(string(o)).Inc() // an outcome a later hubauth added
}

// refresh counts a background refresh by its result.
func (m *Metrics) refresh(err error) {
	switch {
	case err == nil:
		m.refreshes["answered"].Inc()
	case errors.Is(err, hubauth.ErrInvalidToken):
		m.refreshes["refused"].Inc()
	default:
		m.refreshes["failed"].Inc()
	}
}

func (m *Metrics) hubCall(_ context.Context, c hubauth.HubCall) {
	m.hubCalls.WithLabelValues(c.Method, c.Path, Result(c)).Observe(c.Duration.Seconds())
}

// Result is the result label of a hub call: the hub's HTTP status, or
// why there was none.
func Result(c hubauth.HubCall) string {
	switch {
	case c.Status != 0:
		return strconv.Itoa(c.Status)
	case c.Timeout():
		return "timeout"
	case errors.Is(c.Err, context.Canceled):
		return "canceled"
	default:
		return "unreachable"
	}
}
