//go:build soak

package bench

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hubauth-go/whoami/hubauth"
)

// check is one line of the soak's verdict.
type check struct {
	what, measured string
	ok             bool
}

// Margins for "within a small margin of their level after warm-up".
func rssMargin(base int64) int64 { return max(8<<20, base/4) }

// fdMargin allows for connection pools: the front's pool to a replica
// widens while the other is down, and a service's pool of connections to
// the hub while the hub is slow; both are bounded by the 64 connections.
const (
	fdMargin        = 32
	goroutineMargin = 40
)

// level is the median of a process's samples in [from, to].
func (r *soakRig) level(name string, from, to time.Duration, get func(Usage) float64) (float64, bool) {
	r.samplesMu.Lock()
	defer r.samplesMu.Unlock()
	var vs []float64
	for _, s := range r.samples {
		if u, ok := s.usage[name]; ok && s.at >= from && s.at <= to {
			if v := get(u); v >= 0 {
				vs = append(vs, v)
			}
		}
	}
	if len(vs) == 0 {
		return 0, false
	}
	slices.Sort(vs)
	return vs[len(vs)/2], true
}

func (r *soakRig) report(sch schedule, loadEnd time.Duration, cookiesAtBAfterRestart int64) {
	t := r.t
	sum := r.rec.Summary()
	var checks []check
	add := func(ok bool, what, format string, args ...any) {
		checks = append(checks, check{what, fmt.Sprintf(format, args...), ok})
	}

	// 1. Nobody is ever answered as someone else.
	add(sum.WrongUser == 0, "no answer names the wrong user", "%d of %d answers", sum.WrongUser, total(sum))

	// 2. Errors only during faults, only clear 5xx, no hangs.
	add(sum.NViolation == 0, "errors only while a fault lasts (+5 s), only 502/503/504; no 500, no hang past the hub timeout",
		"%d violations", sum.NViolation)
	for _, f := range sum.Faults {
		switch {
		case strings.HasPrefix(f.Name, "hub stopped"):
			n := 0
			for _, v := range f.Tolerated {
				n += v
			}
			add(n > 0, "the fault was felt: "+f.Name, "%d clear 5xx from the services while it lasted", n)
		case strings.HasPrefix(f.Name, "hub API slowed"):
			add(f.MaxLatency >= slowDelay, "the fault was felt: "+f.Name, "slowest service answer %s", f.MaxLatency.Round(time.Millisecond))
		}
	}
	// 3. Callers the services know ride out the hub's faults; a revoked
	// token does not outlive them.
	for _, f := range sum.Faults {
		if !hubFault(f.Name) {
			continue
		}
		for _, class := range []string{"cached token", "logged-in browser"} {
			n := f.ByClass[class]
			add(n == 0, fmt.Sprintf("%ss answered with no errors through: %s", class, f.Name), "%d errors", n)
		}
		if strings.HasPrefix(f.Name, "hub API slowed") {
			median, lowest := sum.Dip(f, r.rec.T0, time.Minute, dipWindow)
			add(lowest >= median/2, "no dip in good answers per second while the hub is slow",
				"lowest %d s: %.0f/s, the minute before: %.0f/s (%.0f %%)", dipWindow, lowest, median, 100*lowest/max(median, 1))
		}
	}
	for _, p := range r.revoked {
		add(p.refusedAfter >= 0 && p.refusedAfter <= RecoveryGrace && p.admittedAfter == 0,
			"a token revoked before "+p.fault+" is refused once the hub is back",
			"refused %s after the hub was back; admitted %d times after that", orNever(p.refusedAfter), p.admittedAfter)
	}
	add(len(r.revoked) == 2, "both hub stops had a revoked token to follow", "%d", len(r.revoked))

	for _, name := range []string{"whoami-api", "whoami-oauth A", "whoami-oauth B"} {
		out := r.output(name)
		bad := ""
		for _, marker := range []string{"panic:", "fatal error:", "DATA RACE", "goroutine "} {
			if strings.Contains(out, marker) {
				bad = marker
			}
		}
		add(bad == "", "no panic in "+name, "%s", orNone(bad))
	}
	add(r.apiProc.Running() && !r.exitedA && r.replicaA.Running() && r.replicaB.Load().Running(),
		"the services stayed up (except the replica killed on purpose)", "whoami-api %v, A %v, B (restarted) %v",
		r.apiProc.Running(), r.replicaA.Running() && !r.exitedA, r.replicaB.Load().Running())

	// 4. Resources back to their level after warm-up, and not growing.
	q := (loadEnd - sch.warmUp) / 4
	type row struct {
		name, what   string
		base, mid    float64
		late, end    float64
		margin       float64
		measured, ok bool
	}
	var rows []row
	for _, name := range []string{"whoami-api", "whoami-oauth A"} {
		for _, m := range []struct {
			what   string
			get    func(Usage) float64
			margin func(float64) float64
		}{
			{"RSS (MB)", func(u Usage) float64 { return float64(u.RSS) / (1 << 20) }, func(b float64) float64 { return float64(rssMargin(int64(b*(1<<20)))) / (1 << 20) }},
			{"open fds", func(u Usage) float64 { return float64(u.FDs) }, func(float64) float64 { return fdMargin }},
			{"goroutines", func(u Usage) float64 { return float64(u.Goroutines) }, func(float64) float64 { return goroutineMargin }},
			{"threads (not checked)", func(u Usage) float64 { return float64(u.Threads) }, nil},
		} {
			base, ok1 := r.level(name, sch.warmUp-3*time.Second, sch.warmUp, m.get)
			mid, ok2 := r.level(name, sch.warmUp+q, sch.warmUp+2*q, m.get)
			late, ok3 := r.level(name, loadEnd-q, loadEnd, m.get)
			end, ok4 := r.level(name, loadEnd-3*time.Second, loadEnd, m.get)
			rw := row{name: name, what: m.what, base: base, mid: mid, late: late, end: end, measured: ok1 && ok2 && ok3 && ok4}
			if m.margin != nil && rw.measured {
				rw.margin = m.margin(base)
				rw.ok = end <= base+rw.margin && late <= mid+rw.margin
				add(rw.ok, fmt.Sprintf("%s %s at the end within %.0f of warm-up, not growing", name, m.what, rw.margin),
					"%.1f after warm-up, %.1f at the end; %.1f mid-run, %.1f late", base, end, mid, late)
			}
			rows = append(rows, rw)
		}
	}

	// 5. No browser loses its login.
	lost := 0
	for _, n := range sum.LostLogin {
		lost += n
	}
	add(lost == 0, "no logged-in browser is sent to log in again", "%d times (%d browsers)", lost, len(sum.LostLogin))
	for _, f := range sum.Faults {
		missing := sum.BrowsersNotBack[f.Name]
		add(len(missing) == 0, "every browser answered again after: "+f.Name, "%d of %d missing %v", len(missing), len(r.browsers), missing)
	}
	add(cookiesAtBAfterRestart > 0, "the restarted replica B accepts the cookies it saw before its death",
		"%d cookie requests answered by B after its restart", cookiesAtBAfterRestart)
	gaps := r.loginGaps(sum)
	add(r.logins.Load() > 0 && len(gaps) == 0, "new OAuth logins complete, also after every fault",
		"%d logins completed; none after: %s", r.logins.Load(), orDash(strings.Join(gaps, ", ")))

	md := r.markdown(sch, sum, checks, loadEnd, cookiesAtBAfterRestart, func(b *strings.Builder) {
		fmt.Fprintf(b, "| process | measure | after warm-up | mid-run | late | at the end | margin | |\n| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |\n")
		for _, rw := range rows {
			if !rw.measured {
				fmt.Fprintf(b, "| %s | %s | not measured | | | | | %s |\n", rw.name, rw.what, notMeasuredWhy(rw.what))
				continue
			}
			verdict := "reported"
			if rw.margin > 0 {
				verdict = okWord(rw.ok)
			}
			fmt.Fprintf(b, "| %s | %s | %.1f | %.1f | %.1f | %.1f | %s | %s |\n", rw.name, rw.what, rw.base, rw.mid, rw.late, rw.end, marginText(rw.margin), verdict)
		}
	})
	if err := os.MkdirAll(r.cfg.Out, 0o755); err != nil {
		t.Fatalf("SOAK_OUT: %v", err)
	}
	if err := os.WriteFile(filepath.Join(r.cfg.Out, "SOAK.md"), []byte(md), 0o644); err != nil {
		t.Fatalf("write SOAK.md: %v", err)
	}
	var png bytes.Buffer
	if err := r.plot(&png, sum, loadEnd); err != nil {
		t.Fatalf("plot: %v", err)
	}
	if err := os.WriteFile(filepath.Join(r.cfg.Out, "soak.png"), png.Bytes(), 0o644); err != nil {
		t.Fatalf("write soak.png: %v", err)
	}
	t.Logf("wrote %s and soak.png\n%s", filepath.Join(r.cfg.Out, "SOAK.md"), md)
	for _, c := range checks {
		if !c.ok {
			t.Errorf("soak check failed: %s: %s", c.what, c.measured)
		}
	}
}

