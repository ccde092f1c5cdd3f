//go:build bench

package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hubauth-go/whoami/internal/hubtest"
)

func TestMain(m *testing.M) { os.Exit(hubtest.Main(m)) }

// target is one service under load.
type target struct {
	name string
	url  string
	proc *hubtest.Process
}

// junkRun is the service's RSS before and after each flood of junk tokens.
type junkRun struct {
	rss0, rss1, rss2, rss3 int64
	rps1                   float64
}

// holRun is the cached-token load alone and beside a slow hub.
type holRun struct{ alone, slowHub Result }

type cell struct {
	svc    string
	conc   int
	res    Result
	cpu10k float64
	peak   int64
}

var (
	concurrencies = []int{1, 32, 128}
	roundTime     = 4 * time.Second
	rounds        = 3
)

// measureCell loads one service at conc connections: load for 2 s to warm
// up, then rounds runs of round each, taking the service's CPU time and
// peak memory around every run; it returns the run with the median
// requests/s. load runs wrk against the service for the time it is given.
func measureCell(t *testing.T, name string, pid, conc, rounds int, round time.Duration, load func(time.Duration) (Result, error)) cell {
	t.Helper()
	_, err := load(2 * time.Second)
	require.NoError(t, err)
	var rs []cell
	for range rounds {
		cpu0, err := CPUSeconds(pid)
		require.NoError(t, err)
		r, err := load(round)
		require.NoError(t, err)
		require.Zero(t, r.Errors, "%s at %d: errors (non-2xx answers; on the cookie path a lost login shows so)", name, conc)
		cpu1, _ := CPUSeconds(pid)
		_, peak, _ := Memory(pid)
		rs = append(rs, cell{name, conc, r, (cpu1 - cpu0) / float64(r.Requests) * 10000, peak})
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].res.RPS() < rs[j].res.RPS() })
	return rs[len(rs)/2]
}

