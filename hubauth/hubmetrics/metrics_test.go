package hubmetrics

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/hubauth-go/whoami/hubauth"
)

// fakeHub answers GET /hub/api/user for the tokens it knows, 403 for the
// rest, and GET /hub/api/ with a version; the integration tests run the
// real hub.
func fakeHub(t *testing.T, models map[string]string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/hub/api/":
			_, _ = w.Write([]byte(`{"version": "6.1.1"}`))
		case "/hub/api/user":
			model, ok := models[strings.TrimPrefix(r.Header.Get("Authorization"), "token ")]
			if !ok {
				w.WriteHeader(http.StatusForbidden)
				_, _ = w.Write([]byte(`{"status": 403, "message": null}`))
				return
			}
			_, _ = w.Write([]byte(model))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

const (
	adaToken = "0123456789abcdef0123456789abcdef"
	bobToken = "fedcba9876543210fedcba9876543210"
)

var models = map[string]string{
	adaToken: `{"kind": "user", "name": "ada", "scopes": ["access:services!service=whoami"]}`,
	bobToken: `{"kind": "user", "name": "bob", "scopes": ["access:services!service=other"]}`,
}

func config(apiURL string) hubauth.Config {
	return hubauth.Config{
		APIURL: apiURL, APIToken: "service-token", ServiceName: "whoami",
		ServicePrefix: "/services/whoami/", BaseURL: "/", HubPrefix: "/hub/",
		AccessScopes: []string{"access:services!service=whoami"},
		CacheMaxAge:  time.Minute, CacheSize: 2, HubTimeout: 2 * time.Second,
	}
}

// value is the current value of the metric name with exactly labels
// (a counter's value, or a histogram's count); -1 when there is none.
func value(t *testing.T, g prometheus.Gatherer, name string, labels map[string]string) float64 {
	t.Helper()
	families, err := g.Gather()
	require.NoError(t, err)
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	metrics:
		for _, m := range f.GetMetric() {
			if len(m.GetLabel()) != len(labels) {
				continue
			}
			for _, l := range m.GetLabel() {
				if labels[l.GetName()] != l.GetValue() {
					continue metrics
				}
			}
			if h := m.GetHistogram(); h != nil {
				return float64(h.GetSampleCount())
			}
			return m.GetCounter().GetValue()
		}
	}
	return -1
}

func TestMetricsCount(t *testing.T) {
	hub := fakeHub(t, models)
	reg := prometheus.NewRegistry()
	m, err := New(reg)
	require.NoError(t, err)
	a, err := hubauth.New(config(hub.URL+"/hub/api"), hubauth.WithObserver(m.Observer()))
	require.NoError(t, err)
	h := a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))

	// Every outcome is there before any request, at zero.
	for _, o := range outcomes() {
		require.Zero(t, value(t, reg, "hubauth_requests_total", map[string]string{"outcome": string(o)}), o)
	}

	for _, token := range []string{adaToken, adaToken, adaToken, "", bobToken, fmt.Sprintf("%032x", 7), fmt.Sprintf("%032x", 8)} {
		r := httptest.NewRequest(http.MethodGet, "/services/whoami/", nil)
		if token != "" {
			r.Header.Set("Authorization", "token "+token)
		}
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
	for outcome, want := range map[string]float64{"admitted": 3, "no_token": 1, "forbidden": 1, "refused": 2, "hub_error": 0} {
		require.Equal(t, want, value(t, reg, "hubauth_requests_total", map[string]string{"outcome": outcome}), outcome)
	}
	require.Equal(t, 2.0, value(t, reg, "hubauth_hub_request_duration_seconds", map[string]string{"method": "GET", "path": "/user", "result": "200"}))
	require.Equal(t, 2.0, value(t, reg, "hubauth_hub_request_duration_seconds", map[string]string{"method": "GET", "path": "/user", "result": "403"}))
	require.Equal(t, 2.0, value(t, reg, "hubauth_cache_hits_total", nil))
	require.Equal(t, 4.0, value(t, reg, "hubauth_cache_misses_total", nil))
	require.Equal(t, 2.0, value(t, reg, "hubauth_cache_evictions_total", nil), "four answers in a cache of two")

	// A readiness check is a hub call too.
	err = a.Ready(context.Background())
	require.NoError(t, err)
	require.Equal(t, 1.0, value(t, reg, "hubauth_hub_request_duration_seconds", map[string]string{"method": "GET", "path": "/", "result": "200"}))

	// The hub gone: no answer.
	hub.Close()
	r := httptest.NewRequest(http.MethodGet, "/services/whoami/", nil)
	r.Header.Set("Authorization", "token "+fmt.Sprintf("%032x", 9))
	h.ServeHTTP(httptest.NewRecorder(), r)
	require.Equal(t, 1.0, value(t, reg, "hubauth_requests_total", map[string]string{"outcome": "hub_error"}))
	require.Equal(t, 1.0, value(t, reg, "hubauth_hub_request_duration_seconds", map[string]string{"method": "GET", "path": "/user", "result": "unreachable"}))

	// A second set of metrics on the same registry is refused.
	_, err = New(reg)
	require.Error(t, err)
}

