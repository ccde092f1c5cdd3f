package integration

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/hubauth-go/whoami/internal/hubtest"
)

// oidcReplicas runs a hub that knows the service "oidc" at one address,
// and returns what starts a replica of it: the test runs them itself, as
// an external service, so it can run two and restart one.
type oidcReplicas struct {
	hub    *hubtest.Hub
	issuer string
	env    map[string]string // every replica's, but HUBAUTH_LISTEN
	bin    string
	addr   string // where the hub sends requests
}

func startOIDCReplicas(t *testing.T, clients ...oidcClient) *oidcReplicas {
	t.Helper()
	port, token := hubtest.FreePort(t), hubtest.RandomToken()
	hub := hubtest.Start(t, hubtest.Options{
		Services: []hubtest.Service{{
			Name: "oidc", URL: fmt.Sprintf("http://127.0.0.1:%d", port), APIToken: token,
			OAuthClientID: "service-oidc", OAuthRedirectURI: "/services/oidc/oauth_callback",
		}},
		Roles: []hubtest.Role{{Name: "user", Scopes: []string{"self", "access:services!service=oidc"}}},
	})
	rs := &oidcReplicas{hub: hub, issuer: hub.URL + "/services/oidc", bin: hubtest.Binary(t, "hubauth-oidc"),
		addr: fmt.Sprintf("127.0.0.1:%d", port)}
	rs.env = map[string]string{
		"JUPYTERHUB_API_TOKEN":          token,
		"JUPYTERHUB_API_URL":            hub.APIURL,
		"JUPYTERHUB_SERVICE_NAME":       "oidc",
		"JUPYTERHUB_SERVICE_URL":        "http://" + rs.addr,
		"JUPYTERHUB_SERVICE_PREFIX":     "/services/oidc/",
		"JUPYTERHUB_OAUTH_CALLBACK_URL": "/services/oidc/oauth_callback",
		"HUBAUTH_OIDC_CLIENTS":          writeClients(t, clients...),
		"HUBAUTH_OIDC_ISSUER":           rs.issuer,
		"HUBAUTH_CACHE_MAX_AGE":         "1",
	}
	return rs
}

// start runs a replica listening at listen ("" for the service URL's
// address), with its operations listener at metrics.
func (rs *oidcReplicas) start(t *testing.T, listen, metrics string) *hubtest.Process {
	t.Helper()
	env := map[string]string{"HUBAUTH_METRICS_LISTEN": metrics}
	for k, v := range rs.env {
		env[k] = v
	}
	wait := rs.addr
	if listen != "" {
		env["HUBAUTH_LISTEN"], wait = listen, listen
	}
	return hubtest.StartProcess(t, rs.bin, envList(env), wait)
}

// metricsOf reads a replica's /metrics.
func metricsOf(t *testing.T, addr string) string {
	t.Helper()
	r := get(t, "http://"+addr+"/metrics", "")
	require.Equal(t, 200, r.status)
	return r.body
}

