package hubmetrics

import (
	"context"
	"sync"
	"time"

	"github.com/hubauth-go/whoami/hubauth"
)

// DefaultReadyEvery is how long a readiness answer is reused: probes may
// come every second, and the hub should not be asked that often.
const DefaultReadyEvery = 3 * time.Second

// HubReady is a readiness check for a service built on a: the hub's API
// answered GET {API}/ within the hub timeout ([hubauth.HubClient.Ping]).
func HubReady(a *hubauth.Authenticator) func(context.Context) error {
	return func(ctx context.Context) error {
		_, err := a.Hub().Ping(ctx)
		return err
	}
}

// Readiness runs a check at most once every Every and remembers its
// answer in between, so however often the probes come, the dependency is
// asked rarely; concurrent probes share one check.
type Readiness struct {
	check func(context.Context) error
	every time.Duration
	now   func() time.Time

	mu       sync.Mutex
	checked  time.Time // when the last check finished; zero before the first
	err      error
	inFlight chan struct{} // closed when the check under way ends
}

// NewReadiness makes a Readiness for check; every <= 0 means
// [DefaultReadyEvery].
func NewReadiness(check func(context.Context) error, every time.Duration) *Readiness {
	if every <= 0 {
		every = DefaultReadyEvery
	}
	return &Readiness{check: check, every: every, now: time.Now}
}

// Check returns the last answer when it is recent enough, and otherwise
// runs the check. The check itself is not cancelled when ctx ends (other
// probes may wait for it; the hub client has its own time limit), but a
// caller whose ctx ends stops waiting and gets ctx.Err().
func (r *Readiness) Check(ctx context.Context) error {
	r.mu.Lock()
	if !r.checked.IsZero() && r.now().Sub(r.checked) < r.every {
		err := r.err
		r.mu.Unlock()
		return err
	}
	if r.inFlight == nil {
		done := make(chan struct{})
		r.inFlight = done
		r.mu.Unlock()
		err := r.check(context.WithoutCancel(ctx))
		r.mu.Lock()
		r.checked, r.err, r.inFlight = r.now(), err, nil
		r.mu.Unlock()
		close(done)
		return err
	}
	done := r.inFlight
	r.mu.Unlock()
	select {
	case <-done:
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.err
	case <-ctx.Done():
		return ctx.Err()
	}
}
