package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Result is one load run.
type Result struct {
	Requests int
	Errors   int // transport errors or unexpected statuses
	Duration time.Duration
	P50, P99 time.Duration
}

// RPS is requests per second.
func (r Result) RPS() float64 { return float64(r.Requests) / r.Duration.Seconds() }

// Load sends requests from conc workers until n requests are done (n > 0)
// or ctx ends, each with the Authorization header token(i) gives for the
// i-th request, and checks each answer has status want. It is the load
// generator for what wrk cannot do: a different token per request.
func Load(ctx context.Context, url string, conc, n int, want int, token func(i int) string) Result {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conc, Proxy: nil}, Timeout: 30 * time.Second}
	var (
		mu        sync.Mutex
		latencies []time.Duration
		errors    int
		next      int
	)
	start := time.Now()
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var local []time.Duration
			bad := 0
			for ctx.Err() == nil {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if n > 0 && i >= n {
					break
				}
				req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
				if t := token(i); t != "" {
					req.Header.Set("Authorization", "token "+t)
				}
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						bad++
					}
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				local = append(local, time.Since(t0))
				if resp.StatusCode != want {
					bad++
				}
			}
			mu.Lock()
			latencies = append(latencies, local...)
			errors += bad
			mu.Unlock()
		}()
	}
	wg.Wait()
	client.CloseIdleConnections()
	r := Result{Requests: len(latencies), Errors: errors, Duration: time.Since(start)}
	r.P50, r.P99 = percentile(latencies, 0.50), percentile(latencies, 0.99)
	return r
}

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return d[min(len(d)-1, int(float64(len(d))*p))]
}

// Wrk runs Debian's wrk against url with conc connections for d and one
// Authorization header (none when token is ""), and reads its report.
func Wrk(url string, conc int, d time.Duration, token string) (Result, error) {
	threads := min(conc, 2)
	args := []string{"-t", strconv.Itoa(threads), "-c", strconv.Itoa(conc), "-d", fmt.Sprintf("%ds", int(d.Seconds())), "--latency", "--timeout", "10s"}
	if token != "" {
		args = append(args, "-H", "Authorization: token "+token)
	}
	out, err := exec.Command("wrk", append(args, url)...).CombinedOutput()
	if err != nil {
		return Result{}, fmt.Errorf("wrk: %v\n%s", err, out)
	}
	return parseWrk(string(out), d)
}

var (
	wrkRequests = regexp.MustCompile(`(\d+) requests in ([\d.]+)(\w+)`)
	wrkPct      = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$`)
	wrkNon2xx   = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
	wrkErrors   = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

func parseWrk(out string, d time.Duration) (Result, error) {
	m := wrkRequests.FindStringSubmatch(out)
	if m == nil {
		return Result{}, fmt.Errorf("cannot read wrk's report:\n%s", out)
	}
	var r Result
	r.Requests, _ = strconv.Atoi(m[1])
	secs, _ := strconv.ParseFloat(m[2], 64)
	switch m[3] {
	case "ms":
		secs /= 1000
	case "m":
		secs *= 60
	}
	r.Duration = time.Duration(secs * float64(time.Second))
	for _, p := range wrkPct.FindAllStringSubmatch(out, -1) {
		v, _ := strconv.ParseFloat(p[2], 64)
		unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}[p[3]]
		dur := time.Duration(v * float64(unit))
		if p[1] == "50" {
			r.P50 = dur
		} else {
			r.P99 = dur
		}
	}
	if m := wrkNon2xx.FindStringSubmatch(out); m != nil {
		r.Errors, _ = strconv.Atoi(m[1])
	}
	if m := wrkErrors.FindStringSubmatch(out); m != nil {
		for _, s := range m[1:] {
			n, _ := strconv.Atoi(s)
			r.Errors += n
		}
	}
	if !strings.Contains(out, "Latency Distribution") {
		return r, fmt.Errorf("wrk printed no latency distribution:\n%s", out)
	}
	return r, nil
}
