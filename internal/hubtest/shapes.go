package hubtest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The deployment shapes a test can ask Start for, besides the plain one
// (a hub on loopback TCP): internal SSL and a hub API on a unix socket.

// shapesConfig is Python appended to the generated config, before the
// test's ExtraConfig, for the shapes in hubtest.json.
const shapesConfig = `
if s.get("hub_connect_url"):
    c.JupyterHub.hub_connect_url = s["hub_connect_url"]

if s.get("internal_ssl"):
    c.JupyterHub.internal_ssl = True
    c.JupyterHub.internal_certs_location = s["internal_certs"]
    # JupyterHub 5.0 to 6.1.1 give the readiness check of a managed service
    # with an https URL the hub's own server-side SSLContext, with which no
    # client connection can be made on Python 3.10+, and the hub exits.
    # Called without one, start_service builds a client context from the
    # hub's internal key pair and CA. 4.1 has no start_service and works.
    def _client_context_for_service_checks():
        import inspect
        from jupyterhub.app import JupyterHub

        original = getattr(JupyterHub, "start_service", None)
        if original is None or "ssl_context" not in inspect.signature(original).parameters:
            return

        async def start_service(self, service_name, service, ssl_context=None):
            return await original(self, service_name, service)

        JupyterHub.start_service = start_service

    _client_context_for_service_checks()
`

// shape is what Start decided for the hub's API from the options.
type shape struct {
	socket   string // unix socket the hub API listens on, if any
	certDir  string // internal_certs_location, with internal SSL
	apiBase  string // URL prefix the rig sends its own API requests to
	connect  string // hub_connect_url, when it differs from the default
	clientMu sync.Mutex
	hubTr    *http.Transport
	proxyTr  *http.Transport
}

// applyShape sets the hub's API URL for the options: https with internal
// SSL, a unix socket URL (spelled as the installed hub wants it) with
// UnixSocket.
func (h *Hub) applyShape(t testing.TB, opts Options) {
	t.Helper()
	h.apiBase = h.APIURL
	if opts.InternalSSL {
		h.certDir = filepath.Join(h.Dir, "internal-ssl")
		h.APIURL = strings.Replace(h.APIURL, "http://", "https://", 1)
		h.apiBase = h.APIURL
	}
	if opts.UnixSocket {
		if opts.InternalSSL {
			t.Fatal("hubtest: InternalSSL with UnixSocket is not supported by the rig")
		}
		// A socket path must fit in 108 bytes; test temp dirs can be long.
		dir, err := os.MkdirTemp("", "hubsock-")
		if err != nil {
			t.Fatalf("socket dir: %v", err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		h.socket = filepath.Join(dir, "hub.sock")
		h.connect = UnixScheme(t) + "://" + url.PathEscape(h.socket)
		h.APIURL = h.connect + "/hub/api"
		h.apiBase = "http://hub.sock/hub/api"
	}
}

// shapeSettings adjusts the generated settings for the shape.
func (h *Hub) shapeSettings(s *settings) {
	if h.certDir != "" {
		s.InternalSSL = true
		s.InternalCerts = h.certDir
		s.HubBindURL = strings.Replace(s.HubBindURL, "http://", "https://", 1)
		// With internal SSL the proxy's API speaks TLS too.
		s.ProxyAPIURL = strings.Replace(s.ProxyAPIURL, "http://", "https://", 1)
	}
	if h.connect != "" {
		s.HubBindURL = h.connect
		s.HubConnectURL = h.connect
	}
}

// proxyAPIURL is where the rig reads the proxy's routes.
func (h *Hub) proxyAPIURL() string {
	scheme := "http"
	if h.certDir != "" {
		scheme = "https"
	}
	return fmt.Sprintf("%s://127.0.0.1:%d", scheme, h.proxyAPIPort)
}

// apiClient is the rig's HTTP client for the hub API: over the socket, or
// presenting the hub's internal key pair. The internal certificates exist
// only once the hub has made them, so until then it fails and the caller
// retries.
func (h *Hub) apiClient() (*http.Client, error) {
	tr, err := h.transport(true)
	if err != nil {
		return nil, err
	}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}, nil
}

// proxyClient is the rig's client for the proxy's API (always TCP).
func (h *Hub) proxyClient() (*http.Client, error) {
	tr, err := h.transport(false)
	if err != nil {
		return nil, err
	}
	return &http.Client{Transport: tr, Timeout: 5 * time.Second}, nil
}

// transport builds (once) the transports for the hub's API and the
// proxy's.
func (h *Hub) transport(hubAPI bool) (*http.Transport, error) {
	h.clientMu.Lock()
	defer h.clientMu.Unlock()
	if h.hubTr == nil {
		h.hubTr = &http.Transport{Proxy: nil}
		h.proxyTr = &http.Transport{Proxy: nil}
		if h.socket != "" {
			socket := h.socket
			h.hubTr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, "unix", socket)
			}
		}
		if h.certDir != "" {
			conf, err := h.ClientTLS()
			if err != nil {
				h.hubTr, h.proxyTr = nil, nil
				return nil, err
			}
			h.hubTr.TLSClientConfig = conf
			h.proxyTr.TLSClientConfig = conf
		}
	}
	if hubAPI {
		return h.hubTr, nil
	}
	return h.proxyTr, nil
}

// ClientTLS is a TLS configuration that the hub's internal SSL accepts
// everywhere (the hub API, the proxy's API, services): the hub's own
// internal key pair, trusting every internal CA. It fails until the hub
// has made its certificates, or when the hub runs without internal SSL.
func (h *Hub) ClientTLS() (*tls.Config, error) {
	if h.certDir == "" {
		return nil, fmt.Errorf("hubtest: the hub runs without internal SSL")
	}
	pair, err := tls.LoadX509KeyPair(
		filepath.Join(h.certDir, "hub-internal", "hub-internal.crt"),
		filepath.Join(h.certDir, "hub-internal", "hub-internal.key"))
	if err != nil {
		return nil, err
	}
	pool, err := h.InternalCAs()
	if err != nil {
		return nil, err
	}
	return &tls.Config{Certificates: []tls.Certificate{pair}, RootCAs: pool}, nil
}

// InternalCAs is the bundle of every CA the hub made for internal SSL.
func (h *Hub) InternalCAs() (*x509.CertPool, error) {
	pem, err := os.ReadFile(filepath.Join(h.certDir, "hub-ca_trust.crt"))
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("no certificates in %s", filepath.Join(h.certDir, "hub-ca_trust.crt"))
	}
	return pool, nil
}

// UnixSocket is the path of the socket the hub's API listens on, "" when
// it listens on TCP.
func (h *Hub) UnixSocket() string { return h.socket }

// HubPort is the TCP port the hub's API listens on (unless it listens on a
// unix socket).
func (h *Hub) HubPort() int { return h.hubPort }

// UnixScheme is how the installed hub spells a unix-socket URL: http+unix
// from JupyterHub 6, unix+http before.
func UnixScheme(t testing.TB) string {
	t.Helper()
	if HubVersion(t).AtLeast(Version{Major: 6}) {
		return "http+unix"
	}
	return "unix+http"
}