// Answers used past their age while the hub is down, and background
// refreshes by result.
func TestMetricsStaleAndRefreshes(t *testing.T) {
	hub := fakeHub(t, models)
	reg := prometheus.NewRegistry()
	m, err := New(reg)
	require.NoError(t, err)
	for _, result := range []string{"answered", "refused", "failed"} {
		require.Zero(t, value(t, reg, "hubauth_cache_refreshes_total", map[string]string{"result": result}), "counted from zero")
	}
	cfg := config(hub.URL + "/hub/api")
	cfg.CacheMaxAge, cfg.StaleIfError = 50*time.Millisecond, time.Minute
	a, err := hubauth.New(cfg, hubauth.WithObserver(m.Observer()))
	require.NoError(t, err)
	h := a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	call := func() int {
		r := httptest.NewRequest(http.MethodGet, "/services/whoami/", nil)
		r.Header.Set("Authorization", "token "+adaToken)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	require.Equal(t, 200, call())
	hub.Close()
	time.Sleep(100 * time.Millisecond) // past its age
	require.Equal(t, 200, call(), "the hub is gone: the answer it gave before")
	require.Equal(t, 200, call())
	require.Equal(t, 2.0, value(t, reg, "hubauth_cache_stale_total", nil))

	o := m.Observer()
	o.CacheRefresh(nil)
	o.CacheRefresh(hubauth.ErrInvalidToken)
	o.CacheRefresh(&hubauth.HubError{Message: "down"})
	o.CacheRefresh(&hubauth.HubError{Message: "down"})
	for result, want := range map[string]float64{"answered": 1, "refused": 1, "failed": 2} {
		require.Equal(t, want, value(t, reg, "hubauth_cache_refreshes_total", map[string]string{"result": result}), result)
	}
}

// Two services in one process share a registry when each has its label.
func TestMetricsTwoServices(t *testing.T) {
	reg := prometheus.NewRegistry()
	a, err := New(prometheus.WrapRegistererWith(prometheus.Labels{"service": "a"}, reg))
	require.NoError(t, err)
	_, err = New(prometheus.WrapRegistererWith(prometheus.Labels{"service": "b"}, reg))
	require.NoError(t, err)
	a.Observer().CacheHit()
	require.Equal(t, 1.0, value(t, reg, "hubauth_cache_hits_total", map[string]string{"service": "a"}))
	require.Equal(t, 0.0, value(t, reg, "hubauth_cache_hits_total", map[string]string{"service": "b"}))
}

func TestMetricsLogins(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := New(reg)
	require.NoError(t, err)
	o := m.Observer()
	ctx := context.Background()
	o.LoginStarted(ctx)
	o.LoginStarted(ctx)
	o.LoginFinished(ctx)
	o.LoginFailed(ctx, errors.New("OAuth callback without a code"))
	require.Equal(t, 2.0, value(t, reg, "hubauth_oauth_logins_started_total", nil))
	require.Equal(t, 1.0, value(t, reg, "hubauth_oauth_logins_finished_total", nil))
	require.Equal(t, 1.0, value(t, reg, "hubauth_oauth_logins_failed_total", nil))
	// An outcome a later hubauth may add is counted under its name.
	o.Request(ctx, hubauth.Outcome("something_new"))
	require.Equal(t, 1.0, value(t, reg, "hubauth_requests_total", map[string]string{"outcome": "something_new"}))
}

func TestResult(t *testing.T) {
	for _, tc := range []struct {
		call hubauth.HubCall
		want string
	}{
		{hubauth.HubCall{Status: 200}, "200"},
		{hubauth.HubCall{Status: 503}, "503"},
		{hubauth.HubCall{Err: context.DeadlineExceeded}, "timeout"},
		{hubauth.HubCall{Err: fmt.Errorf("dial: %w", context.Canceled)}, "canceled"},
		{hubauth.HubCall{Err: fmt.Errorf("connection refused")}, "unreachable"},
	} {
		require.Equal(t, tc.want, Result(tc.call))
	}
}
