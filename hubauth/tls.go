package hubauth

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"
)

// Internal SSL (c.JupyterHub.internal_ssl = True): the hub makes its own
// CA, gives each service it runs a key pair signed by it, and serves its
// API over HTTPS, asking callers for a certificate. A service then does
// what JupyterHub's own single-user server does with the three files it is
// handed:
//
//   - it calls the hub presenting the pair and trusting only the CA bundle;
//   - when its own URL is https, it serves TLS with the pair and requires
//     every client (the proxy, the hub checking it is up) to present a
//     certificate that chains to the same bundle.
//
// A service URL can stay http under internal SSL (it is whatever the hub's
// configuration says); the service then serves plain HTTP and still calls
// the https API with the pair.

// checkSSLFiles reports every problem with the internal-SSL files, each
// naming its variable and the path. The files are read here, so a service
// that would fail its first TLS handshake stops at start-up instead.
func (c Config) checkSSLFiles(bad func(name, format string, args ...any)) {
	switch {
	case c.SSLKeyFile != "" && c.SSLCertFile == "":
		bad("JUPYTERHUB_SSL_CERTFILE", "not set, but JUPYTERHUB_SSL_KEYFILE is: internal SSL needs both")
	case c.SSLKeyFile == "" && c.SSLCertFile != "":
		bad("JUPYTERHUB_SSL_KEYFILE", "not set, but JUPYTERHUB_SSL_CERTFILE is: internal SSL needs both")
	}
	pairOK := true
	for _, f := range []struct{ name, path string }{
		{"JUPYTERHUB_SSL_KEYFILE", c.SSLKeyFile},
		{"JUPYTERHUB_SSL_CERTFILE", c.SSLCertFile},
	} {
		if f.path == "" {
			pairOK = false
			continue
		}
		if _, err := os.ReadFile(f.path); err != nil {
			bad(f.name, "cannot read %s: %v", f.path, fileError(err))
			pairOK = false
		}
	}
	if pairOK {
		if _, err := tls.LoadX509KeyPair(c.SSLCertFile, c.SSLKeyFile); err != nil {
			bad("JUPYTERHUB_SSL_KEYFILE", "%s and JUPYTERHUB_SSL_CERTFILE %s are not a usable key pair: %v", c.SSLKeyFile, c.SSLCertFile, err)
		}
	}
	if c.SSLClientCA != "" {
		if _, err := loadCAPool(c.SSLClientCA); err != nil {
			bad("JUPYTERHUB_SSL_CLIENT_CA", "%v", err)
		}
	}
	if c.servesTLS() && (c.SSLKeyFile == "" || c.SSLCertFile == "") {
		bad("JUPYTERHUB_SERVICE_URL", "is https (%s), which needs JUPYTERHUB_SSL_KEYFILE and JUPYTERHUB_SSL_CERTFILE: the hub sets them for the services it runs with internal_ssl", c.ServiceURL)
	}
}

// fileError drops the path os errors repeat, since the message names it.
func fileError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// loadCAPool reads a PEM bundle of CA certificates.
func loadCAPool(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %v", path, fileError(err))
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate", path)
	}
	return pool, nil
}

// servesTLS reports whether the service must serve HTTPS: its URL is https,
// as the hub makes it for the services it runs with internal SSL.
func (c Config) servesTLS() bool { return strings.HasPrefix(c.ServiceURL, "https:") }

// hubTLS is the TLS configuration for calling the hub: trust only the CA
// bundle when one is given, and present the key pair when both files are
// given (as JupyterHub 6's own client does). nil means Go's defaults.
func (c Config) hubTLS() (*tls.Config, error) {
	if c.SSLClientCA == "" && (c.SSLKeyFile == "" || c.SSLCertFile == "") {
		return nil, nil
	}
	conf := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.SSLClientCA != "" {
		pool, err := loadCAPool(c.SSLClientCA)
		if err != nil {
			return nil, fmt.Errorf("JUPYTERHUB_SSL_CLIENT_CA: %w", err)
		}
		conf.RootCAs = pool
	}
	if c.SSLKeyFile != "" && c.SSLCertFile != "" {
		pair, err := tls.LoadX509KeyPair(c.SSLCertFile, c.SSLKeyFile)
		if err != nil {
			return nil, fmt.Errorf("JUPYTERHUB_SSL_KEYFILE, JUPYTERHUB_SSL_CERTFILE: %w", err)
		}
		conf.Certificates = []tls.Certificate{pair}
	}
	return conf, nil
}

// serverTLS is the TLS configuration for serving an https ServiceURL:
// the key pair, and, when a CA bundle is given, a client certificate that
// chains to it is required (the proxy and the hub present theirs). It
// returns nil, nil when the service URL is not https.
func (c Config) serverTLS() (*tls.Config, error) {
	if !c.servesTLS() {
		return nil, nil
	}
	if c.SSLKeyFile == "" || c.SSLCertFile == "" {
		return nil, errors.New("JUPYTERHUB_SERVICE_URL is https, which needs JUPYTERHUB_SSL_KEYFILE and JUPYTERHUB_SSL_CERTFILE")
	}
	pair, err := tls.LoadX509KeyPair(c.SSLCertFile, c.SSLKeyFile)
	if err != nil {
		return nil, fmt.Errorf("JUPYTERHUB_SSL_KEYFILE, JUPYTERHUB_SSL_CERTFILE: %w", err)
	}
	conf := &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{pair},
	}
	if c.SSLClientCA != "" {
		pool, err := loadCAPool(c.SSLClientCA)
		if err != nil {
			return nil, fmt.Errorf("JUPYTERHUB_SSL_CLIENT_CA: %w", err)
		}
		conf.ClientCAs = pool
		conf.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return conf, nil
}
