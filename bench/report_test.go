//go:build bench

package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const (
	goName   = "whoami-api (Go)"
	pyName   = "Python reference"
	ceilName = "ceiling (bare net/http)"
)

func mb(b int64) string { return fmt.Sprintf("%.1f MB", float64(b)/(1<<20)) }

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

func verdict(ok bool) string {
	if ok {
		return "**met**"
	}
	return "**missed**"
}

// renderReport writes RESULTS.md: what was measured, on what, and whether
// each target of the benchmark issue was met, followed by the hand-written
// notes in NOTES.md (the profile and what was changed because of it).
func renderReport(t *testing.T, root string, cells, cookieCells []cell, startup map[string]time.Duration,
	coalesce map[string]int64, junk map[string]junkRun, hol map[string]holRun, bodySize int) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	py := filepath.Join(root, ".venv", "bin", "python")
	p("# Benchmark results\n\n")
	p("Written by `make bench` on %s.\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	p("- Machine: %s\n", machine())
	p("- Go: %s; Python: %s; JupyterHub: %s; configurable-http-proxy: %s; load: %s\n",
		strings.TrimPrefix(versionOf("go", "version"), "go version "), versionOf(py, "--version"),
		versionOf(filepath.Join(root, ".venv", "bin", "jupyterhub"), "--version"),
		versionOf(filepath.Join(root, "node_modules", ".bin", "configurable-http-proxy"), "--version"),
		versionOf("wrk", "--version"))
	p("- The answer: the user model, %d bytes. The ceiling answers the same bytes with no authentication.\n", bodySize)
	p("- All three servers and the load generator share this machine's cores, so absolute numbers are lower than on\n  a dedicated host; the ratios are what the run is for. Each service talks to the real hub through a small\n  counting proxy (bench/proxy.go).\n\n")

	byKey := map[string]cell{}
	for _, c := range cells {
		byKey[fmt.Sprintf("%s/%d", c.svc, c.conc)] = c
	}
	p("## Cached-token path\n\n")
	p("wrk with `Authorization: token …` (a token each service has seen), 2 s warm-up, then the median of %d rounds of %s.\n\n", rounds, roundTime)
	p("| service | connections | requests/s | p50 | p99 | CPU s / 10k requests | peak RSS | vs ceiling | vs Python |\n")
	p("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, c := range cells {
		ceil := byKey[fmt.Sprintf("%s/%d", ceilName, c.conc)].res.RPS()
		pyr := byKey[fmt.Sprintf("%s/%d", pyName, c.conc)].res.RPS()
		p("| %s | %d | %.0f | %s | %s | %.2f | %s | %.2f | %.1f× |\n", c.svc, c.conc, c.res.RPS(), ms(c.res.P50), ms(c.res.P99),
			c.cpu10k, mb(c.peak), c.res.RPS()/ceil, c.res.RPS()/pyr)
	}

	renderCookieTable(p, cookieCells, roundTime, rounds)

	p("\n## One fresh token, 100 concurrent requests\n\n| service | hub `GET /user` calls |\n| --- | ---: |\n")
	for _, n := range []string{goName, pyName} {
		p("| %s | %d |\n", n, coalesce[n])
	}

	p("\n## Memory under junk tokens\n\nEach request carries a different token the hub refuses (answered by the counting proxy exactly as the hub does, so\nthe run measures the service, not the hub's database), 32 at a time.\n\n")
	p("| service | RSS before | after 20,000 | growth | after 200,000 more | growth | after 200,000 more again | growth |\n")
	p("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, n := range []string{goName, pyName} {
		j := junk[n]
		if j.rss2 == 0 {
			p("| %s | %s | %s | %s | not run | | | |\n", n, mb(j.rss0), mb(j.rss1), mb(j.rss1-j.rss0))
			continue
		}
		p("| %s | %s | %s | %s | %s | %s | %s | %s |\n", n, mb(j.rss0), mb(j.rss1), mb(j.rss1-j.rss0), mb(j.rss2), mb(j.rss2-j.rss1), mb(j.rss3), mb(j.rss3-j.rss2))
	}
	p("\nThe Python reference was given only the first 20,000: its cache is an unbounded dict.\n")

	p("\n## Start-up\n\n| service | process start to first answered request (best of 3) |\n| --- | ---: |\n")
	for _, n := range []string{goName, pyName} {
		p("| %s | %s |\n", n, ms(startup[n]))
	}

	p("\n## Head-of-line blocking\n\nFour clients send a cached token for 5 s; then again while eight other clients send fresh tokens and the hub takes\n500 ms to answer each `GET /user`.\n\n")
	p("| service | cached p99 alone | cached p99 with the slow hub | ratio | cached requests/s alone | with the slow hub |\n| --- | ---: | ---: | ---: | ---: | ---: |\n")
	for _, n := range []string{goName, pyName} {
		h := hol[n]
		p("| %s | %s | %s | %.1f | %.0f | %.0f |\n", n, ms(h.alone.P99), ms(h.slowHub.P99), float64(h.slowHub.P99)/float64(h.alone.P99), h.alone.RPS(), h.slowHub.RPS())
	}

	g32 := byKey[goName+"/32"].res.RPS()
	c32 := byKey[ceilName+"/32"].res.RPS()
	p32 := byKey[pyName+"/32"].res.RPS()
	j := junk[goName]
	h := hol[goName]
	p("\n## Targets\n\n| target | measured | |\n| --- | --- | --- |\n")
	p("| cached path ≥ 0.8 of the ceiling's requests/s at 32 connections | %.2f | %s |\n", g32/c32, verdict(g32/c32 >= 0.8))
	p("| cached path ≥ 10 times the Python reference at 32 connections | %.1f× | %s |\n", g32/p32, verdict(g32/p32 >= 10))
	p("| exactly one hub call for a fresh token, 100 concurrent requests | %d | %s |\n", coalesce[goName], verdict(coalesce[goName] == 1))
	p("| cached p99 with a slow hub within 2 times its p99 without | %.1f× | %s |\n", float64(h.slowHub.P99)/float64(h.alone.P99), verdict(h.slowHub.P99 <= 2*h.alone.P99))
	p("| RSS growth under 4 MB for 20,000 junk tokens | %s | %s |\n", mb(j.rss1-j.rss0), verdict(j.rss1-j.rss0 < 4<<20))
	p("| no further growth for ten times as many: the first 200,000 after the 20,000 (within 1 MB) | %s | %s |\n", mb(j.rss2-j.rss1), verdict(j.rss2-j.rss1 < 1<<20))
	p("| no further growth for ten times as many: the next 200,000 (within 1 MB) | %s | %s |\n", mb(j.rss3-j.rss2), verdict(j.rss3-j.rss2 < 1<<20))

	notes, err := os.ReadFile(filepath.Join(root, "bench", "NOTES.md"))
	if err != nil {
		t.Logf("no bench/NOTES.md: %v", err)
	} else {
		p("\n%s", notes)
	}
	return b.String()
}