// dipWindow is how many seconds of good answers are averaged when
// looking for a dip during a fault.
const dipWindow = 5

// hubFault reports whether the fault named name is the hub's (stopped or
// slow), which callers the services know must ride out.
func hubFault(name string) bool {
	return strings.HasPrefix(name, "hub stopped") || strings.HasPrefix(name, "hub API slowed")
}

func orNever(d time.Duration) string {
	if d < 0 {
		return "never (within 10 s)"
	}
	return d.Round(10 * time.Millisecond).String()
}

// loginGaps lists the faults after which no new login completed.
func (r *soakRig) loginGaps(sum Summary) []string {
	r.loginTimesMu.Lock()
	defer r.loginTimesMu.Unlock()
	var gaps []string
	for _, f := range sum.Faults {
		ok := false
		for _, at := range r.loginTimes {
			if at.After(f.End) {
				ok = true
				break
			}
		}
		if !ok {
			gaps = append(gaps, f.Name)
		}
	}
	return gaps
}

func total(s Summary) int {
	n := 0
	for _, c := range s.Classes {
		n += c.OK + c.Tolerated + c.Violations
	}
	return n
}

func orNone(s string) string {
	if s == "" {
		return "none in its output"
	}
	return "found " + s
}

func okWord(ok bool) string {
	if ok {
		return "**pass**"
	}
	return "**FAIL**"
}

