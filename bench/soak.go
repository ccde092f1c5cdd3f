package bench

import (
	"fmt"
	"maps"
	"net/http"
	"sort"
	"sync"
	"time"
)

// RecoveryGrace is how long after a fault ends errors are still put down to
// it: the "within 5 s of the hub coming back, 0 errors".
const RecoveryGrace = 5 * time.Second

// Fault is one scheduled failure: from Start until End (zero while it
// lasts), plus RecoveryGrace, clear 5xx answers are expected.
type Fault struct {
	Name       string
	Start, End time.Time
	// Tolerated counts the clear 5xx answers of services put down to this
	// fault, by status.
	Tolerated map[int]int
	// HubPages counts the failed requests to the hub itself (login pages,
	// token creation) while the fault lasted, by status (0: no answer).
	HubPages map[int]int
	// ByClass counts the tolerated errors by class of caller.
	ByClass map[string]int
	// MaxLatency is the slowest service answer that overlapped the fault.
	MaxLatency time.Duration
	// LastError is when the last tolerated error of this fault ended.
	LastError time.Time
}

// Violation is an answer that breaks a rule of the soak.
type Violation struct {
	At     time.Duration // since the run began
	Class  string
	Detail string
}

// Recorder judges and counts every answer of a soak, second by second. It
// is safe for concurrent use.
type Recorder struct {
	T0 time.Time

	mu         sync.Mutex
	faults     []*Fault
	seconds    []second
	violations []Violation
	nViolation int
	wrongUser  int
	classes    map[string]*ClassStats
	browsers   map[string][]int32 // per browser, 200s per second
	lostLogin  map[string]int
}

// ClassStats counts the answers to one kind of caller.
type ClassStats struct {
	OK, Tolerated, Violations int
	MaxLatency                time.Duration
}

type second struct {
	ok, tolerated, violations int
	knownOK, knownErrors      int // of Known callers
}

// maxViolationsKept bounds the violations kept for the report (all are
// counted).
const maxViolationsKept = 200

// NewRecorder starts a recorder whose clock begins at t0.
func NewRecorder(t0 time.Time) *Recorder {
	return &Recorder{T0: t0, classes: map[string]*ClassStats{}, browsers: map[string][]int32{}, lostLogin: map[string]int{}}
}

// AddBrowser makes the soak expect answers for the logged-in browser of
// user after every fault.
func (r *Recorder) AddBrowser(user string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.browsers[user]; !ok {
		r.browsers[user] = nil
	}
}

// BeginFault opens a fault window and returns it for EndFault.
func (r *Recorder) BeginFault(name string) *Fault {
	r.mu.Lock()
	defer r.mu.Unlock()
	f := &Fault{Name: name, Start: time.Now(), Tolerated: map[int]int{}, HubPages: map[int]int{}, ByClass: map[string]int{}}
	r.faults = append(r.faults, f)
	return f
}

// EndFault closes f: the fault is over (the hub answers again, the
// replica is back, the hub is fast again).
func (r *Recorder) EndFault(f *Fault) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f.End = time.Now()
}

// Faults are the fault windows so far.
func (r *Recorder) Faults() []Fault {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Fault, len(r.faults))
	for i, f := range r.faults {
		out[i] = *f
		out[i].Tolerated, out[i].HubPages, out[i].ByClass = maps.Clone(f.Tolerated), maps.Clone(f.HubPages), maps.Clone(f.ByClass)
	}
	return out
}

// faultAt returns the fault whose window, grace included, overlaps
// [start, end], or nil. r.mu is held.
func (r *Recorder) faultAt(start, end time.Time) *Fault {
	for i := len(r.faults) - 1; i >= 0; i-- {
		f := r.faults[i]
		if end.Before(f.Start) {
			continue
		}
		if f.End.IsZero() || !start.After(f.End.Add(RecoveryGrace)) {
			return f
		}
	}
	return nil
}

// ClearStatus reports whether status is one of the clear 5xx a service
// gives when the hub fails: 502, 503, 504. A 500 never is.
func ClearStatus(status int) bool {
	return status == http.StatusBadGateway || status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout
}

// Answer is one request's outcome, as the load goroutine judged it.
type Answer struct {
	Class   string
	Browser string // the browser's user, for cookie requests
	Start   time.Time
	Latency time.Duration
	Status  int   // 0: no answer
	Err     error // transport error or time limit
	// Good: the answer is the one wanted (right status, right user).
	Good bool
	// WrongUser: a 200 that names someone other than the caller.
	WrongUser bool
	// LostLogin: a logged-in browser was sent to log in again.
	LostLogin bool
	// Known: a caller the services answered before the fault (a cached
	// token, a logged-in browser), which the soak expects to be answered
	// through hub faults as well; counted apart, second by second.
	Known bool
	// HubPage: the request went to the hub itself (a login page, the
	// REST API), not to a service. The hub is the peer, not what is under
	// test: while a fault lasts, whatever it answers (nothing while it is
	// down, its proxy's 404 while it starts) is expected.
	HubPage bool
	// Steps is how many requests the answer stands for (a login is
	// several); 0 or 1 is one request, whose latency counts as the
	// slowest service answer of a fault.
	Steps int
	// Detail says what was wrong, for the report; never a token.
	Detail string
}

