package bench

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestRecorderJudgesAnswersAgainstFaultWindows(t *testing.T) {
	t0 := time.Now().Add(-time.Minute)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	newRec := func() *Recorder {
		r := NewRecorder(t0)
		r.faults = append(r.faults, &Fault{Name: "hub down", Start: at(10), End: at(20), Tolerated: map[int]int{}})
		return r
	}
	ms := time.Millisecond
	cases := []struct {
		name                 string
		a                    Answer
		ok, tolerated, wrong int
	}{
		{"good answer", Answer{Start: at(1), Latency: ms, Status: 200, Good: true}, 1, 0, 0},
		{"503 before the fault", Answer{Start: at(5), Latency: ms, Status: 503}, 0, 0, 0},
		{"503 during the fault", Answer{Start: at(12), Latency: ms, Status: 503}, 0, 1, 0},
		{"504 started before, ended during", Answer{Start: at(9), Latency: 2 * time.Second, Status: 504}, 0, 1, 0},
		{"502 within 5 s of the end", Answer{Start: at(24.5), Latency: ms, Status: 502}, 0, 1, 0},
		{"503 more than 5 s after the end", Answer{Start: at(25.5), Latency: ms, Status: 503}, 0, 0, 0},
		{"500 during the fault", Answer{Start: at(12), Latency: ms, Status: 500}, 0, 0, 0},
		{"a hang during the fault", Answer{Start: at(12), Latency: 9 * time.Second, Err: errors.New("timeout")}, 0, 0, 0},
		{"hub page unreachable during the fault", Answer{Start: at(12), Latency: ms, Err: errors.New("refused"), HubPage: true}, 0, 1, 0},
		{"hub page 404 while it starts", Answer{Start: at(19), Latency: ms, Status: 404, HubPage: true}, 0, 1, 0},
		{"hub page unreachable outside", Answer{Start: at(40), Latency: ms, Err: errors.New("refused"), HubPage: true}, 0, 0, 0},
		{"wrong user during the fault", Answer{Start: at(12), Latency: ms, Status: 200, Good: true, WrongUser: true}, 0, 0, 1},
		{"lost login during the fault", Answer{Start: at(12), Latency: ms, Status: 302, LostLogin: true, Browser: "b"}, 0, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRec()
			c.a.Class = "x"
			r.Record(c.a)
			s := r.Summary()
			cs := s.Classes["x"]
			require.Equal(t, c.ok, cs.OK, "good")
			require.Equal(t, c.tolerated, cs.Tolerated, "tolerated")
			require.Equal(t, 1-c.ok-c.tolerated, cs.Violations, "violations")
			require.Equal(t, c.wrong, s.WrongUser)
			require.Equal(t, cs.Violations, s.NViolation)
			if cs.Violations > 0 {
				require.Len(t, s.Violations, 1)
			}
		})
	}
}

func TestRecorderFindsBrowsersThatDidNotComeBack(t *testing.T) {
	t0 := time.Now().Add(-time.Minute)
	r := NewRecorder(t0)
	r.faults = append(r.faults, &Fault{Name: "replica killed", Start: t0.Add(10 * time.Second), End: t0.Add(20 * time.Second), Tolerated: map[int]int{}})
	for _, b := range []string{"back", "gone", "silent"} {
		r.AddBrowser(b)
	}
	r.Record(Answer{Class: "browser", Browser: "back", Start: t0.Add(5 * time.Second), Latency: time.Millisecond, Status: 200, Good: true})
	r.Record(Answer{Class: "browser", Browser: "back", Start: t0.Add(30 * time.Second), Latency: time.Millisecond, Status: 200, Good: true})
	r.Record(Answer{Class: "browser", Browser: "gone", Start: t0.Add(5 * time.Second), Latency: time.Millisecond, Status: 200, Good: true})
	r.Record(Answer{Class: "browser", Browser: "gone", Start: t0.Add(30 * time.Second), Latency: time.Millisecond, Status: 302, LostLogin: true})
	s := r.Summary()
	require.Equal(t, []string{"gone", "silent"}, s.BrowsersNotBack["replica killed"])
	require.Equal(t, map[string]int{"gone": 1}, s.LostLogin)
}

// Known callers' answers are counted apart, and a fault's errors by class.
func TestRecorderCountsKnownCallersAndClasses(t *testing.T) {
	t0 := time.Now().Add(-time.Minute)
	r := NewRecorder(t0)
	r.faults = append(r.faults, &Fault{Name: "hub down", Start: t0.Add(10 * time.Second), End: t0.Add(20 * time.Second), Tolerated: map[int]int{}})
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	r.Record(Answer{Class: "cached token", Known: true, Start: at(1), Latency: time.Millisecond, Status: 200, Good: true})
	r.Record(Answer{Class: "cached token", Known: true, Start: at(12), Latency: time.Millisecond, Status: 503})
	r.Record(Answer{Class: "fresh token", Start: at(12), Latency: time.Millisecond, Status: 503})
	r.Record(Answer{Class: "fresh token", Start: at(13), Latency: time.Millisecond, Status: 503})
	s := r.Summary()
	require.Equal(t, SecondCounts{OK: 1, KnownOK: 1}, s.Seconds[1])
	require.Equal(t, SecondCounts{Tolerated: 2, KnownErrors: 1}, s.Seconds[12])
	require.Equal(t, map[string]int{"cached token": 1, "fresh token": 2}, s.Faults[0].ByClass)
}

// Dip finds the lowest stretch of good answers inside a fault and the
// level before it.
func TestSummaryDip(t *testing.T) {
	t0 := time.Now()
	var s Summary
	for i := range 60 {
		n := 100
		if i >= 32 && i < 35 {
			n = 0 // a dip inside the fault
		}
		s.Seconds = append(s.Seconds, SecondCounts{OK: n})
	}
	f := Fault{Start: t0.Add(30 * time.Second), End: t0.Add(45 * time.Second)}
	median, lowest := s.Dip(f, t0, 20*time.Second, 3)
	require.Equal(t, 100.0, median)
	require.Equal(t, 0.0, lowest)
	median, lowest = s.Dip(f, t0, 20*time.Second, 5)
	require.Equal(t, 100.0, median)
	require.InDelta(t, 40.0, lowest, 1e-9, "three empty seconds in five")
	s.Seconds[33].OK = 100
	_, lowest = s.Dip(Fault{Start: t0.Add(40 * time.Second), End: t0.Add(50 * time.Second)}, t0, 20*time.Second, 3)
	require.Equal(t, 100.0, lowest, "no dip")
}