func marginText(m float64) string {
	if m == 0 {
		return "—"
	}
	return fmt.Sprintf("+%.0f", m)
}

func notMeasuredWhy(what string) string {
	if what == "goroutines" {
		return "the services expose no Prometheus /metrics yet (hook: HUBAUTH_METRICS_LISTEN is set on each; go_goroutines is read from it once it exists)"
	}
	return "no samples"
}

// loadSummary says how busy the host was during the run: the one-minute
// load average, its median and peak, against the number of cores. The
// soak's own processes (services, hub, load) account for about the
// cores' worth; more than that is other work on the machine.
func (r *soakRig) loadSummary() string {
	r.samplesMu.Lock()
	defer r.samplesMu.Unlock()
	var loads []float64
	for _, s := range r.samples {
		if s.load >= 0 {
			loads = append(loads, s.load)
		}
	}
	if len(loads) == 0 {
		return ""
	}
	slices.Sort(loads)
	return fmt.Sprintf("The one-minute load average during the run: median %.1f, peak %.1f, on %d cores.",
		loads[len(loads)/2], loads[len(loads)-1], runtime.NumCPU())
}

// output is a service process's output so far.
func (r *soakRig) output(name string) string {
	switch name {
	case "whoami-api":
		return r.apiProc.Output()
	case "whoami-oauth A":
		return r.replicaA.Output()
	}
	return r.replicaB.Load().Output() + r.killedBOutput
}

