package bench

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"syscall"
	"time"
)

// Front is the smallest honest load balancer for replicas of one service:
// the hub's proxy routes a service to one URL, so replicas sit behind an
// address like this one, registered as the service's URL. It sends each
// request to the next replica in turn; when a replica refuses the
// connection (it is down) the request goes to the next one instead, as
// nginx's proxy_next_upstream does for connection errors. A replica that
// fails after it took the request (killed mid-answer) gets the client a
// 502, since the request may have had effects: nothing is retried blind.
type Front struct {
	proxy    *httputil.ReverseProxy
	backends []*frontBackend
	next     atomic.Uint64
	base     http.RoundTripper
	// Failovers counts requests that went to another replica because
	// theirs refused the connection.
	Failovers atomic.Int64
}

type frontBackend struct {
	host    string
	served  atomic.Int64 // answers relayed
	cookies atomic.Int64 // of those, to requests with a Cookie header
}

// NewFront balances over the replicas at urls (http://host:port).
func NewFront(urls ...string) (*Front, error) {
	f := &Front{base: &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 2 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 128,
	}}
	for _, raw := range urls {
		u, err := url.Parse(raw)
		if err != nil {
			return nil, err
		}
		if u.Scheme != "http" || u.Host == "" {
			return nil, errors.New("front: want http://host:port, got " + raw)
		}
		f.backends = append(f.backends, &frontBackend{host: u.Host})
	}
	if len(f.backends) == 0 {
		return nil, errors.New("front: no replicas")
	}
	f.proxy = &httputil.ReverseProxy{
		// The request keeps the client's Host header: the services build
		// no URLs from it (their public addresses come from settings).
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.Scheme = "http"
			pr.Out.URL.Host = f.backends[0].host // RoundTrip picks the replica
		},
		Transport: roundTripFunc(f.roundTrip),
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			var sent errSent
			if refused(err) && !errors.As(err, &sent) {
				w.WriteHeader(http.StatusServiceUnavailable)
				_, _ = io.WriteString(w, "front: no replica is up\n")
				return
			}
			w.WriteHeader(http.StatusBadGateway)
			_, _ = io.WriteString(w, "front: the replica failed while answering\n")
		},
	}
	return f, nil
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// roundTrip sends r to the next replica, and on to the others while they
// refuse the connection.
func (f *Front) roundTrip(r *http.Request) (*http.Response, error) {
	start := f.next.Add(1)
	n := uint64(len(f.backends))
	retryable := r.Body == nil || r.Body == http.NoBody
	var err error
	for i := range n {
		b := f.backends[(start+i)%n]
		// Whether the request reached the replica: only one that did not
		// may go to another. (Go's transport itself resends a GET once
		// when a kept-alive connection turns out closed; if the replica
		// died, that second try is refused, yet the first may have been
		// acted on, such as an OAuth callback spending its one-time code.)
		var wrote atomic.Bool
		trace := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { wrote.Store(true) }}
		out := r.Clone(httptrace.WithClientTrace(r.Context(), trace))
		out.URL.Host = b.host
		var resp *http.Response
		resp, err = f.base.RoundTrip(out)
		if err == nil {
			if i > 0 {
				f.Failovers.Add(1)
			}
			b.served.Add(1)
			if r.Header.Get("Cookie") != "" {
				b.cookies.Add(1)
			}
			return resp, nil
		}
		if !refused(err) || !retryable || wrote.Load() {
			return nil, fmt.Errorf("%s: %w", b.host, errSent{err})
		}
	}
	return nil, err
}

// errSent wraps the error of a request that reached a replica (or may
// have): the front answers it with 502, never by trying another replica.
type errSent struct{ error }

func (e errSent) Unwrap() error { return e.error }

// refused reports whether err says nothing was sent: the replica was not
// listening.
func refused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }

func (f *Front) ServeHTTP(w http.ResponseWriter, r *http.Request) { f.proxy.ServeHTTP(w, r) }

// Served is how many answers replica i (in NewFront's order) relayed, and
// how many of them to requests with cookies.
func (f *Front) Served(i int) (all, withCookies int64) {
	return f.backends[i].served.Load(), f.backends[i].cookies.Load()
}
