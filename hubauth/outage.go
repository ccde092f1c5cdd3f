package hubauth

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// outageQuiet is how long the hub must go without failing, once it
// answers again, for an outage to be over. A hub that fails on and off
// (a restart that takes a few tries, a proxy that drops some calls) is
// one outage, not a pair of log lines for every failure.
const outageQuiet = 5 * time.Second

// outageLog tells the log about a hub that fails, a bounded number of
// times: one line when it starts failing (with the first failure's
// message), and one when it answers again, with a summary: how long, how
// many calls to it failed, how many requests were answered with a 5xx
// (callers the cache had no answer for), and how many with a cached
// answer past its age (stale-if-error). A service in front of a hub that
// restarts would otherwise log every refused request, thousands a second.
//
// It learns of every call asking the hub about a token (hubCall), every
// request answered with a hub failure (requestFailed) and every stale
// answer (staleUsed). The end is noticed on a call the hub answers at
// least outageQuiet after its last failure; the line says when the hub
// first answered again.
type outageLog struct {
	logger   *slog.Logger
	now      func() time.Time
	staleFor time.Duration

	mu          sync.Mutex
	on          bool
	began       time.Time // the first failure
	lastFailure time.Time
	answered    time.Time   // the first answer after the last failure; zero: none yet
	calls       int         // calls to the hub that failed
	requests    map[int]int // requests answered with the hub's failure, by status
	stale       int
}

func newOutageLog(logger *slog.Logger, staleFor time.Duration) *outageLog {
	return &outageLog{logger: logger, now: time.Now, staleFor: staleFor}
}

// hubCall notes how one call asking the hub about a token ended.
func (o *outageLog) hubCall(err error) {
	if o == nil {
		return
	}
	var hubErr *HubError
	switch {
	case err == nil || errors.Is(err, ErrInvalidToken):
		o.hubAnswered()
	case errors.As(err, &hubErr):
		o.failed(hubErr, true)
	}
}

// requestFailed notes a request answered with the hub's failure.
func (o *outageLog) requestFailed(hubErr *HubError) {
	if o == nil {
		return
	}
	o.failed(hubErr, false)
}

func (o *outageLog) failed(hubErr *HubError, call bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	now := o.now()
	if !o.on {
		o.on, o.began, o.calls, o.requests, o.stale = true, now, 0, map[int]int{}, 0
		o.logger.Error("JupyterHub API failing: callers without a cached answer get 5xx until it answers again",
			"error", hubErr.Message, "stale_if_error", o.staleFor.String())
	}
	o.lastFailure, o.answered = now, time.Time{}
	if call {
		o.calls++
	} else {
		o.requests[hubErr.HTTPStatus()]++
	}
}

func (o *outageLog) hubAnswered() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.on {
		return
	}
	now := o.now()
	if o.answered.IsZero() {
		o.answered = now
	}
	if now.Sub(o.lastFailure) < outageQuiet {
		return
	}
	o.on = false
	o.logger.Warn("JupyterHub API answers again",
		"since", o.answered.Format(time.RFC3339),
		"outage", o.answered.Sub(o.began).Round(time.Millisecond).String(),
		"failed_hub_calls", o.calls,
		"failed_requests", statusCounts(o.requests),
		"stale_answers", o.stale)
}

func (o *outageLog) staleUsed() {
	if o == nil {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.on {
		o.stale++
	}
}

// statusCounts writes requests by status as "503×12 504×1", or "0".
func statusCounts(m map[int]int) string {
	var parts []string
	for _, status := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%d×%d", status, m[status]))
	}
	if len(parts) == 0 {
		return "0"
	}
	return strings.Join(parts, " ")
}
