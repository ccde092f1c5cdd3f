package hubproxy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
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
	// it is put in front of every request's path. unix:/path/to/app.sock
	// reaches an app listening on a unix socket instead, which, with
	// owner-only permissions, no other user of a shared host can reach
	// past the proxy (as they can a loopback port). A Transport of your
	// own then dials the socket itself ([UnixDialer]).
	Upstream *url.URL
	// StripPrefix removes the service's prefix (JUPYTERHUB_SERVICE_PREFIX,
	// e.g. /services/app/) from the path before proxying, so an app
	// that thinks it lives at "/" works; the app then finds the prefix in
	// X-Forwarded-Prefix. Apps that take a base URL setting (most: Bokeh,
	// Streamlit, Dash, Gradio, Jupyter) want the full path instead.
	StripPrefix bool
	// PassHost sends the app the Host header the request came with, the
	// browser's (the hub's proxy keeps it), rather than the upstream's
	// address: apps that check a websocket's Origin against Host, or build
	// links from it, see the request as the browser sent it.
	PassHost bool
	// TrustForwarded takes the scheme and the client address from what the
	// proxy in front (the hub's configurable-http-proxy) appended to
	// X-Forwarded-Proto and X-Forwarded-For: the last value of each, never
	// one a client sent ahead of it. The scheme of JUPYTERHUB_PUBLIC_URL,
	// when set, wins (a TLS-terminating ingress before the hub's proxy).
	// The host is always the Host header the request came with, which the
	// hub's proxy passes on while it passes a client's X-Forwarded-Host
	// through unchecked. Without TrustForwarded, the scheme and client
	// address describe only the connection to this proxy.
	TrustForwarded bool
	// AllowedGroups, when not empty, admits only callers in one of these
	// hub groups, on top of the access scope; others get 403.
	AllowedGroups []string
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
	bare    string   // the service prefix without trailing slash, "" for "/"
	target  *url.URL // where requests go: Upstream, or http://localhost for a unix socket
	scheme  string   // JUPYTERHUB_PUBLIC_URL's scheme, "" if not set
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
		target: opts.Upstream,
		logger: opts.Logger,
	}
	if pub, err := url.Parse(auth.Config().PublicURL); err == nil && (pub.Scheme == "http" || pub.Scheme == "https") {
		p.scheme = pub.Scheme
	}
	p.handler = hubauth.UnderPrefix(prefix, http.HandlerFunc(p.serve))
	if p.logger == nil {
		p.logger = slog.New(slog.DiscardHandler)
	}
	transport := opts.Transport
	if transport == nil {
		transport = DefaultTransport()
	}
	if socket, ok := UnixSocket(opts.Upstream); ok {
		// Every request goes to the socket; the URL's host is a
		// placeholder (and the Host header the browser's, with PassHost).
		p.target = &url.URL{Scheme: "http", Host: "localhost"}
		if t, ok := transport.(*http.Transport); ok && opts.Transport == nil {
			t.DialContext = UnixDialer(socket)
		}
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
// fragment; or unix: and the absolute path of a socket.
func CheckUpstream(u *url.URL) error {
	if u.Scheme == "unix" {
		if _, ok := UnixSocket(u); !ok {
			return fmt.Errorf("want unix:/absolute/path/to/app.sock, got %q", u.Redacted())
		}
		return nil
	}
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

// UnixSocket is the socket path of an upstream URL unix:/path/to/app.sock,
// and whether u is one.
func UnixSocket(u *url.URL) (string, bool) {
	if u == nil || u.Scheme != "unix" || u.Host != "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", false
	}
	p := u.Path
	if p == "" {
		p = u.Opaque
	}
	if !strings.HasPrefix(p, "/") || strings.ContainsRune(p, 0) {
		return "", false
	}
	return p, true
}

// UnixDialer dials socket whatever address it is asked for.
func UnixDialer(socket string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{Timeout: 10 * time.Second}
	return func(ctx context.Context, _, _ string) (net.Conn, error) {
		return d.DialContext(ctx, "unix", socket)
	}
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
	if !p.inAllowedGroup(u) {
		p.refuseGroup(w, u)
		return
	}
	p.rp.ServeHTTP(w, r)
}

// inAllowedGroup reports whether u is in one of Options.AllowedGroups, or
// there are none.
func (p *Proxy) inAllowedGroup(u *hubauth.User) bool {
	if len(p.opts.AllowedGroups) == 0 {
		return true
	}
	for _, g := range u.Groups {
		if slices.Contains(p.opts.AllowedGroups, g) {
			return true
		}
	}
	return false
}

func (p *Proxy) refuseGroup(w http.ResponseWriter, u *hubauth.User) {
	p.logger.Warn("caller not in an allowed group", "kind", u.Kind, "name", u.Name)
	hubauth.WriteError(w, &hubauth.ForbiddenError{User: u, Needed: p.opts.AllowedGroups,
		Target: "this app (it is open to the groups listed, not to scopes)"})
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
	pr.SetURL(p.target)
	if p.opts.PassHost && validHost(in.Host) {
		out.Host = in.Host
	}

	scrubForgeable(out.Header)
	if !p.opts.KeepCredentials {
		scrubCredentials(out, p.auth.IsHubCookie)
	}

	// X-Forwarded-Host is the Host the request came with (SetXForwarded),
	// never an inbound X-Forwarded-Host: the hub's proxy passes a client's
	// through as it came.
	if p.opts.TrustForwarded {
		if xff := lastForwarded(in.Header, "X-Forwarded-For"); net.ParseIP(xff) != nil {
			out.Header.Set("X-Forwarded-For", xff)
		}
	}
	pr.SetXForwarded()
	if p.opts.TrustForwarded {
		if proto := strings.ToLower(lastForwarded(in.Header, "X-Forwarded-Proto")); proto == "http" || proto == "https" {
			out.Header.Set("X-Forwarded-Proto", proto)
		}
	}
	if p.scheme != "" {
		out.Header.Set("X-Forwarded-Proto", p.scheme)
	}
	if !validHost(in.Host) {
		out.Header.Del("X-Forwarded-Host")
	}
	if p.opts.StripPrefix && p.bare != "" {
		out.Header.Set(HeaderPrefix, p.bare)
	}

	p.setIdentity(out.Header, in, false)
}
