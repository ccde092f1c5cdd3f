package hubtest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Process is a command started by StartProcess: its own process group, its
// output captured, stopped at the end of the test if still running.
type Process struct {
	cmd    *exec.Cmd
	out    *LockedBuffer
	done   chan struct{}
	err    error // exit status, set before done is closed
	stopMu sync.Mutex
}

// StartProcess runs path with exactly env (plus PATH and HOME, so nothing
// from the test's own environment leaks in), and waits until it accepts TCP
// connections at waitAddr (skipped when waitAddr is empty).
func StartProcess(t testing.TB, path string, env []string, waitAddr string, args ...string) *Process {
	t.Helper()
	base := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	p := startIn(t, "", path, append(base, env...), args...)
	if waitAddr != "" {
		if err := p.waitListening(waitAddr, 30*time.Second); err != nil {
			t.Fatalf("%s: %v\noutput:\n%s", path, err, tail(p.Output(), 4000))
		}
	}
	return p
}

// startIn starts path in dir with exactly env, in its own process group,
// and stops it when the test ends.
func startIn(t testing.TB, dir, path string, env []string, args ...string) *Process {
	t.Helper()
	p := &Process{out: &LockedBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(path, args...)
	p.cmd.Dir = dir
	p.cmd.Env = env
	p.cmd.Stdout = p.out
	p.cmd.Stderr = p.out
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		if p.Running() {
			_ = p.Stop()
		}
		if t.Failed() {
			t.Logf("output of %s:\n%s", path, tail(p.Output(), 4000))
		}
	})
	return p
}

func (p *Process) waitListening(addr string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if !p.Running() {
			return fmt.Errorf("exited before listening on %s: %v", addr, p.err)
		}
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("not listening on %s after %s", addr, limit)
}

// Running reports whether the process has not exited yet.
func (p *Process) Running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// Stop sends SIGTERM to the process group and waits for the exit; after 15
// seconds it kills the group. It returns the exit error, nil for a clean
// exit.
func (p *Process) Stop() error {
	p.stopMu.Lock()
	defer p.stopMu.Unlock()
	if !p.Running() {
		return p.err
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
		return p.err
	case <-time.After(15 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
		return errors.New("did not stop within 15s of SIGTERM; killed")
	}
}

// Output is everything the process wrote to stdout and stderr so far.
func (p *Process) Output() string { return p.out.String() }

// Pid is the process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// LockedBuffer collects a process's output, written from other goroutines.
type LockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *LockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *LockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// tail returns the last n bytes of s.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
