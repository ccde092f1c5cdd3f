package hubauth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// testPKI is a throwaway CA, as the hub's internal SSL makes one, with
// files on disk the way the hub hands them to a service.
type testPKI struct {
	t    *testing.T
	dir  string
	ca   *x509.Certificate
	key  *ecdsa.PrivateKey
	CA   string // path of the CA bundle
	pool *x509.CertPool
}

func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "test-ca"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	ca, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	p := &testPKI{t: t, dir: t.TempDir(), ca: ca, key: key, pool: x509.NewCertPool()}
	p.pool.AddCert(ca)
	p.CA = p.write("ca.crt", "CERTIFICATE", der)
	return p
}

func (p *testPKI) write(name, typ string, der []byte) string {
	path := filepath.Join(p.dir, name)
	require.NoError(p.t, os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600))
	return path
}

// pair issues a certificate for 127.0.0.1 and localhost, usable by a
// server and a client, and returns the key and certificate files.
func (p *testPKI) pair(name string) (keyFile, certFile string) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(p.t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"localhost"},
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, &key.PublicKey, p.key)
	require.NoError(p.t, err)
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(p.t, err)
	return p.write(name+".key", "PRIVATE KEY", kder), p.write(name+".crt", "CERTIFICATE", der)
}

func (p *testPKI) tlsPair(name string) tls.Certificate {
	k, c := p.pair(name)
	pair, err := tls.LoadX509KeyPair(c, k)
	require.NoError(p.t, err)
	return pair
}

// A missing, unreadable or mismatched file stops start-up, naming the
// variable and the path; so does an https service URL without a key pair.
func TestSSLConfigErrors(t *testing.T) {
	pki := newTestPKI(t)
	key, cert := pki.pair("svc")
	_, otherCert := pki.pair("other")
	unreadable := filepath.Join(t.TempDir(), "secret.key")
	require.NoError(t, os.WriteFile(unreadable, []byte("x"), 0o000))
	notPEM := filepath.Join(t.TempDir(), "ca.txt")
	require.NoError(t, os.WriteFile(notPEM, []byte("not a certificate"), 0o600))
	missing := filepath.Join(t.TempDir(), "missing.crt")

	base := map[string]string{"JUPYTERHUB_API_TOKEN": "t", "JUPYTERHUB_SERVICE_NAME": "x"}
	for _, tc := range []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"missing files", map[string]string{
			"JUPYTERHUB_SSL_KEYFILE": key, "JUPYTERHUB_SSL_CERTFILE": missing, "JUPYTERHUB_SSL_CLIENT_CA": missing,
		}, []string{
			"JUPYTERHUB_SSL_CERTFILE: cannot read " + missing + ": no such file or directory",
			"JUPYTERHUB_SSL_CLIENT_CA: cannot read " + missing + ": no such file or directory",
		}},
		{"not a CA bundle", map[string]string{"JUPYTERHUB_SSL_CLIENT_CA": notPEM},
			[]string{"JUPYTERHUB_SSL_CLIENT_CA: " + notPEM + " holds no PEM certificate"}},
		{"key without certificate", map[string]string{"JUPYTERHUB_SSL_KEYFILE": key},
			[]string{"JUPYTERHUB_SSL_CERTFILE: not set, but JUPYTERHUB_SSL_KEYFILE is"}},
		{"mismatched pair", map[string]string{"JUPYTERHUB_SSL_KEYFILE": key, "JUPYTERHUB_SSL_CERTFILE": otherCert},
			[]string{"JUPYTERHUB_SSL_KEYFILE: " + key + " and JUPYTERHUB_SSL_CERTFILE " + otherCert + " are not a usable key pair"}},
		{"https without a pair", map[string]string{"JUPYTERHUB_SERVICE_URL": "https://127.0.0.1:10101"},
			[]string{"JUPYTERHUB_SERVICE_URL: is https (https://127.0.0.1:10101), which needs JUPYTERHUB_SSL_KEYFILE and JUPYTERHUB_SSL_CERTFILE"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range base {
				env[k] = v
			}
			for k, v := range tc.env {
				env[k] = v
			}
			_, err := fromLookup(lookupFrom(env))
			require.Error(t, err)
			var ce *ConfigError
			require.ErrorAs(t, err, &ce)
			require.Len(t, ce.Problems, len(tc.want), "%v", err)
			for _, w := range tc.want {
				require.Contains(t, err.Error(), w)
			}
		})
	}

	if os.Geteuid() != 0 { // root reads anything
		t.Run("unreadable key", func(t *testing.T) {
			_, err := fromLookup(lookupFrom(map[string]string{"JUPYTERHUB_API_TOKEN": "t", "JUPYTERHUB_SERVICE_NAME": "x",
				"JUPYTERHUB_SSL_KEYFILE": unreadable, "JUPYTERHUB_SSL_CERTFILE": cert}))
			require.ErrorContains(t, err, "JUPYTERHUB_SSL_KEYFILE: cannot read "+unreadable+": permission denied")
		})
	}

	cfg, err := fromLookup(lookupFrom(map[string]string{"JUPYTERHUB_API_TOKEN": "t", "JUPYTERHUB_SERVICE_NAME": "x",
		"JUPYTERHUB_SERVICE_URL": "https://127.0.0.1:10101",
		"JUPYTERHUB_SSL_KEYFILE": key, "JUPYTERHUB_SSL_CERTFILE": cert, "JUPYTERHUB_SSL_CLIENT_CA": pki.CA}))
	require.NoError(t, err)
	require.Equal(t, key, cfg.SSLKeyFile)
	require.Equal(t, cert, cfg.SSLCertFile)
	require.Equal(t, pki.CA, cfg.SSLClientCA)
	addr, err := cfg.listenAddr()
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:10101", addr)
}

