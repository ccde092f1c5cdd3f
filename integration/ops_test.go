package integration

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hubauth-go/whoami/internal/hubtest"
)

// scrape reads a Prometheus text exposition into series -> value, where a
// series is written as in the text: name{label="value",...}.
func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	r := get(t, url, "")
	require.Equal(t, 200, r.status, r.body)
	require.Contains(t, r.header.Get("Content-Type"), "text/plain")
	out := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(r.body))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		require.Positive(t, i, "metric line %q", line)
		v, err := strconv.ParseFloat(line[i+1:], 64)
		require.NoError(t, err, "metric line %q", line)
		out[line[:i]] = v
	}
	return out
}

// moved is how much each series changed between two scrapes.
func moved(before, after map[string]float64, series ...string) map[string]float64 {
	out := map[string]float64{}
	for _, s := range series {
		out[s] = after[s] - before[s]
	}
	return out
}

// waitStatus polls url until it answers want, or fails after limit.
func waitStatus(t *testing.T, url string, want int, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	var last response
	for time.Since(start) < limit {
		last = get(t, url, "")
		if last.status == want {
			return time.Since(start)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s: want %d within %s, last answer %d %s", url, want, limit, last.status, last.body)
	return 0
}

// whoami-api and whoami-oauth, run beside a real hub with their
// operations listeners on (one through HUBAUTH_METRICS_LISTEN, one through
// -metrics-listen): traffic through the hub's proxy moves their counters
// as it should, /readyz follows the hub down and up, and /healthz stays
// 200 throughout.
func TestOpsListener(t *testing.T) {
	apiBin := hubtest.Binary(t, "whoami-api")
	oauthBin := hubtest.Binary(t, "whoami-oauth")
	apiPort, oauthPort := hubtest.FreePort(t), hubtest.FreePort(t)
	apiOps := fmt.Sprintf("127.0.0.1:%d", hubtest.FreePort(t))
	oauthOps := fmt.Sprintf("127.0.0.1:%d", hubtest.FreePort(t))
	apiURL := fmt.Sprintf("http://127.0.0.1:%d", apiPort)
	oauthURL := fmt.Sprintf("http://127.0.0.1:%d", oauthPort)
	apiToken, oauthToken := hubtest.RandomToken(), hubtest.RandomToken()
	hub := hubtest.Start(t, hubtest.Options{
		Services: []hubtest.Service{
			{Name: "whoami-api", URL: apiURL, APIToken: apiToken},
			{Name: "whoami-oauth", URL: oauthURL, APIToken: oauthToken,
				OAuthClientID: "service-whoami-oauth", OAuthRedirectURI: "/services/whoami-oauth/oauth_callback", OAuthNoConfirm: true},
		},
		Roles: []hubtest.Role{{Name: "whoami-users", Groups: []string{"whoami"},
			Scopes: []string{"access:services!service=whoami-api", "access:services!service=whoami-oauth"}}},
		Groups: []string{"whoami"},
	})
	common := func(name, token, serviceURL string) map[string]string {
		return map[string]string{
			"JUPYTERHUB_API_TOKEN":      token,
			"JUPYTERHUB_API_URL":        hub.APIURL,
			"JUPYTERHUB_SERVICE_NAME":   name,
			"JUPYTERHUB_SERVICE_URL":    serviceURL,
			"JUPYTERHUB_SERVICE_PREFIX": "/services/" + name + "/",
			"HUBAUTH_HUB_TIMEOUT":       "2s",
		}
	}
	apiEnv := common("whoami-api", apiToken, apiURL)
	apiEnv["HUBAUTH_METRICS_LISTEN"] = apiOps
	api := hubtest.StartProcess(t, apiBin, env(apiEnv), fmt.Sprintf("127.0.0.1:%d", apiPort))
	oauthEnv := common("whoami-oauth", oauthToken, oauthURL)
	oauthEnv["JUPYTERHUB_CLIENT_ID"] = "service-whoami-oauth"
	oauthEnv["HUBAUTH_METRICS_LISTEN"] = "127.0.0.1:1" // the flag wins
	oauth := hubtest.StartProcess(t, oauthBin, env(oauthEnv), fmt.Sprintf("127.0.0.1:%d", oauthPort), "-metrics-listen", oauthOps)

	hub.CreateUser(t, "ada")
	hub.AddToGroup(t, "whoami", "ada")
	hub.CreateUser(t, "bob") // no access
	adaToken := hub.NewToken(t, "ada", nil)
	bobToken := hub.NewToken(t, "bob", nil)

	t.Run("probes answer while the hub is up", func(t *testing.T) {
		for _, ops := range []string{apiOps, oauthOps} {
			for _, path := range []string{"/healthz", "/readyz"} {
				r := get(t, "http://"+ops+path, "")
				require.Equal(t, 200, r.status, "%s%s: %s", ops, path, r.body)
				require.Equal(t, "ok\n", r.body)
			}
		}
	})

	t.Run("whoami-api counts requests, hub calls and cache hits", func(t *testing.T) {
		before := scrape(t, "http://"+apiOps+"/metrics")
		svc := hub.URL + "/services/whoami-api/"
		for range 3 {
			r := get(t, svc, "token "+adaToken)
			require.Equal(t, 200, r.status, r.body)
		}
		require.Equal(t, 403, get(t, svc, "").status)
		require.Equal(t, 403, get(t, svc, "token "+bobToken).status)
		require.Equal(t, 403, get(t, svc, "token "+hubtest.RandomToken()).status)
		after := scrape(t, "http://"+apiOps+"/metrics")

		require.Equal(t, map[string]float64{
			`hubauth_requests_total{outcome="admitted"}`:                                         3,
			`hubauth_requests_total{outcome="no_token"}`:                                         1,
			`hubauth_requests_total{outcome="forbidden"}`:                                        1,
			`hubauth_requests_total{outcome="refused"}`:                                          1,
			`hubauth_requests_total{outcome="hub_error"}`:                                        0,
			`hubauth_hub_request_duration_seconds_count{method="GET",path="/user",result="200"}`: 2, // ada once, bob once
			`hubauth_hub_request_duration_seconds_count{method="GET",path="/user",result="403"}`: 1, // the unknown token
			`hubauth_cache_hits_total`:                                                           2,
			`hubauth_cache_misses_total`:                                                         3,
			`hubauth_cache_evictions_total`:                                                      0,
		}, moved(before, after,
			`hubauth_requests_total{outcome="admitted"}`,
			`hubauth_requests_total{outcome="no_token"}`,
			`hubauth_requests_total{outcome="forbidden"}`,
			`hubauth_requests_total{outcome="refused"}`,
			`hubauth_requests_total{outcome="hub_error"}`,
			`hubauth_hub_request_duration_seconds_count{method="GET",path="/user",result="200"}`,
			`hubauth_hub_request_duration_seconds_count{method="GET",path="/user",result="403"}`,
			`hubauth_cache_hits_total`,
			`hubauth_cache_misses_total`,
			`hubauth_cache_evictions_total`,
		))
		require.Contains(t, after, "go_goroutines", "the process's own metrics too")
		require.Contains(t, after, `hubauth_hub_request_duration_seconds_count{method="GET",path="/",result="200"}`, "readiness checks are hub calls")
	})

	t.Run("whoami-oauth counts a browser login", func(t *testing.T) {
		before := scrape(t, "http://"+oauthOps+"/metrics")
		b := newBrowser(t, "ada")
		requireModel(t, b.visit(hub.URL+"/services/whoami-oauth/"), "ada")
		requireModel(t, b.get(hub.URL+"/services/whoami-oauth/"), "ada")
		after := scrape(t, "http://"+oauthOps+"/metrics")

		require.Equal(t, map[string]float64{
			"hubauth_oauth_logins_started_total":                                                          1,
			"hubauth_oauth_logins_finished_total":                                                         1,
			"hubauth_oauth_logins_failed_total":                                                           0,
			`hubauth_requests_total{outcome="no_token"}`:                                                  1, // sent to log in
			`hubauth_requests_total{outcome="admitted"}`:                                                  2, // back from the login, then again
			`hubauth_hub_request_duration_seconds_count{method="POST",path="/oauth2/token",result="200"}`: 1,
			`hubauth_hub_request_duration_seconds_count{method="GET",path="/user",result="200"}`:          1,
			"hubauth_cache_hits_total":                                                                    2,
		}, moved(before, after,
			"hubauth_oauth_logins_started_total",
			"hubauth_oauth_logins_finished_total",
			"hubauth_oauth_logins_failed_total",
			`hubauth_requests_total{outcome="no_token"}`,
			`hubauth_requests_total{outcome="admitted"}`,
			`hubauth_hub_request_duration_seconds_count{method="POST",path="/oauth2/token",result="200"}`,
			`hubauth_hub_request_duration_seconds_count{method="GET",path="/user",result="200"}`,
			"hubauth_cache_hits_total",
		))
	})

	t.Run("readyz follows the hub down and up; healthz stays 200", func(t *testing.T) {
		// /healthz is asked all along, not only between the steps.
		stop := make(chan struct{})
		healthz := make(chan []string, 1)
		go func() {
			var bad []string
			defer func() { healthz <- bad }()
			c := &http.Client{Timeout: 2 * time.Second}
			for {
				select {
				case <-stop:
					return
				case <-time.After(100 * time.Millisecond):
				}
				for _, ops := range []string{apiOps, oauthOps} {
					resp, err := c.Get("http://" + ops + "/healthz")
					if err != nil {
						bad = append(bad, err.Error())
						continue
					}
					resp.Body.Close()
					if resp.StatusCode != 200 {
						bad = append(bad, ops+": "+resp.Status)
					}
				}
			}
		}()
		defer func() {
			close(stop)
			require.Empty(t, <-healthz, "/healthz answered 200 while the hub stopped and started")
		}()

		hub.Stop(t)
		for _, ops := range []string{apiOps, oauthOps} {
			took := waitStatus(t, "http://"+ops+"/readyz", 503, 10*time.Second)
			t.Logf("%s: not ready %s after the hub stopped", ops, took.Round(time.Millisecond))
			r := get(t, "http://"+ops+"/readyz", "")
			require.Contains(t, r.body, "not ready: cannot reach JupyterHub API at "+hub.APIURL)
			require.Equal(t, 200, get(t, "http://"+ops+"/healthz", "").status)
		}
		require.True(t, api.Running() && oauth.Running(), "the services stay up while the hub is down")

		hub.Restart(t)
		for _, ops := range []string{apiOps, oauthOps} {
			waitStatus(t, "http://"+ops+"/readyz", 200, 10*time.Second)
			require.Equal(t, 200, get(t, "http://"+ops+"/healthz", "").status)
		}
		m := scrape(t, "http://"+apiOps+"/metrics")
		require.Positive(t, m[`hubauth_hub_request_duration_seconds_count{method="GET",path="/",result="unreachable"}`],
			"failed readiness checks are counted as hub calls without an answer")
	})

	require.NoError(t, api.Stop(), "SIGTERM shuts the service and its operations listener down cleanly")
	require.NoError(t, oauth.Stop())
	for _, ops := range []string{apiOps, oauthOps} {
		_, err := net.DialTimeout("tcp", ops, time.Second)
		require.Error(t, err, "the operations listener at %s is closed", ops)
	}
	require.NotContains(t, api.Output(), adaToken, "tokens never appear in logs")
	require.NotContains(t, oauth.Output(), adaToken, "tokens never appear in logs")
}

// An operations address that cannot be used stops start-up with one
// message naming the setting; nothing else starts.
func TestOpsListenerAddressInUse(t *testing.T) {
	bin := hubtest.Binary(t, "whoami-api")
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer busy.Close()
	servicePort := hubtest.FreePort(t)
	base := []string{
		"JUPYTERHUB_API_TOKEN=" + hubtest.RandomToken(),
		"JUPYTERHUB_API_URL=http://127.0.0.1:1/hub/api",
		"JUPYTERHUB_SERVICE_NAME=whoami-api",
		fmt.Sprintf("JUPYTERHUB_SERVICE_URL=http://127.0.0.1:%d", servicePort),
	}
	for _, tc := range []struct {
		env  []string
		args []string
		want string
	}{
		{[]string{"HUBAUTH_METRICS_LISTEN=" + busy.Addr().String()}, nil,
			"whoami-api: HUBAUTH_METRICS_LISTEN: cannot listen on " + busy.Addr().String() + ": bind: address already in use\n"},
		{nil, []string{"-metrics-listen", busy.Addr().String()},
			"whoami-api: -metrics-listen: cannot listen on " + busy.Addr().String() + ": bind: address already in use\n"},
		{[]string{"HUBAUTH_METRICS_LISTEN=9090"}, nil,
			"whoami-api: HUBAUTH_METRICS_LISTEN: want host:port or :port, got \"9090\"\n"},
	} {
		cmd := exec.Command(bin, tc.args...)
		cmd.Env = append(append([]string{}, base...), tc.env...)
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		require.ErrorAs(t, err, &exit, "%s", out)
		require.Equal(t, 1, exit.ExitCode())
		require.Equal(t, tc.want, string(out), "one clear message")
	}
	// Nothing was left listening on the service's port.
	_, err = net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", servicePort), time.Second)
	require.Error(t, err)
}
