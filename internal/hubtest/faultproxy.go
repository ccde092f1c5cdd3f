package hubtest

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// FaultProxy sits between services and the hub's API and is how tests
// (and the soak) make the hub slow: while a delay is set, every API call
// (GET /user, and the OAuth code exchange too) waits that long before it
// is passed on. When the hub is down the proxy drops the service's
// connection without an answer, so the service sees what it would see
// without the proxy, a hub it cannot reach, rather than an answer from a
// proxy.
type FaultProxy struct {
	proxy      *httputil.ReverseProxy
	delayNanos atomic.Int64
	calls      atomic.Int64
}

// NewFaultProxy forwards to the hub at hubURL (scheme and host).
func NewFaultProxy(hubURL string) (*FaultProxy, error) {
	u, err := url.Parse(hubURL)
	if err != nil {
		return nil, err
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.Transport = &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 256}
	rp.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
		if conn, _, herr := http.NewResponseController(w).Hijack(); herr == nil {
			conn.Close()
			return
		}
		w.WriteHeader(http.StatusBadGateway)
	}
	return &FaultProxy{proxy: rp}, nil
}

func (p *FaultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.calls.Add(1)
	if d := time.Duration(p.delayNanos.Load()); d > 0 {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		}
	}
	p.proxy.ServeHTTP(w, r)
}

// SetDelay makes every call wait d before it is passed on (0: none).
func (p *FaultProxy) SetDelay(d time.Duration) { p.delayNanos.Store(int64(d)) }

// Calls is how many API calls came through so far.
func (p *FaultProxy) Calls() int64 { return p.calls.Load() }

// StartFaultProxy puts a FaultProxy in front of the hub's API for the
// test and returns it with the API URL to give services instead of
// APIURL. The hub's API must be plain http (not internal SSL, not a unix
// socket).
func (h *Hub) StartFaultProxy(t testing.TB) (*FaultProxy, string) {
	t.Helper()
	u, err := url.Parse(h.APIURL)
	if err != nil || u.Scheme != "http" {
		t.Fatalf("a fault proxy needs the hub's API over plain http, not %s", h.APIURL)
	}
	p, err := NewFaultProxy(u.Scheme + "://" + u.Host)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return p, srv.URL + strings.TrimSuffix(u.Path, "/")
}
