package hubproxy

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hubauth-go/whoami/hubauth"
)

// Options say where the proxy sends requests and what the app receives.
// The zero value of every field but Upstream is a safe default: nothing
// beyond the caller's name and groups is passed on.
type Options struct {
	// Upstream is the app's base URL, e.g. http://127.0.0.1:9000. A path in
	// it is put in front of every request's path.
	Upstream *url.URL
	// StripPrefix removes the service's prefix (JUPYTERHUB_SERVICE_PREFIX,
	// e.g. /services/app/) from the path before proxying, so an app
	// that thinks it lives at "/" works; the app then finds the prefix in
	// X-Forwarded-Prefix. Apps that take a base URL setting want the full
	// path instead.
	StripPrefix bool
	// TrustForwarded takes the scheme, host and client addresses from the
	// X-Forwarded-Proto, -Host and -For headers of the proxy in front (the
	// hub's configurable-http-proxy), after checking they are well formed.
	// Without it they describe only the connection to this proxy.
	TrustForwarded bool
	// PassUserModel sends the hub's model of the caller as one line of
	// ASCII JSON in X-Forwarded-User-Model.
	PassUserModel bool
	// PassAccessToken sends the caller's own hub token
	// ([hubauth.TokenFromContext]) in X-Forwarded-Access-Token, so the app
	// can call the hub as the caller.
	PassAccessToken bool
	// KeepCredentials passes the caller's hub credentials (token
	// Authorization header, ?token=, the login, state and _xsrf cookies
	// and the hub's session id) to the app as they came. Off, they are
	// removed.
	KeepCredentials bool
	// Ready, when set, reports whether the app has come up; while it has
	// not, a failed request is answered 503 rather than 502.
	Ready func() bool
	// Transport carries requests to the app. The default dials with a 10 s
	// timeout, ignores HTTP_PROXY and keeps connections alive.
	Transport http.RoundTripper
	// Logger receives upstream failures (never tokens). Default: discard.
	Logger *slog.Logger
}

// Proxy is an http.Handler that sends admitted requests to the app. It
// must run behind the middleware of the Authenticator it was built with
// ([hubauth.OAuth.Middleware] or [hubauth.Authenticator.Middleware]),
// which decides who gets through.
type Proxy struct {
	opts    Options
	auth    *hubauth.Authenticator
	bare    string // the service prefix without trailing slash, "" for "/"
	rp      *httputil.ReverseProxy
	handler http.Handler
	logger  *slog.Logger
}

// New builds a Proxy for the service auth authenticates the callers of,
// at the service's prefix (JUPYTERHUB_SERVICE_PREFIX), checking the
// options.
func New(auth *hubauth.Authenticator, opts Options) (*Proxy, error) {
	if auth == nil {
		return nil, errors.New("hubproxy: no Authenticator: the proxy runs behind its middleware")
	}
	if opts.Upstream == nil {
		return nil, errors.New("hubproxy: no upstream: give the app's URL, e.g. http://127.0.0.1:9000")
	}
	if err := CheckUpstream(opts.Upstream); err != nil {
		return nil, fmt.Errorf("hubproxy: upstream: %w", err)
	}
	prefix := auth.Config().ServicePrefix
	p := &Proxy{
		opts:   opts,
		auth:   auth,
		bare:   strings.TrimSuffix(prefix, "/"),
		logger: opts.Logger,
	}
	p.handler = hubauth.UnderPrefix(prefix, http.HandlerFunc(p.serve))
	if p.logger == nil {
		p.logger = slog.New(slog.DiscardHandler)
	}
	transport := opts.Transport
	if transport == nil {
		transport = DefaultTransport()
	}
	p.rp = &httputil.ReverseProxy{
		Rewrite:      p.rewrite,
		Transport:    transport,
		ErrorHandler: p.upstreamFailed,
		ErrorLog:     slog.NewLogLogger(p.logger.Handler(), slog.LevelWarn),
		// Streaming answers (text/event-stream, or no Content-Length) are
		// flushed on every write whatever FlushInterval says; answers of a
		// known length go out as the server's buffer fills. A periodic
		// flush would cost a timer per response.
		FlushInterval: 0,
		// Copying a body takes a 32 KB buffer; reused, they are not
		// garbage on every request (a third of the allocated bytes).
		BufferPool: new(bufferPool),
	}
	return p, nil
}

