package probe

import (
	"context"
	"sync"
	"time"
)

// readiness runs a check at most once every every and remembers its
// answer in between, so however often the probes come, the dependency is
// asked rarely; concurrent probes share one check.
type readiness struct {
	run   func(context.Context) error
	every time.Duration
	now   func() time.Time

	mu       sync.Mutex
	checked  time.Time // when the last check finished; zero before the first
	err      error
	inFlight chan struct{} // closed when the check under way ends
}

// newReadiness makes a readiness for run; every <= 0 means DefaultEvery.
func newReadiness(run func(context.Context) error, every time.Duration) *readiness {
	if every <= 0 {
		every = DefaultEvery
	}
	return &readiness{run: run, every: every, now: time.Now}
}

// check returns the last answer when it is recent enough, and otherwise
// runs the check. The check itself is not cancelled when ctx ends (other
// probes may wait for it; the hub client has its own time limit), but a
// caller whose ctx ends stops waiting and gets ctx.Err().
func (r *readiness) check(ctx context.Context) error {
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
		err := r.run(context.WithoutCancel(ctx))
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
