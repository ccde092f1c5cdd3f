//go:build bench

package bench

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hubauth-go/whoami/internal/hubtest"
)

// Names in the OpenID Connect tables.
const (
	oidcName     = "hubauth-oidc userinfo"
	hubUserName  = "JupyterHub GET /hub/api/user"
	oidcCeilName = "ceiling (bare net/http)"
	oidcLogin    = "hubauth-oidc: authorize, hub, callback, token, userinfo"
	hubLogin     = "the hub's own OAuth: authorize, token, GET /user"
)

// oidcBench is the provider, its hub and the clients the benchmark logs
// in with.
type oidcBench struct {
	t       *testing.T
	hub     *hubtest.Hub
	issuer  string // the provider, reached directly (not through the hub's proxy)
	capture string // the clients' redirect URIs are here; the code stays in the URL
	secret  string // the benchmark client's secret at the provider
	peer    string // the hub's own OAuth client's secret (its API token)
}

// TestBenchOIDC measures hubauth-oidc against the real hub: userinfo with
// a cached access token beside the hub's own GET /hub/api/user with a
// token (the peer) and a bare net/http server answering the same claims
// (the ceiling); and full logins per second through the real hub beside
// the hub's own OAuth code flow for a plain client. It writes
// bench/OIDC_RESULTS.md.
func TestBenchOIDC(t *testing.T) {
	if raceEnabled {
		t.Fatal("run without -race: the race detector would be measured too")
	}
	ob := startOIDCBench(t)
	ceilingBin := buildCeiling(t)

	// One login gives the access token userinfo is loaded with.
	b := NewBrowser("ada", 1, 30*time.Second)
	access, err := ob.login(b)
	require.NoError(t, err, b.HopSummary())
	userinfo := ob.issuer + "/userinfo"
	status, body := getWithHeader(t, userinfo, "Authorization", "Bearer "+access)
	require.Equal(t, 200, status, body)
	require.Contains(t, body, `"sub":"ada"`)
	hubToken := ob.hub.NewToken(t, "ada", nil)
	status, hubBody := getWithHeader(t, ob.hub.APIURL+"/user", "Authorization", "token "+hubToken)
	require.Equal(t, 200, status, hubBody)

	bodyFile := filepath.Join(t.TempDir(), "claims.json")
	require.NoError(t, os.WriteFile(bodyFile, []byte(body), 0o600))
	ceilAddr := fmt.Sprintf("127.0.0.1:%d", hubtest.FreePort(t))
	ceilProc := hubtest.StartProcess(t, ceilingBin, nil, ceilAddr, "-addr", ceilAddr, "-body", bodyFile)
	hubPid := hubPID(t, ob.hub)
	oidcPid := providerPID(t)

	targets := []struct {
		name, url, header string
		pid               int
	}{
		{oidcCeilName, "http://" + ceilAddr + "/", "Authorization: Bearer " + access, ceilProc.Pid()},
		{oidcName, userinfo, "Authorization: Bearer " + access, oidcPid},
		{hubUserName, ob.hub.APIURL + "/user", "Authorization: token " + hubToken, hubPid},
	}
	var cells []cell
	for _, tg := range targets {
		for _, conc := range concurrencies {
			med := measureCell(t, tg.name, tg.pid, conc, rounds, roundTime, func(d time.Duration) (Result, error) {
				return wrkHeader(tg.url, conc, d, tg.header)
			})
			t.Logf("%s c=%d: %.0f req/s p50 %s p99 %s", tg.name, conc, med.res.RPS(), med.res.P50, med.res.P99)
			cells = append(cells, med)
		}
	}

	// Full logins: browsers with a hub session (logged in and consented
	// once) log in again and again.
	logins := map[string]Result{}
	for _, flow := range []struct {
		name  string
		login func(*Browser) error
	}{
		{oidcLogin, func(b *Browser) error { _, err := ob.login(b); return err }},
		{hubLogin, ob.hubLogin},
	} {
		for _, conc := range loginConcurrencies() {
			r := loginLoad(t, conc, 10*time.Second, flow.login)
			require.Zero(t, r.Errors, "%s at %d: failed logins", flow.name, conc)
			t.Logf("%s c=%d: %.1f logins/s p50 %s p99 %s", flow.name, conc, r.RPS(), r.P50, r.P99)
			logins[fmt.Sprintf("%s/%d", flow.name, conc)] = r
		}
	}

	report := renderOIDCReport(cells, logins, len(body))
	path := filepath.Join(hubtest.RepoRoot(), "bench", "OIDC_RESULTS.md")
	if os.Getenv("BENCH_OIDC_OUT") != "" {
		path = os.Getenv("BENCH_OIDC_OUT")
	}
	require.NoError(t, os.WriteFile(path, []byte(report), 0o644))
	fmt.Println(report)
}