func (r *soakRig) markdown(sch schedule, sum Summary, checks []check, loadEnd time.Duration, cookiesB int64, resources func(*strings.Builder)) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	passed := 0
	for _, c := range checks {
		if c.ok {
			passed++
		}
	}
	p("# Soak under faults\n\n")
	p("Written by `make soak` (bench/soak_test.go, build tag `soak`) on %s: %s of load", time.Now().UTC().Format("2006-01-02 15:04 MST"), loadEnd.Round(time.Second))
	p(" (SOAK_SECONDS=%d) against a real JupyterHub %s, every request to 127.0.0.1. **%d of %d checks passed.**\n\n", int(r.cfg.Duration.Seconds()), r.hub.Version(), passed, len(checks))
	p("![requests/s, errors/s and RSS over the run](soak.png)\n\n")
	p("- Machine: %s (shared: other work ran beside it). %s\n", machine(), r.loadSummary())
	if r.cfg.BinDir != "" {
		p("- The services are the builds in SOAK_BIN_DIR=%s, not this checkout's.\n", r.cfg.BinDir)
	}
	p("- Services, run by the test (so they outlive the hub's restarts), each calling the hub's API through a fault proxy\n")
	p("  (internal/hubtest/faultproxy.go) with HUBAUTH_HUB_TIMEOUT=%s, HUBAUTH_CACHE_MAX_AGE=%s (answers are checked with the hub again\n", hubTimeout, cacheMaxAge)
	p("  all run long, and refreshed in the background near the end of their age), HUBAUTH_STALE_IF_ERROR at its default (%s:\n", hubauth.DefaultStaleIfError)
	p("  answers past their age are used while the hub is down) and HUBAUTH_CACHE_SIZE=%d (junk and fresh tokens fill the cache to its\n  bound during the warm-up):\n", cacheSize)
	p("  whoami-api, and two whoami-oauth replicas behind a round-robin front (bench/front.go) registered as the\n")
	p("  service's URL. The front sends a request to the other replica when one refuses the connection, and answers 502\n")
	p("  when a replica dies mid-answer. Clients talk to the services directly, not through the hub's proxy, which the rig's\n")
	p("  hub runs and takes down with it; the browsers log in at the hub's public URL.\n")
	p("- Callers, 64 connections in all:\n\n")
	p("| callers | connections | pace | wanted answer |\n| --- | ---: | --- | --- |\n")
	rate := "as fast as answered"
	if r.cfg.Rate > 0 {
		rate = fmt.Sprintf("%d requests/s each", r.cfg.Rate)
	}
	p("| users with cached tokens (%d users, random) at whoami-api | %d | %s | 200, the token's owner |\n", tokenUsers, tokenConns, rate)
	p("| logged-in browsers (login cookie from the hub's OAuth login) at the replicas | %d | %s | 200, the browser's user; never a redirect to log in |\n", browserConn, rate)
	p("| fresh tokens: one created through the hub's REST API every 0.5 s, then used 4 times at both services | %d | 2 tokens/s each | 200, the token's owner |\n", freshConns)
	p("| junk tokens (random, never issued) at both services | %d | 10/s each | 403 |\n", junkConns)
	p("| new OAuth logins: a new browser, the hub's login form, authorize page and the service's callback | %d | one per 2 s each | the model of the user who logged in, at the page the login started from |\n\n", loginConns)

	p("## Faults\n\nThe schedule scales with the run: stops of %s, %s of slow hub, the replica down for %s; each starts once the\nprevious one is over (plus 5 s). A fault lasts until the hub answers again (its restart included), the delay is\nlifted, or the replica is back; errors are allowed until 5 s after that.\n\n", sch.stop, sch.slow, sch.replicaDown)
	p("| fault | from | until | lasted | services' clear 5xx | last of them | slowest service answer | the hub's own pages and API meanwhile |\n| --- | ---: | ---: | ---: | --- | --- | ---: | --- |\n")
	for _, f := range sum.Faults {
		from, until := f.Start.Sub(r.rec.T0), f.End.Sub(r.rec.T0)
		errs := counts(f.Tolerated, "")
		hubErrs := counts(f.HubPages, "no answer")
		last := "none"
		if !f.LastError.IsZero() {
			last = fmt.Sprintf("%+.1f s after it ended", f.LastError.Sub(f.End).Seconds())
		}
		p("| %s | %.1f s | %.1f s | %.1f s | %s | %s | %s | %s |\n", f.Name, from.Seconds(), until.Seconds(), (until - from).Seconds(),
			orDash(strings.Join(errs, ", ")), last, f.MaxLatency.Round(time.Millisecond), orDash(strings.Join(hubErrs, ", ")))
	}
	p("\n### Callers the services know, through the hub's faults\n\n")
	p("Cached tokens and logged-in browsers are answered from the cache while the hub is down or slow (refresh ahead,\n")
	p("stale-if-error). Fresh tokens and new logins still fail while the hub is down: the hub must be asked about a token\n")
	p("it has never been asked about, and a login is made at the hub; that cannot be helped. Junk tokens get 503 then too\n")
	p("(the hub cannot say they are junk). Good answers per second: the median of the minute before the fault, and the\n")
	p("lowest %d-second average while it lasted.\n\n", dipWindow)
	p("| fault | cached tokens: errors | logged-in browsers: errors | fresh tokens: clear 5xx | junk tokens: clear 5xx | new logins: failed | good answers/s before | lowest during |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, f := range sum.Faults {
		if !hubFault(f.Name) {
			continue
		}
		median, lowest := sum.Dip(f, r.rec.T0, time.Minute, dipWindow)
		p("| %s | %d | %d | %d | %d | %d | %.0f | %.0f (%.0f %%) |\n", f.Name, f.ByClass["cached token"], f.ByClass["logged-in browser"],
			f.ByClass["fresh token"], f.ByClass["junk token"], f.ByClass["new OAuth login"], median, lowest, 100*lowest/max(median, 1))
	}
	p("\n### A token revoked just before each hub stop\n\n")
	p("Issued for %s, its answer cached by whoami-api, revoked through the hub's REST API, and the hub stopped a moment later;\n", r.users[0])
	p("whoami-api was asked with it twice a second while the hub was down, then until it refused it. While the hub is down the\n")
	p("revocation cannot reach the service (nor can any other through the hub): the token is admitted up to\n")
	p("HUBAUTH_CACHE_MAX_AGE + HUBAUTH_STALE_IF_ERROR after it was last checked, the trade the README states.\n\n")
	p("| stop | answers right after the revocation | while the hub was down | refused after the hub was back | admitted after that |\n| --- | --- | --- | ---: | ---: |\n")
	for _, pr := range r.revoked {
		p("| %s | %s | %s | %s | %d |\n", pr.fault, orDash(strings.Join(counts(pr.before, "no answer"), ", ")),
			orDash(strings.Join(counts(pr.during, "no answer"), ", ")), orNever(pr.refusedAfter), pr.admittedAfter)
	}
	a, ac := r.front.Served(0)
	bAll, bc := r.front.Served(1)
	p("\nThe front relayed %d answers from replica A (%d with cookies) and %d from B (%d with cookies; %d of those after B's\nrestart); %d requests went to the other replica because theirs refused the connection.\n", a, ac, bAll, bc, cookiesB, r.front.Failovers.Load())

	p("\n## Answers\n\n| callers | good | clear 5xx during a fault | violations | slowest |\n| --- | ---: | ---: | ---: | ---: |\n")
	classes := make([]string, 0, len(sum.Classes))
	for k := range sum.Classes {
		classes = append(classes, k)
	}
	sort.Strings(classes)
	for _, k := range classes {
		c := sum.Classes[k]
		p("| %s | %d | %d | %d | %s |\n", k, c.OK, c.Tolerated, c.Violations, c.MaxLatency.Round(time.Millisecond))
	}
	p("\n%d fresh tokens were created and %d new logins completed.\n", r.fresh.Load(), r.logins.Load())

	p("\n## Resources\n\nSampled once a second from /proc (RSS, open fds, threads) and, where a service has one, its Prometheus /metrics\n(goroutines). \"After warm-up\" is the median of the 3 s before %s; \"mid-run\" and \"late\" the medians of the second\nand last quarter of the rest; \"at the end\" of the last 3 s of load. A check passes when the end is within the margin\nof warm-up and late is within it of mid-run (not growing). The margins: RSS 8 MB or a quarter, whichever is more;\n%d fds, for connection pools that widen to the peak concurrency of a fault (the front's pool to the surviving\nreplica, a service's pool to a slow hub), bounded by the 64 connections; %d goroutines. Replica B is a new process\nafter its restart and is not compared.\n\n", sch.warmUp, fdMargin, goroutineMargin)
	resources(&b)

	p("\n## Checks\n\n| check | measured | |\n| --- | --- | --- |\n")
	for _, c := range checks {
		p("| %s | %s | %s |\n", c.what, c.measured, okWord(c.ok))
	}
	if len(sum.Violations) > 0 {
		p("\n## Violations (first %d of %d)\n\n", min(len(sum.Violations), 30), sum.NViolation)
		for _, v := range sum.Violations[:min(len(sum.Violations), 30)] {
			p("- %.1f s, %s: %s\n", v.At.Seconds(), v.Class, v.Detail)
		}
	}
	return b.String()
}

