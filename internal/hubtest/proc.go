package hubtest

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ProcInfo is what Processes tells a match function about a process.
type ProcInfo struct {
	PID, PPID int
	Args      []string
}

// Processes lists the running processes that match accepts, from /proc:
// how the rig finds what a hub (or a browser) started, to make sure it is
// gone when the test is.
func Processes(match func(ProcInfo) bool) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		dir := filepath.Join("/proc", e.Name())
		stat, err := os.ReadFile(filepath.Join(dir, "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may contain spaces, so split after ')'.
		s := string(stat)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) < 2 {
			continue
		}
		p := ProcInfo{PID: pid}
		p.PPID, _ = strconv.Atoi(f[1])
		if cmdline, err := os.ReadFile(filepath.Join(dir, "cmdline")); err == nil {
			for arg := range bytes.SplitSeq(bytes.TrimSuffix(cmdline, []byte{0}), []byte{0}) {
				p.Args = append(p.Args, string(arg))
			}
		}
		if match(p) {
			out = append(out, pid)
		}
	}
	return out
}