func loginConcurrencies() []int { return []int{1, 4} }

// startOIDCBench runs a hub, the provider as an external service beside
// it, and the place the clients' redirects land.
func startOIDCBench(t *testing.T) *oidcBench {
	capture := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "back at the client")
	}))
	t.Cleanup(capture.Close)
	ob := &oidcBench{t: t, capture: capture.URL, secret: hubtest.RandomToken(), peer: hubtest.RandomToken()}
	port, token := hubtest.FreePort(t), hubtest.RandomToken()
	ob.hub = hubtest.Start(t, hubtest.Options{
		Services: []hubtest.Service{
			{Name: "oidc", URL: fmt.Sprintf("http://127.0.0.1:%d", port), APIToken: token,
				OAuthClientID: "service-oidc", OAuthRedirectURI: "/services/oidc/oauth_callback"},
			{Name: "peer-app", APIToken: ob.peer, OAuthClientID: "service-peer-app", OAuthRedirectURI: capture.URL + "/peer"},
		},
		Roles: []hubtest.Role{{Name: "user", Scopes: []string{"self", "access:services!service=oidc", "access:services!service=peer-app"}}},
	})
	clients, err := json.Marshal(map[string]any{"clients": []map[string]any{{
		"client_id": "bench-app", "client_secret": ob.secret, "redirect_uris": []string{capture.URL + "/cb"},
	}}})
	require.NoError(t, err)
	clientsFile := filepath.Join(t.TempDir(), "clients.json")
	require.NoError(t, os.WriteFile(clientsFile, clients, 0o600))
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	hubtest.StartProcess(t, hubtest.Binary(t, "hubauth-oidc"), []string{
		"JUPYTERHUB_API_TOKEN=" + token,
		"JUPYTERHUB_API_URL=" + ob.hub.APIURL,
		"JUPYTERHUB_SERVICE_NAME=oidc",
		"JUPYTERHUB_SERVICE_URL=http://" + addr,
		"JUPYTERHUB_SERVICE_PREFIX=/services/oidc/",
		"JUPYTERHUB_HOST=" + ob.hub.URL,
		"HUBAUTH_OIDC_CLIENTS=" + clientsFile,
		"HUBAUTH_OIDC_ISSUER=http://" + addr + "/services/oidc",
	}, addr)
	ob.issuer = "http://" + addr + "/services/oidc"
	ob.hub.CreateUser(t, "ada")
	return ob
}

// pkce is a fresh verifier and its S256 challenge.
func pkce() (verifier, challenge string) {
	verifier = hubtest.RandomToken()
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

// codeAt visits an authorization URL with the browser, through the hub's
// pages, and returns the code it brings back to the client at back.
func codeAt(b *Browser, authorize, back string) (string, error) {
	h, err := b.Visit(authorize, nil)
	if err != nil {
		return "", err
	}
	if h.Status != 200 || !strings.HasPrefix(h.URL, back+"?") {
		return "", fmt.Errorf("ended at %s with %d: %.300s (%s)", h.URL, h.Status, h.Body, b.HopSummary())
	}
	u, err := url.Parse(h.URL)
	if err != nil {
		return "", err
	}
	return u.Query().Get("code"), nil
}

// postForm posts a token request and decodes the JSON answer.
func postForm(c *http.Client, endpoint string, form url.Values, user, pass string) (map[string]any, error) {
	req, err := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 {
		return nil, fmt.Errorf("%s answered %d: %v %v", endpoint, resp.StatusCode, out, err)
	}
	return out, nil
}

// getOK sends GET with an Authorization header and wants a 200.
func getOK(c *http.Client, u, authorization string) error {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", authorization)
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("GET %s: %d", u, resp.StatusCode)
	}
	return nil
}