// Under internal SSL the hub asks for a client certificate signed by its
// CA, and its own certificate is signed by that CA: the hub client presents
// the pair and trusts the bundle.
func TestHubClientInternalSSL(t *testing.T) {
	pki := newTestPKI(t)
	hub := newFakeHub(t)
	hub.addUser(adaToken, adaModel)
	hub.Close()
	tlsHub := httptest.NewUnstartedServer(http.HandlerFunc(hub.serve))
	tlsHub.TLS = &tls.Config{
		Certificates: []tls.Certificate{pki.tlsPair("hub")},
		ClientCAs:    pki.pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
	}
	tlsHub.StartTLS()
	t.Cleanup(tlsHub.Close)

	cfg := testConfig(tlsHub.URL + "/hub/api")
	cfg.SSLKeyFile, cfg.SSLCertFile = pki.pair("svc")
	cfg.SSLClientCA = pki.CA
	c, err := newHubClient(cfg)
	require.NoError(t, err)
	u, err := c.userForToken(context.Background(), adaToken)
	require.NoError(t, err)
	require.Equal(t, "ada", u.Name)

	// Without the pair the hub refuses the handshake; without the CA the
	// hub's certificate is unknown. Either is a 503 naming the API URL.
	for name, mod := range map[string]func(*Config){
		"no key pair": func(c *Config) { c.SSLKeyFile, c.SSLCertFile = "", "" },
		"no CA":       func(c *Config) { c.SSLClientCA = "" },
	} {
		t.Run(name, func(t *testing.T) {
			cfg := cfg
			mod(&cfg)
			c, err := newHubClient(cfg)
			require.NoError(t, err)
			_, err = c.userForToken(context.Background(), adaToken)
			var he *HubError
			require.ErrorAs(t, err, &he)
			require.Equal(t, http.StatusServiceUnavailable, he.HTTPStatus())
			require.Contains(t, he.Message, "cannot reach JupyterHub API at "+cfg.APIURL)
		})
	}
}
