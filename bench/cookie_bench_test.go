//go:build bench

package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hubauth-go/whoami/internal/hubtest"
)

// navigation is the header a browser sends when it loads a page. Without
// it, JupyterHub's Python HubOAuth logs a warning for every cookie request
// (it cannot tell a page load from a cross-site fetch), which would
// measure its logging; with it, both services see what browsers send.
const navigation = "Sec-Fetch-Mode: navigate"

// Names in the cookie-path table.
const (
	goOAuthName   = "whoami-oauth (Go)"
	pyOAuthName   = "Python reference (HubOAuthenticated)"
	ceilOAuthName = "ceiling (bare net/http)"
)

// cookieBench measures the browser path: whoami-oauth and the Python
// reference, each with the login cookie a browser got from it through the
// real hub's OAuth login, and the bare net/http ceiling answering the same
// bytes, at each of concurrencies. Each cell is the median of rounds runs
// of round, after a 2 s warm-up. It starts its own hub, with the two
// services registered as OAuth clients whose callbacks are their own
// addresses (they are run by the test, not the hub).
func cookieBench(t *testing.T, ceilingBin string, round time.Duration, rounds int) []cell {
	t.Helper()
	root := hubtest.RepoRoot()
	oauthBin := hubtest.Binary(t, "whoami-oauth")
	python := filepath.Join(root, ".venv", "bin", "python")
	pyRef := filepath.Join(root, "bench", "pyref", "whoami_oauth_ref.py")

	goPort, pyPort := hubtest.FreePort(t), hubtest.FreePort(t)
	goBase := fmt.Sprintf("http://127.0.0.1:%d", goPort)
	pyBase := fmt.Sprintf("http://127.0.0.1:%d", pyPort)
	goToken, pyToken := hubtest.RandomToken(), hubtest.RandomToken()
	goCallback := goBase + "/services/whoami-oauth-go/oauth_callback"
	pyCallback := pyBase + "/services/whoami-oauth-py/oauth_callback"
	hub := hubtest.Start(t, hubtest.Options{
		Services: []hubtest.Service{
			{Name: "whoami-oauth-go", APIToken: goToken, OAuthClientID: "service-whoami-oauth-go", OAuthRedirectURI: goCallback},
			{Name: "whoami-oauth-py", APIToken: pyToken, OAuthClientID: "service-whoami-oauth-py", OAuthRedirectURI: pyCallback},
		},
		Roles: []hubtest.Role{{Name: "bench-browsers", Users: []string{"ada"},
			Scopes: []string{"access:services!service=whoami-oauth-go", "access:services!service=whoami-oauth-py"}}},
	})
	env := func(name, token, base, callback string) []string {
		return []string{
			"JUPYTERHUB_API_TOKEN=" + token,
			"JUPYTERHUB_API_URL=" + hub.APIURL,
			"JUPYTERHUB_CLIENT_ID=service-" + name,
			"JUPYTERHUB_SERVICE_NAME=" + name,
			"JUPYTERHUB_SERVICE_URL=" + base,
			"JUPYTERHUB_SERVICE_PREFIX=/services/" + name + "/",
			"JUPYTERHUB_OAUTH_CALLBACK_URL=" + callback,
			"JUPYTERHUB_HOST=" + hub.URL,
			`JUPYTERHUB_OAUTH_ACCESS_SCOPES=["access:services!service=` + name + `"]`,
		}
	}
	goProc := hubtest.StartProcess(t, oauthBin, env("whoami-oauth-go", goToken, goBase, goCallback), fmt.Sprintf("127.0.0.1:%d", goPort))
	pyProc := hubtest.StartProcess(t, python, env("whoami-oauth-py", pyToken, pyBase, pyCallback), fmt.Sprintf("127.0.0.1:%d", pyPort), pyRef)

	// A browser logs in to each through the hub; wrk then sends what that
	// browser sends on a page load: every cookie it holds for the page (the
	// login cookie, and the _xsrf cookie the service offered with it, which
	// a browser keeps and so is not offered again on each request).
	login := func(svcURL, cookieName string) (cookie, body string) {
		b := NewBrowser("ada", 1, 30*time.Second)
		h, err := b.Visit(svcURL, nil)
		require.NoError(t, err, b.HopSummary())
		require.Equal(t, 200, h.Status, "%s: %s", b.HopSummary(), h.Body)
		require.Equal(t, "ada", modelName(h.Body))
		v := b.Cookie(svcURL, cookieName)
		require.NotEmpty(t, v, "no %s cookie after the login", cookieName)
		cookie = b.CookieHeader(svcURL)
		// These cookies alone, as wrk sends them, are a login.
		status, got := getWithHeader(t, svcURL, "Cookie", cookie)
		require.Equal(t, 200, status, got)
		require.Equal(t, "ada", modelName(got))
		return cookie, got
	}
	goURL := goBase + "/services/whoami-oauth-go/"
	pyURL := pyBase + "/services/whoami-oauth-py/"
	goCookie, goBody := login(goURL, "service-whoami-oauth-go")
	pyCookie, pyBody := login(pyURL, "service-whoami-oauth-py")
	require.Equal(t, jsonKeys(t, goBody), jsonKeys(t, pyBody), "both answer the model (each its own token's scopes and ids)")

	bodyFile := filepath.Join(t.TempDir(), "model.json")
	require.NoError(t, os.WriteFile(bodyFile, []byte(goBody), 0o600))
	ceilAddr := fmt.Sprintf("127.0.0.1:%d", hubtest.FreePort(t))
	ceilProc := hubtest.StartProcess(t, ceilingBin, nil, ceilAddr, "-addr", ceilAddr, "-body", bodyFile)

	targets := []struct {
		name, url, cookie string
		proc              *hubtest.Process
	}{
		{ceilOAuthName, "http://" + ceilAddr + "/", goCookie, ceilProc},
		{goOAuthName, goURL, goCookie, goProc},
		{pyOAuthName, pyURL, pyCookie, pyProc},
	}
	var cells []cell
	for _, tg := range targets {
		for _, conc := range concurrencies {
			med := measureCell(t, tg.name, tg.proc.Pid(), conc, rounds, round, func(d time.Duration) (Result, error) {
				return wrkHeader(tg.url, conc, d, navigation, "Cookie: "+tg.cookie)
			})
			t.Logf("cookie path: %s c=%d: %.0f req/s p50 %s p99 %s", tg.name, conc, med.res.RPS(), med.res.P50, med.res.P99)
			cells = append(cells, med)
		}
	}
	// Still logged in after all that: the cookie was valid throughout.
	for _, tg := range targets[1:] {
		status, got := getWithHeader(t, tg.url, "Cookie", tg.cookie)
		require.Equal(t, 200, status, got)
	}
	return cells
}