// login is one OpenID Connect login as a client does it: the browser to
// the authorization endpoint and through the hub, the code exchanged
// (client_secret_basic, PKCE), userinfo asked. It returns the access
// token.
func (ob *oidcBench) login(b *Browser) (string, error) {
	verifier, challenge := pkce()
	q := url.Values{"client_id": {"bench-app"}, "redirect_uri": {ob.capture + "/cb"}, "response_type": {"code"},
		"scope": {"openid profile groups"}, "state": {"s"}, "nonce": {"n"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
	code, err := codeAt(b, ob.issuer+"/authorize?"+q.Encode(), ob.capture+"/cb")
	if err != nil {
		return "", err
	}
	tok, err := postForm(b.Client, ob.issuer+"/token", url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {ob.capture + "/cb"}, "code_verifier": {verifier}}, "bench-app", ob.secret)
	if err != nil {
		return "", err
	}
	access, _ := tok["access_token"].(string)
	return access, getOK(b.Client, ob.issuer+"/userinfo", "Bearer "+access)
}

// hubLogin is the same login with the hub's own OAuth provider, for a
// plain OAuth client of the hub: authorize, the code exchanged at the
// hub (client secret in the form, PKCE), GET /hub/api/user.
func (ob *oidcBench) hubLogin(b *Browser) error {
	verifier, challenge := pkce()
	q := url.Values{"client_id": {"service-peer-app"}, "redirect_uri": {ob.capture + "/peer"}, "response_type": {"code"},
		"state": {"s"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
	code, err := codeAt(b, ob.hub.URL+"/hub/api/oauth2/authorize?"+q.Encode(), ob.capture+"/peer")
	if err != nil {
		return err
	}
	tok, err := postForm(b.Client, ob.hub.APIURL+"/oauth2/token", url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {ob.capture + "/peer"}, "code_verifier": {verifier}, "client_id": {"service-peer-app"},
		"client_secret": {ob.peer}}, "", "")
	if err != nil {
		return err
	}
	access, _ := tok["access_token"].(string)
	return getOK(b.Client, ob.hub.APIURL+"/user", "token "+access)
}

// loginLoad runs conc browsers, each logged in at the hub first (its
// first login, with the form and the authorize page, is not counted),
// logging in again and again for d.
func loginLoad(t *testing.T, conc int, d time.Duration, login func(*Browser) error) Result {
	browsers := make([]*Browser, conc)
	for i := range browsers {
		browsers[i] = NewBrowser("ada", 2, 30*time.Second)
		require.NoError(t, login(browsers[i]), browsers[i].HopSummary())
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var mu sync.Mutex
	var latencies []time.Duration
	errors := 0
	start := time.Now()
	var wg sync.WaitGroup
	for _, b := range browsers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				t0 := time.Now()
				err := login(b)
				mu.Lock()
				if err != nil {
					errors++
					t.Logf("login failed: %v", err)
				} else {
					latencies = append(latencies, time.Since(t0))
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	r := Result{Requests: len(latencies), Errors: errors, Duration: time.Since(start)}
	r.P50, r.P99 = percentile(latencies, 0.50), percentile(latencies, 0.99)
	return r
}

// hubPID is the hub's process, for its CPU time and memory.
func hubPID(t *testing.T, hub *hubtest.Hub) int {
	pids := hubtest.Processes(func(p hubtest.ProcInfo) bool {
		return slices.Contains(p.Args, filepath.Join(hub.Dir, "jupyterhub_config.py"))
	})
	require.Len(t, pids, 1, "the hub's process")
	return pids[0]
}

// providerPID is the hubauth-oidc process.
func providerPID(t *testing.T) int {
	pids := hubtest.Processes(func(p hubtest.ProcInfo) bool {
		return len(p.Args) > 0 && filepath.Base(p.Args[0]) == "hubauth-oidc"
	})
	require.Len(t, pids, 1, "the provider's process")
	return pids[0]
}

// renderOIDCReport writes OIDC_RESULTS.md.
func renderOIDCReport(cells []cell, logins map[string]Result, bodySize int) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	root := hubtest.RepoRoot()
	p("# hubauth-oidc benchmark\n\n")
	p("Written by `make bench` on %s.\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	p("- Machine: %s\n", machine())
	p("- Go: %s; JupyterHub: %s; load: %s\n", strings.TrimPrefix(versionOf("go", "version"), "go version "),
		versionOf(filepath.Join(root, ".venv", "bin", "jupyterhub"), "--version"), versionOf("wrk", "--version"))
	p("- Every server and the load generator share this machine's cores: the ratios are what the run is for.\n\n")

	byKey := map[string]cell{}
	for _, c := range cells {
		byKey[fmt.Sprintf("%s/%d", c.svc, c.conc)] = c
	}
	p("## userinfo with a cached access token\n\n")
	p("wrk at the provider's userinfo endpoint with `Authorization: Bearer …` (an access token from a login through the\n")
	p("real hub, whose hub token the provider's answer cache holds), beside the hub's own `GET /hub/api/user` with a\n")
	p("hub token of the same user (what a client of the hub's OAuth asks instead), and a bare net/http server answering\n")
	p("the same claims (%d bytes) with no authentication. Each reached directly, not through the hub's proxy. 2 s\n", bodySize)
	p("warm-up, then the median of %d rounds of %s.\n\n", rounds, roundTime)
	p("| server | connections | requests/s | p50 | p99 | CPU s / 10k requests | peak RSS | vs ceiling | vs the hub |\n")
	p("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, c := range cells {
		ceil := byKey[fmt.Sprintf("%s/%d", oidcCeilName, c.conc)].res.RPS()
		hub := byKey[fmt.Sprintf("%s/%d", hubUserName, c.conc)].res.RPS()
		p("| %s | %d | %.0f | %s | %s | %.2f | %s | %.2f | %.1f× |\n", c.svc, c.conc, c.res.RPS(), ms(c.res.P50), ms(c.res.P99),
			c.cpu10k, mb(c.peak), c.res.RPS()/ceil, c.res.RPS()/hub)
	}
	ratio := byKey[oidcName+"/32"].res.RPS() / byKey[oidcCeilName+"/32"].res.RPS()
	p("\n| target | measured | |\n| --- | --- | --- |\n")
	p("| userinfo ≥ 0.8 of the ceiling's requests/s at 32 connections | %.2f | %s |\n", ratio, verdict(ratio >= 0.8))

	p("\n## Full logins through the real hub\n\n")
	p("Browsers that have a hub session (each logged in on the hub's form and approved once, not counted) log in again\n")
	p("and again for 10 s. A login through the provider: its authorization endpoint, the hub's authorize page, the\n")
	p("provider's callback, the client's code exchange at the provider's token endpoint (which exchanges the hub's code\n")
	p("at the hub and asks the hub who it is), userinfo. Beside it, the same login with the hub's own OAuth provider for\n")
	p("a plain client: the hub's authorize page, the code exchange at the hub, `GET /hub/api/user`.\n\n")
	p("| flow | browsers | logins/s | p50 | p99 | vs the hub's own |\n| --- | ---: | ---: | ---: | ---: | ---: |\n")
	for _, name := range []string{oidcLogin, hubLogin} {
		for _, conc := range loginConcurrencies() {
			r := logins[fmt.Sprintf("%s/%d", name, conc)]
			peer := logins[fmt.Sprintf("%s/%d", hubLogin, conc)]
			p("| %s | %d | %.1f | %s | %s | %.2f |\n", name, conc, r.RPS(), ms(r.P50), ms(r.P99), r.RPS()/peer.RPS())
		}
	}
	p("\nThe hub does most of a login's work either way (its authorize page, the code, the token, `/user`); the\n")
	p("provider adds one redirect of its own, the sealing and opening of its code, and signing the id_token.\n")
	return b.String()
}