func TestBench(t *testing.T) {
	if _, err := exec.LookPath("wrk"); err != nil {
		t.Fatal("wrk not found: `make bench` installs Debian's wrk")
	}
	root := hubtest.RepoRoot()
	if raceEnabled {
		t.Fatal("run without -race: the race detector would be measured too")
	}
	apiBin := hubtest.Binary(t, "whoami-api")
	ceilingBin := buildCeiling(t)
	python := filepath.Join(root, ".venv", "bin", "python")
	pyRef := filepath.Join(root, "bench", "pyref", "whoami_ref.py")

	goToken, pyToken := hubtest.RandomToken(), hubtest.RandomToken()
	hub := hubtest.Start(t, hubtest.Options{
		Services: []hubtest.Service{{Name: "whoami-go", APIToken: goToken}, {Name: "whoami-py", APIToken: pyToken}},
		Roles: []hubtest.Role{{Name: "bench-users", Users: []string{"ada"},
			Scopes: []string{"access:services!service=whoami-go", "access:services!service=whoami-py"}}},
	})
	hubURL, err := url.Parse(hub.APIURL)
	require.NoError(t, err)
	proxy, err := NewHubProxy(hubURL.Scheme + "://" + hubURL.Host)
	require.NoError(t, err)
	proxySrv := httptest.NewServer(proxy)
	t.Cleanup(proxySrv.Close)
	adaToken := hub.NewToken(t, "ada", nil)

	serviceEnv := func(name, token string, port int) []string {
		return []string{
			"JUPYTERHUB_API_TOKEN=" + token,
			"JUPYTERHUB_API_URL=" + proxySrv.URL + "/hub/api",
			"JUPYTERHUB_SERVICE_NAME=" + name,
			"JUPYTERHUB_SERVICE_URL=" + fmt.Sprintf("http://127.0.0.1:%d", port),
			"JUPYTERHUB_SERVICE_PREFIX=/services/" + name + "/",
			`JUPYTERHUB_OAUTH_ACCESS_SCOPES=["access:services!service=` + name + `"]`,
		}
	}
	startGo := func() (*hubtest.Process, string, time.Duration) {
		port := hubtest.FreePort(t)
		u := fmt.Sprintf("http://127.0.0.1:%d/services/whoami-go/", port)
		t0 := time.Now()
		p := hubtest.StartProcess(t, apiBin, serviceEnv("whoami-go", goToken, port), "")
		return p, u, firstAnswer(t, p, u, t0)
	}
	startPy := func() (*hubtest.Process, string, time.Duration) {
		port := hubtest.FreePort(t)
		u := fmt.Sprintf("http://127.0.0.1:%d/services/whoami-py/", port)
		t0 := time.Now()
		p := hubtest.StartProcess(t, python, serviceEnv("whoami-py", pyToken, port), "", pyRef)
		return p, u, firstAnswer(t, p, u, t0)
	}

	// Start-up: process start to first answered request, best of three.
	startup := map[string]time.Duration{}
	for name, start := range map[string]func() (*hubtest.Process, string, time.Duration){"whoami-api (Go)": startGo, "Python reference": startPy} {
		best := time.Hour
		for range 3 {
			p, _, d := start()
			best = min(best, d)
			require.NoError(t, p.Stop())
		}
		startup[name] = best
	}

	goProc, goURL, _ := startGo()
	pyProc, pyURL, _ := startPy()
	goBody := mustGet(t, goURL, adaToken)
	pyBody := mustGet(t, pyURL, adaToken)
	require.Contains(t, goBody, `"name": "ada"`)
	require.Contains(t, pyBody, `"name": "ada"`)
	bodyFile := filepath.Join(t.TempDir(), "model.json")
	require.NoError(t, os.WriteFile(bodyFile, []byte(goBody), 0o600))
	ceilPort := hubtest.FreePort(t)
	ceilAddr := fmt.Sprintf("127.0.0.1:%d", ceilPort)
	ceilProc := hubtest.StartProcess(t, ceilingBin, nil, ceilAddr, "-addr", ceilAddr, "-body", bodyFile)
	ceilURL := "http://" + ceilAddr + "/"

	targets := []target{
		{"ceiling (bare net/http)", ceilURL, ceilProc},
		{"whoami-api (Go)", goURL, goProc},
		{"Python reference", pyURL, pyProc},
	}

	// Throughput on the cached-token path.
	var cells []cell
	for _, tg := range targets {
		for _, conc := range concurrencies {
			med := measureCell(t, tg.name, tg.proc.Pid(), conc, rounds, roundTime, func(d time.Duration) (Result, error) {
				return Wrk(tg.url, conc, d, adaToken)
			})
			t.Logf("%s c=%d: %.0f req/s p50 %s p99 %s", tg.name, conc, med.res.RPS(), med.res.P50, med.res.P99)
			cells = append(cells, med)
		}
	}

	// One fresh token, 100 concurrent requests: how many hub calls?
	coalesce := map[string]int64{}
	for _, tg := range targets[1:] {
		fresh := hub.NewToken(t, "ada", nil)
		before := proxy.UserCalls()
		var wg sync.WaitGroup
		gate := make(chan struct{})
		statuses := make([]int, 100)
		for i := range 100 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-gate
				statuses[i] = status(tg.url, fresh)
			}()
		}
		close(gate)
		wg.Wait()
		for _, s := range statuses {
			require.Equal(t, 200, s, tg.name)
		}
		coalesce[tg.name] = proxy.UserCalls() - before
	}

	// Junk tokens: memory before and after 20,000 (and, for Go, 200,000
	// more), each a different token the hub refuses.
	junk := map[string]junkRun{}
	for i, tg := range targets[1:] {
		var jr junkRun
		jr.rss0, _, _ = Memory(tg.proc.Pid())
		r := Load(context.Background(), tg.url, 32, 20000, 403, func(n int) string { return fmt.Sprintf("%s-%d-a-%d", JunkPrefix, i, n) })
		require.Zero(t, r.Errors, tg.name)
		jr.rps1 = r.RPS()
		jr.rss1, _, _ = Memory(tg.proc.Pid())
		if tg.proc == goProc {
			r = Load(context.Background(), tg.url, 32, 200000, 403, func(n int) string { return fmt.Sprintf("%s-%d-b-%d", JunkPrefix, i, n) })
			require.Zero(t, r.Errors, tg.name)
			jr.rss2, _, _ = Memory(tg.proc.Pid())
			r = Load(context.Background(), tg.url, 32, 200000, 403, func(n int) string { return fmt.Sprintf("%s-%d-c-%d", JunkPrefix, i, n) })
			require.Zero(t, r.Errors, tg.name)
			jr.rss3, _, _ = Memory(tg.proc.Pid())
		}
		junk[tg.name] = jr
	}

	// Head-of-line blocking: the p99 of cached-token requests, alone and
	// while another client sends fresh tokens to a hub that takes 500 ms.
	hols := map[string]holRun{}
	for i, tg := range targets[1:] {
		var h holRun
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		h.alone = Load(ctx, tg.url, 4, 0, 200, func(int) string { return adaToken })
		cancel()
		proxy.SetDelay(500 * time.Millisecond)
		ctx, cancel = context.WithTimeout(context.Background(), 5*time.Second)
		done := make(chan struct{})
		go func() {
			defer close(done)
			Load(ctx, tg.url, 8, 0, 403, func(n int) string { return fmt.Sprintf("%s-%d-hol-%d", JunkPrefix, i, n) })
		}()
		h.slowHub = Load(ctx, tg.url, 4, 0, 200, func(int) string { return adaToken })
		<-done
		cancel()
		proxy.SetDelay(0)
		hols[tg.name] = h
	}

	// The browser path: whoami-oauth and the Python reference with a login
	// cookie (a hub of its own; the one above sits idle meanwhile).
	cookieCells := cookieBench(t, ceilingBin, roundTime, rounds)

	report := renderReport(t, root, cells, cookieCells, startup, coalesce, junk, hols, len(goBody))
	path := filepath.Join(root, "bench", "RESULTS.md")
	if os.Getenv("BENCH_OUT") != "" {
		path = os.Getenv("BENCH_OUT")
	}
	require.NoError(t, os.WriteFile(path, []byte(report), 0o644))
	fmt.Println(report)
}

// buildCeiling builds bench/cmd/ceiling for the test.
func buildCeiling(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ceiling")
	build := exec.Command("go", "build", "-o", bin, "./bench/cmd/ceiling")
	build.Dir = hubtest.RepoRoot()
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)
	return bin
}

// firstAnswer polls url until the process answers anything over HTTP.
func firstAnswer(t *testing.T, p *hubtest.Process, u string, t0 time.Time) time.Duration {
	c := &http.Client{Timeout: time.Second}
	for time.Since(t0) < 30*time.Second {
		if !p.Running() {
			t.Fatalf("exited before answering: %s", p.Output())
		}
		resp, err := c.Get(u)
		if err == nil {
			resp.Body.Close()
			return time.Since(t0)
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("no answer from %s: %s", u, p.Output())
	return 0
}

func mustGet(t *testing.T, u, token string) string {
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Authorization", "token "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	require.Equal(t, 200, resp.StatusCode, "%s: %s", u, b)
	return string(b)
}

func status(u, token string) int {
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Authorization", "token "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func versionOf(name string, args ...string) string {
	// wrk prints its version and exits 1; take the first line either way.
	out, _ := exec.Command(name, args...).CombinedOutput()
	if line := strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0]); line != "" {
		return line
	}
	return "unknown"
}
