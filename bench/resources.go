package bench

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// Usage is what a service process holds at one moment.
type Usage struct {
	RSS     int64 // bytes resident
	FDs     int   // open file descriptors (/proc/PID/fd)
	Threads int   // OS threads (/proc/PID/status); not goroutines
	// Goroutines is go_goroutines from the service's Prometheus /metrics,
	// or -1 when the service exposes none.
	Goroutines int
}

// ReadUsage reads pid's usage from /proc and, when metricsURL is not
// empty, its goroutines from the Prometheus text at metricsURL.
func ReadUsage(pid int, metricsURL string) (Usage, error) {
	u := Usage{Goroutines: -1}
	rss, _, err := Memory(pid)
	if err != nil {
		return u, err
	}
	u.RSS = rss
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return u, err
	}
	u.FDs = len(fds)
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "Threads:"); ok {
				u.Threads, _ = strconv.Atoi(strings.TrimSpace(v))
			}
		}
	}
	if metricsURL != "" {
		if g, err := scrapeGauge(metricsURL, "go_goroutines"); err == nil {
			u.Goroutines = int(g)
		}
	}
	return u, nil
}

var metricsClient = &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{Proxy: nil}}

// scrapeGauge reads one unlabelled metric from Prometheus text format.
func scrapeGauge(u, name string) (float64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, err
	}
	resp, err := metricsClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("%s: %s", u, resp.Status)
	}
	return parseGauge(bufio.NewScanner(resp.Body), name)
}

func parseGauge(sc *bufio.Scanner, name string) (float64, error) {
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, name+" "); ok {
			return strconv.ParseFloat(strings.TrimSpace(rest), 64)
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no %s", name)
}