// jsonKeys lists the keys of a JSON object.
func jsonKeys(t *testing.T, body string) []string {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &m), body)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// wrkHeader runs wrk like Wrk, with header lines such as
// "Cookie: name=value".
func wrkHeader(url string, conc int, d time.Duration, headers ...string) (Result, error) {
	args := []string{"-t", strconv.Itoa(min(conc, 2)), "-c", strconv.Itoa(conc), "-d", fmt.Sprintf("%ds", int(d.Seconds())),
		"--latency", "--timeout", "10s"}
	for _, h := range headers {
		args = append(args, "-H", h)
	}
	args = append(args, url)
	out, err := exec.Command("wrk", args...).CombinedOutput()
	if err != nil {
		return Result{}, fmt.Errorf("wrk: %v\n%s", err, out)
	}
	return parseWrk(string(out), d)
}

// getWithHeader sends one GET with one header and no cookie jar.
func getWithHeader(t *testing.T, u, key, value string) (int, string) {
	t.Helper()
	c := &http.Client{Transport: LoopbackTransport(1), Timeout: 10 * time.Second}
	defer c.CloseIdleConnections()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	require.NoError(t, err)
	req.Header.Set(key, value)
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(raw)
}

// renderCookieTable writes the cookie-path table and its targets.
func renderCookieTable(p func(string, ...any), cells []cell, round time.Duration, rounds int) {
	byKey := map[string]cell{}
	for _, c := range cells {
		byKey[fmt.Sprintf("%s/%d", c.svc, c.conc)] = c
	}
	p("\n## Cookie path (browsers)\n\n")
	p("wrk with `Cookie: …` and `Sec-Fetch-Mode: navigate`, as a browser loading the page sends them: every cookie a\n")
	p("browser holds for the page after logging in to each service through the real hub's OAuth login (the login cookie,\n")
	p("which the Go service and the Python reference each seal their own way, and the `_xsrf` cookie each offered with\n")
	p("it; the ceiling ignores them). 2 s warm-up, then the median of %d rounds of %s.\n\n", rounds, round)
	p("| service | connections | requests/s | p50 | p99 | CPU s / 10k requests | peak RSS | vs ceiling | vs Python |\n")
	p("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, c := range cells {
		ceil := byKey[fmt.Sprintf("%s/%d", ceilOAuthName, c.conc)].res.RPS()
		pyr := byKey[fmt.Sprintf("%s/%d", pyOAuthName, c.conc)].res.RPS()
		p("| %s | %d | %.0f | %s | %s | %.2f | %s | %.2f | %.1f× |\n", c.svc, c.conc, c.res.RPS(), ms(c.res.P50), ms(c.res.P99),
			c.cpu10k, mb(c.peak), c.res.RPS()/ceil, c.res.RPS()/pyr)
	}
	g := byKey[goOAuthName+"/32"].res.RPS()
	c := byKey[ceilOAuthName+"/32"].res.RPS()
	py := byKey[pyOAuthName+"/32"].res.RPS()
	p("\n| target | measured | |\n| --- | --- | --- |\n")
	p("| cookie path ≥ 0.8 of the ceiling's requests/s at 32 connections | %.2f | %s |\n", g/c, verdict(g/c >= 0.8))
	p("| cookie path ≥ 20 times the Python reference at 32 connections | %.1f× | %s |\n", g/py, verdict(g/py >= 20))
}

// TestBenchCookie runs only the cookie path and prints its table, for
// checking it quickly: BENCH_ROUND (a Go duration, default 2s) and
// BENCH_ROUNDS (default 1). `make bench` runs it as part of TestBench.
func TestBenchCookie(t *testing.T) {
	if _, err := exec.LookPath("wrk"); err != nil {
		t.Fatal("wrk not found: `make bench` installs Debian's wrk")
	}
	if raceEnabled {
		t.Fatal("run without -race: the race detector would be measured too")
	}
	round, rounds := 2*time.Second, 1
	if v := os.Getenv("BENCH_ROUND"); v != "" {
		d, err := time.ParseDuration(v)
		require.NoError(t, err, "BENCH_ROUND: want a Go duration such as 2s")
		round = d
	}
	if v := os.Getenv("BENCH_ROUNDS"); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(t, err, "BENCH_ROUNDS: want a whole number")
		rounds = n
	}
	cells := cookieBench(t, buildCeiling(t), round, rounds)
	var b strings.Builder
	renderCookieTable(func(f string, a ...any) { fmt.Fprintf(&b, f, a...) }, cells, round, rounds)
	fmt.Println(b.String())
}
