package integration

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hubauth-go/whoami/internal/hubtest"
)

// svcSpec is one whoami-oauth process a test runs beside the hub, as a
// service the hub routes to (/services/NAME/) and knows as an OAuth
// client, with the environment the test chooses.
type svcSpec struct {
	name string
	env  map[string]string
	// api, when set, gives the hub API URL the service is to call
	// (JUPYTERHUB_API_URL), such as a fault proxy's in front of the hub;
	// nil: the hub's own.
	api func(hub *hubtest.Hub) string
}

// runningSvc is one of them, started.
type runningSvc struct {
	url    string // through the proxy, e.g. http://127.0.0.1:PORT/services/NAME/
	direct string // the process itself, e.g. http://127.0.0.1:PORT
	proc   *hubtest.Process
}

// startServices runs a hub that knows every spec'd service, then the
// services themselves. Every hub user may use every service.
func startServices(t *testing.T, specs []svcSpec, extraConfig string) (*hubtest.Hub, map[string]runningSvc) {
	t.Helper()
	bin := hubtest.Binary(t, "whoami-oauth")
	type planned struct {
		spec  svcSpec
		port  int
		token string
	}
	var plans []planned
	var services []hubtest.Service
	for _, s := range specs {
		p := planned{spec: s, port: hubtest.FreePort(t), token: hubtest.RandomToken()}
		plans = append(plans, p)
		services = append(services, hubtest.Service{
			Name:             s.name,
			URL:              fmt.Sprintf("http://127.0.0.1:%d", p.port),
			APIToken:         p.token,
			OAuthClientID:    "service-" + s.name,
			OAuthRedirectURI: "/services/" + s.name + "/oauth_callback",
			OAuthNoConfirm:   true,
		})
	}
	hub := hubtest.Start(t, hubtest.Options{
		Services:    services,
		Roles:       []hubtest.Role{{Name: "user", Scopes: []string{"self", "access:services"}}},
		ExtraConfig: extraConfig,
	})
	out := map[string]runningSvc{}
	for _, p := range plans {
		apiURL := hub.APIURL
		if p.spec.api != nil {
			apiURL = p.spec.api(hub)
		}
		env := map[string]string{
			"JUPYTERHUB_API_TOKEN":          p.token,
			"JUPYTERHUB_API_URL":            apiURL,
			"JUPYTERHUB_SERVICE_NAME":       p.spec.name,
			"JUPYTERHUB_CLIENT_ID":          "service-" + p.spec.name,
			"JUPYTERHUB_SERVICE_URL":        fmt.Sprintf("http://127.0.0.1:%d", p.port),
			"JUPYTERHUB_SERVICE_PREFIX":     "/services/" + p.spec.name + "/",
			"JUPYTERHUB_OAUTH_CALLBACK_URL": "/services/" + p.spec.name + "/oauth_callback",
		}
		for k, v := range p.spec.env {
			env[k] = v
		}
		proc := hubtest.StartProcess(t, bin, envList(env), fmt.Sprintf("127.0.0.1:%d", p.port))
		out[p.spec.name] = runningSvc{
			url:    hub.URL + "/services/" + p.spec.name + "/",
			direct: fmt.Sprintf("http://127.0.0.1:%d", p.port),
			proc:   proc,
		}
	}
	return hub, out
}

func envList(m map[string]string) []string { return env(m) }

// asHTTPS is a cookie jar that treats every URL as https, so a test over
// plain http can hold the Secure (and __Host-) cookies a deployment behind
// TLS would.
type asHTTPS struct{ http.CookieJar }

func httpsURL(u *url.URL) *url.URL {
	v := *u
	v.Scheme = "https"
	return &v
}

func (j asHTTPS) SetCookies(u *url.URL, cs []*http.Cookie) { j.CookieJar.SetCookies(httpsURL(u), cs) }

func (j asHTTPS) Cookies(u *url.URL) []*http.Cookie { return j.CookieJar.Cookies(httpsURL(u)) }

// cookieHeader is the Cookie header the browser would send to rawURL.
func (b *browser) cookieHeader(rawURL string) string {
	u, err := url.Parse(rawURL)
	require.NoError(b.t, err)
	var parts []string
	for _, c := range b.client.Jar.Cookies(u) {
		parts = append(parts, c.Name+"="+c.Value)
	}
	return strings.Join(parts, "; ")
}

// websocketStatus opens a websocket to rawURL the way a browser does (a
// real RFC 6455 handshake, with the browser's cookies and extra headers)
// and returns the status of the answer: 101 if the service took the
// upgrade, or whatever it answered instead.
func websocketStatus(t *testing.T, rawURL string, headers ...string) int {
	t.Helper()
	u, err := url.Parse(rawURL)
	require.NoError(t, err)
	conn, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(30*time.Second)))
	req := "GET " + u.RequestURI() + " HTTP/1.1\r\nHost: " + u.Host + "\r\n" +
		"Upgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
		"Sec-Fetch-Mode: websocket\r\nSec-Fetch-Site: same-origin\r\nOrigin: " + u.Scheme + "://" + u.Host + "\r\n"
	for _, h := range headers {
		req += h + "\r\n"
	}
	_, err = conn.Write([]byte(req + "\r\n"))
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}