// Record judges a: a good answer counts as good; a clear 5xx (or, for a
// hub page, no answer) overlapping a fault window is tolerated; anything
// else is a violation. A wrong user or a lost login is a violation always.
func (r *Recorder) Record(a Answer) {
	end := a.Start.Add(a.Latency)
	sec := int(end.Sub(r.T0) / time.Second)
	r.mu.Lock()
	defer r.mu.Unlock()
	for len(r.seconds) <= sec {
		r.seconds = append(r.seconds, second{})
	}
	cs := r.classes[a.Class]
	if cs == nil {
		cs = &ClassStats{}
		r.classes[a.Class] = cs
	}
	cs.MaxLatency = max(cs.MaxLatency, a.Latency)
	f := r.faultAt(a.Start, end)
	if f != nil && !a.HubPage && a.Steps <= 1 {
		f.MaxLatency = max(f.MaxLatency, a.Latency)
	}
	if a.Good && !a.WrongUser && !a.LostLogin {
		cs.OK++
		r.seconds[sec].ok++
		if a.Known {
			r.seconds[sec].knownOK++
		}
		if a.Browser != "" {
			s := r.browsers[a.Browser]
			for len(s) <= sec {
				s = append(s, 0)
			}
			s[sec]++
			r.browsers[a.Browser] = s
		}
		return
	}
	if a.Known {
		r.seconds[sec].knownErrors++
	}
	tolerable := ClearStatus(a.Status) || a.HubPage
	if f != nil && tolerable && !a.WrongUser && !a.LostLogin {
		cs.Tolerated++
		r.seconds[sec].tolerated++
		if f.ByClass == nil {
			f.ByClass = map[string]int{}
		}
		f.ByClass[a.Class]++
		if a.HubPage {
			if f.HubPages == nil {
				f.HubPages = map[int]int{}
			}
			f.HubPages[a.Status]++
		} else {
			f.Tolerated[a.Status]++
		}
		if end.After(f.LastError) {
			f.LastError = end
		}
		return
	}
	cs.Violations++
	r.seconds[sec].violations++
	r.nViolation++
	if a.WrongUser {
		r.wrongUser++
	}
	if a.LostLogin {
		r.lostLogin[a.Browser]++
	}
	if len(r.violations) < maxViolationsKept {
		d := a.Detail
		switch {
		case a.Err != nil:
			d = fmt.Sprintf("%s: %v", d, a.Err)
		case a.Status != 0:
			d = fmt.Sprintf("%s: status %d", d, a.Status)
		}
		if f == nil && tolerable {
			d += " (outside every fault window)"
		}
		r.violations = append(r.violations, Violation{At: end.Sub(r.T0), Class: a.Class, Detail: d})
	}
}

// Summary is what a soak recorded.
type Summary struct {
	Seconds    []SecondCounts
	Classes    map[string]ClassStats
	Violations []Violation
	NViolation int
	WrongUser  int
	LostLogin  map[string]int
	Faults     []Fault
	// BrowsersNotBack lists, per fault, the browsers that had no good
	// answer after the fault ended.
	BrowsersNotBack map[string][]string
}

// SecondCounts are the answers that ended in one second of the run; the
// Known ones are of Known callers.
type SecondCounts struct {
	OK, Tolerated, Violations int
	KnownOK, KnownErrors      int
}

// Summary copies what was recorded, and finds the browsers that never got
// an answer again after some fault.
func (r *Recorder) Summary() Summary {
	faults := r.Faults()
	r.mu.Lock()
	defer r.mu.Unlock()
	s := Summary{Classes: map[string]ClassStats{}, NViolation: r.nViolation, WrongUser: r.wrongUser,
		LostLogin: map[string]int{}, Faults: faults, BrowsersNotBack: map[string][]string{}}
	for _, sc := range r.seconds {
		s.Seconds = append(s.Seconds, SecondCounts{sc.ok, sc.tolerated, sc.violations, sc.knownOK, sc.knownErrors})
	}
	for k, v := range r.classes {
		s.Classes[k] = *v
	}
	s.Violations = append(s.Violations, r.violations...)
	for k, v := range r.lostLogin {
		s.LostLogin[k] = v
	}
	for _, f := range faults {
		if f.End.IsZero() {
			continue
		}
		after := int(f.End.Sub(r.T0)/time.Second) + 1
		for name, secs := range r.browsers {
			back := false
			for i := after; i < len(secs); i++ {
				if secs[i] > 0 {
					back = true
					break
				}
			}
			if !back {
				s.BrowsersNotBack[f.Name] = append(s.BrowsersNotBack[f.Name], name)
			}
		}
		sort.Strings(s.BrowsersNotBack[f.Name])
	}
	return s
}

// Dip compares the good answers per second while fault f lasted with
// those before it: the median of the seconds in the span before its start
// (t0 is the run's start), and the lowest average over width consecutive
// seconds wholly inside it. A hub fault the services ride out leaves the
// two close; one they do not, with lowest near zero.
func (s Summary) Dip(f Fault, t0 time.Time, before time.Duration, width int) (median, lowest float64) {
	ok := func(i int) float64 {
		if i < 0 || i >= len(s.Seconds) {
			return 0
		}
		return float64(s.Seconds[i].OK)
	}
	start := int(f.Start.Sub(t0) / time.Second)
	end := int(f.End.Sub(t0) / time.Second)
	var prior []float64
	for i := max(0, start-int(before/time.Second)); i < start; i++ {
		prior = append(prior, ok(i))
	}
	if len(prior) > 0 {
		sort.Float64s(prior)
		median = prior[len(prior)/2]
	}
	lowest = -1
	// From the first whole second of the fault to its last whole one.
	for i := start + 1; i+width <= end; i++ {
		sum := 0.0
		for j := i; j < i+width; j++ {
			sum += ok(j)
		}
		if avg := sum / float64(width); lowest < 0 || avg < lowest {
			lowest = avg
		}
	}
	return median, max(lowest, 0)
}