// Two replicas that differ only in HUBAUTH_LISTEN, and a restart in the
// middle of a login: nothing a login needs is kept in a process. On every
// hub release.
func TestOIDCReplicasAndRestart(t *testing.T) {
	rp := newRelyingParty(t, "go-app", "go-app-secret-0123456789", oauth2.AuthStyleInHeader)
	rs := startOIDCReplicas(t, rp.client())
	rp.issuer = rs.issuer
	rs.hub.CreateUser(t, "ada")
	metricsA, metricsB := fmt.Sprintf("127.0.0.1:%d", hubtest.FreePort(t)), fmt.Sprintf("127.0.0.1:%d", hubtest.FreePort(t))
	a := rs.start(t, "", metricsA)
	listenB := fmt.Sprintf("127.0.0.1:%d", hubtest.FreePort(t))
	b := rs.start(t, listenB, metricsB)
	onB := func(u string) string {
		return strings.Replace(u, rs.hub.URL+"/services/oidc/", "http://"+listenB+"/services/oidc/", 1)
	}

	outer := t // what a subtest restarts outlives it
	var ada rpResult
	t.Run("the login starts at one replica and comes back to the other", func(t *testing.T) {
		browser := newBrowser(t, "ada")
		browser.before = func(u string) string {
			if strings.Contains(u, "/services/oidc/oauth_callback") {
				return onB(u)
			}
			return u
		}
		ada = requireLoggedIn(t, rp, browser.visit(rp.URL+"/login"), "ada")
		require.Contains(t, b.Output(), `msg="code issued" service=oidc client=go-app`)
		require.NotContains(t, a.Output(), `msg="code issued"`)
		require.Contains(t, a.Output(), `msg="tokens issued" service=oidc client=go-app name=ada`)
	})

	t.Run("a code exchanged at one replica is refused at the other", func(t *testing.T) {
		status, body, _ := tokenRequest(t, onB(rs.issuer+"/")+"token", "go-app", "go-app-secret-0123456789", url.Values{
			"grant_type": {"authorization_code"}, "code": {ada.Code}, "redirect_uri": {rp.URL + "/callback"},
			"code_verifier": {ada.Verifier},
		})
		require.Equal(t, http.StatusBadRequest, status, body)
		require.Equal(t, "invalid_grant", body["error"])
		require.Contains(t, body["error_description"], "used already")
		require.Contains(t, metricsOf(t, metricsB), `hubauth_oidc_refused_total{endpoint="token",error="invalid_grant"} 1`)
	})

	t.Run("userinfo at either replica", func(t *testing.T) {
		for _, endpoint := range []string{rs.issuer + "/userinfo", onB(rs.issuer+"/") + "userinfo"} {
			status, _ := userinfoStatus(t, endpoint, ada.AccessToken)
			require.Equal(t, http.StatusOK, status, endpoint)
		}
	})

	t.Run("a restart before the hub's callback, and another before the code's exchange", func(t *testing.T) {
		browser := newBrowser(t, "ada")
		restarts := 0
		browser.before = func(u string) string {
			if strings.Contains(u, "/services/oidc/oauth_callback") || strings.HasPrefix(u, rp.URL+"/callback") {
				require.NoError(t, a.Stop())
				a = rs.start(outer, "", metricsA)
				restarts++
			}
			return u
		}
		requireLoggedIn(t, rp, browser.visit(rp.URL+"/login"), "ada")
		require.Equal(t, 2, restarts)
		require.Contains(t, metricsOf(t, metricsA), `hubauth_oidc_codes_exchanged_total{client="go-app"} 1`)
	})

	t.Run("the hub down: a 5xx naming it, and back when the hub is", func(t *testing.T) {
		rs.hub.Stop(t)
		require.Eventually(t, func() bool {
			r := get(t, "http://"+rs.addr+"/services/oidc/userinfo", "Bearer "+ada.AccessToken)
			return r.status == http.StatusServiceUnavailable && strings.Contains(r.body, rs.hub.APIURL) &&
				strings.Contains(r.body, `"error":"temporarily_unavailable"`)
		}, 30*time.Second, 200*time.Millisecond, "once the cached answer is older than HUBAUTH_CACHE_MAX_AGE")
		status, body, _ := tokenRequest(t, "http://"+rs.addr+"/services/oidc/token", "go-app", "go-app-secret-0123456789", url.Values{
			"grant_type": {"authorization_code"}, "code": {ada.Code}, "redirect_uri": {rp.URL + "/callback"}, "code_verifier": {ada.Verifier},
		})
		require.Equal(t, http.StatusServiceUnavailable, status, body)
		require.Contains(t, body["error_description"], rs.hub.APIURL)
		rs.hub.Restart(outer) // the hub outlives the subtest
		require.Eventually(t, func() bool {
			status, _ := userinfoStatus(t, "http://"+rs.addr+"/services/oidc/userinfo", ada.AccessToken)
			return status == http.StatusOK
		}, 60*time.Second, 200*time.Millisecond, "the provider recovers with the hub")
		requireLoggedIn(t, rp, newBrowser(t, "ada").visit(rp.URL+"/login"), "ada")
	})

	t.Run("no secret, code or token in the logs", func(t *testing.T) {
		logs := a.Output() + b.Output()
		for name, secret := range map[string]string{"the code": ada.Code, "the access token": ada.AccessToken,
			"the id_token": ada.IDToken, "the client secret": "go-app-secret-0123456789", "the API token": rs.env["JUPYTERHUB_API_TOKEN"]} {
			require.NotEmpty(t, secret)
			require.NotContains(t, logs, secret, name)
		}
		for _, line := range strings.Split(logs, "\n") {
			require.NotContains(t, line, "code=", "no request query in the logs: %s", line)
		}
	})

	t.Run("the provider's readiness is the hub's", func(t *testing.T) {
		// Checked at most every few seconds: the hub was down a moment ago.
		status, last := 0, ""
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline) && status != 200; time.Sleep(200 * time.Millisecond) {
			resp, err := http.Get("http://" + metricsB + "/readyz")
			if err != nil {
				last = err.Error()
				continue
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			status, last = resp.StatusCode, string(body)
		}
		require.Equal(t, 200, status, last)
	})
}