// counts writes a status histogram as "3 × 503, 1 × 504" (status 0 as
// zero).
func counts(m map[int]int, zero string) []string {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	var out []string
	for _, k := range keys {
		name := fmt.Sprint(k)
		if k == 0 {
			name = zero
		}
		out = append(out, fmt.Sprintf("%d × %s", m[k], name))
	}
	return out
}

func orDash(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// plot draws requests/s, errors/s and RSS over the run, faults shaded.
func (r *soakRig) plot(w *bytes.Buffer, sum Summary, loadEnd time.Duration) error {
	n := int(loadEnd.Seconds()) // whole seconds: the last one was cut short
	ok := make([]float64, n)
	tol := make([]float64, n)
	bad := make([]float64, n)
	knownOK := make([]float64, n)
	knownErr := make([]float64, n)
	for i := range n {
		if i < len(sum.Seconds) {
			sc := sum.Seconds[i]
			ok[i], tol[i], bad[i] = float64(sc.OK), float64(sc.Tolerated), float64(sc.Violations)
			knownOK[i], knownErr[i] = float64(sc.KnownOK), float64(sc.KnownErrors)
		}
	}
	rss := map[string][]float64{}
	names := []string{"whoami-api", "whoami-oauth A", "whoami-oauth B"}
	for _, name := range names {
		rss[name] = make([]float64, n)
		for i := range rss[name] {
			rss[name][i] = math.NaN()
		}
	}
	r.samplesMu.Lock()
	for _, s := range r.samples {
		i := int(s.at.Seconds())
		if i >= n {
			continue
		}
		for name, u := range s.usage {
			rss[name][i] = float64(u.RSS) / (1 << 20)
		}
	}
	r.samplesMu.Unlock()
	var spans []Span
	for k, f := range sum.Faults {
		spans = append(spans, Span{Label: faultLabel(k, f.Name), Start: f.Start.Sub(r.rec.T0).Seconds(), End: f.End.Sub(r.rec.T0).Seconds()})
	}
	green := color.RGBA{20, 140, 60, 255}
	orange := color.RGBA{230, 130, 0, 255}
	red := color.RGBA{210, 0, 0, 255}
	blue := color.RGBA{30, 80, 200, 255}
	purple := color.RGBA{140, 40, 160, 255}
	return Plot(w, float64(n), spans,
		Panel{Title: "good answers/s", Series: []Series{{Name: "all", Color: green, Values: ok}, {Name: "cached tokens and browsers", Color: blue, Values: knownOK}}},
		Panel{Title: "errors/s", Series: []Series{{Name: "clear 5xx in a fault", Color: orange, Values: tol},
			{Name: "cached tokens and browsers", Color: purple, Values: knownErr}, {Name: "violations", Color: red, Values: bad}}},
		Panel{Title: "RSS MB", Series: []Series{
			{Name: names[0], Color: color.RGBA{30, 80, 200, 255}, Values: rss[names[0]]},
			{Name: "oauth A", Color: color.RGBA{140, 40, 160, 255}, Values: rss[names[1]]},
			{Name: "oauth B", Color: color.RGBA{0, 150, 160, 255}, Values: rss[names[2]]},
		}},
	)
}

func faultLabel(k int, name string) string {
	switch {
	case strings.HasPrefix(name, "hub stopped"):
		return "hub down"
	case strings.HasPrefix(name, "hub API slowed"):
		return "hub slow"
	case strings.HasPrefix(name, "replica"):
		return "B killed"
	}
	return fmt.Sprint(k + 1)
}