// CheckUpstream says what is wrong with an app's URL, in words an operator
// can act on, never repeating a password: it must be http or https, with
// a host, a port from 1 to 65535 if any, and no credentials, query or
// fragment.
func CheckUpstream(u *url.URL) error {
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("want an http or https URL like http://127.0.0.1:9000, got %q", u.Redacted())
	case u.Host == "" || u.Hostname() == "":
		return fmt.Errorf("%q has no host; want a URL like http://127.0.0.1:9000", u.Redacted())
	case u.User != nil:
		return fmt.Errorf("%q: credentials in the URL are not supported", u.Redacted())
	case u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("%q: a query or a fragment is not supported", u.Redacted())
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("bad port in %q", u.Redacted())
		}
	}
	return nil
}

// DefaultTransport is the Transport a Proxy uses unless told otherwise:
// http.DefaultTransport's settings, without HTTP_PROXY (the app is local;
// a proxy set for the user's own downloads must not be used for it), with
// more idle connections kept for the one host it talks to.
func DefaultTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	t.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.MaxIdleConns = 256
	t.MaxIdleConnsPerHost = 256
	return t
}

// ServeHTTP sends an admitted request on to the app. Requests outside the
// prefix get a 404; a request that reached it without passing hubauth's
// middleware gets a 500, since that is a wiring mistake.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.handler.ServeHTTP(w, r)
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	u := hubauth.UserFromContext(r.Context())
	if u == nil {
		hubauth.WriteJSONError(w, http.StatusInternalServerError, "hubproxy: the request did not pass hubauth's middleware")
		return
	}
	if !validHeaderValue(u.Name) || !groupsValid(u.Groups) {
		hubauth.WriteJSONError(w, http.StatusBadGateway, "the hub's name or groups for this user cannot be sent in a header")
		return
	}
	p.rp.ServeHTTP(w, r)
}

func groupsValid(gs []string) bool {
	for _, g := range gs {
		if !validHeaderValue(g) {
			return false
		}
	}
	return true
}

// bufferPool lends ReverseProxy its copy buffers.
type bufferPool struct{ pool sync.Pool }

func (p *bufferPool) Get() []byte {
	if b, ok := p.pool.Get().(*[]byte); ok {
		return *b
	}
	return make([]byte, 32<<10)
}

func (p *bufferPool) Put(b []byte) { p.pool.Put(&b) }

// rewrite builds the outbound request from the inbound one: path (maybe
// without the prefix), no forgeable headers, no hub credentials, the
// forwarding headers, and the caller's identity.
func (p *Proxy) rewrite(pr *httputil.ProxyRequest) {
	in, out := pr.In, pr.Out

	if p.opts.StripPrefix && p.bare != "" {
		out.URL.Path = "/" + strings.TrimPrefix(strings.TrimPrefix(in.URL.Path, p.bare), "/")
		out.URL.RawPath = ""
		if esc := in.URL.EscapedPath(); strings.HasPrefix(esc, p.bare) {
			rest := "/" + strings.TrimPrefix(strings.TrimPrefix(esc, p.bare), "/")
			if dec, err := url.PathUnescape(rest); err == nil && dec == out.URL.Path && rest != out.URL.Path {
				out.URL.RawPath = rest
			}
		}
	}
	pr.SetURL(p.opts.Upstream)

	scrubForgeable(out.Header)
	if !p.opts.KeepCredentials {
		scrubCredentials(out, p.auth.IsHubCookie)
	}

	if p.opts.TrustForwarded {
		if xff := in.Header.Get("X-Forwarded-For"); validForwardedFor(xff) {
			out.Header.Set("X-Forwarded-For", xff)
		}
	}
	pr.SetXForwarded()
	if p.opts.TrustForwarded {
		if proto := strings.ToLower(firstForwarded(in.Header, "X-Forwarded-Proto")); proto == "http" || proto == "https" {
			out.Header.Set("X-Forwarded-Proto", proto)
		}
		if host := firstForwarded(in.Header, "X-Forwarded-Host"); validHost(host) {
			out.Header.Set("X-Forwarded-Host", host)
		}
	}
	if !validHost(in.Host) {
		out.Header.Del("X-Forwarded-Host")
	}
	if p.opts.StripPrefix && p.bare != "" {
		out.Header.Set(HeaderPrefix, p.bare)
	}

	p.setIdentity(out.Header, in)
}
