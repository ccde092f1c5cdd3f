package appserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// FreePort returns a loopback TCP port that was free a moment ago, for the
// app to listen on.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// Substitute replaces each {name} in args with vars[name], as
// jhsingle-native-proxy fills in {port}. Unknown {names} stay as they are.
func Substitute(args []string, vars map[string]string) []string {
	pairs := make([]string, 0, 2*len(vars))
	for k, v := range vars {
		pairs = append(pairs, "{"+k+"}", v)
	}
	r := strings.NewReplacer(pairs...)
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = r.Replace(a)
	}
	return out
}

// App is a running web app the proxy started.
type App struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error // from Wait, set before done is closed
}

// Start runs args[0] (looked up in PATH) with args[1:], in env, writing
// its output to stdout and stderr. It runs in its own process group, so
// Stop reaches whatever it starts, and is killed if the proxy dies.
func Start(args []string, env []string, stdout, stderr io.Writer) (*App, error) {
	if len(args) == 0 || args[0] == "" {
		return nil, errors.New("no command to run")
	}
	path, err := exec.LookPath(args[0])
	if err != nil {
		return nil, fmt.Errorf("command %q: %w", args[0], err)
	}
	cmd := exec.Command(path, args[1:]...)
	cmd.Env = env
	cmd.Stdout = stdout
	cmd.Stderr = stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %q: %w", args[0], err)
	}
	a := &App{cmd: cmd, done: make(chan struct{})}
	go func() {
		a.err = cmd.Wait()
		close(a.done)
	}()
	return a, nil
}

// Pid is the app's process id.
func (a *App) Pid() int { return a.cmd.Process.Pid }

// Done is closed when the app has exited.
func (a *App) Done() <-chan struct{} { return a.done }

// ExitCode is the app's exit status once Done is closed: its own code, or
// 128+N when signal N ended it, as a shell reports it.
func (a *App) ExitCode() int {
	<-a.done
	return ExitCode(a.err)
}

// ExitCode turns an error from exec.Cmd.Wait into a shell's exit status.
func ExitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ee.ExitCode()
	}
	return 1
}

// Describe says how the app ended, for a log line or an error.
func (a *App) Describe() string {
	<-a.done
	if a.err == nil {
		return "exited with status 0"
	}
	var ee *exec.ExitError
	if errors.As(a.err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return "was killed by signal " + ws.Signal().String()
		}
		return "exited with status " + strconv.Itoa(ee.ExitCode())
	}
	return "failed: " + a.err.Error()
}

// Stop asks the app's process group to end (SIGTERM) and, if it has not
// after grace, kills it. It returns once the app has exited.
func (a *App) Stop(grace time.Duration) {
	pgid := a.cmd.Process.Pid
	select {
	case <-a.done:
		// The app is gone; take down anything it left in its group.
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		return
	default:
	}
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-a.done:
	case <-time.After(grace):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-a.done
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
}

// ErrNeverReady says the app did not answer within the ready timeout.
var ErrNeverReady = errors.New("the app did not answer in time")

// WaitReady polls url until the app answers with anything but a 5xx (a
// 404 is an app that is up), the app exits, ctx ends, or timeout passes.
// dial, when not nil, makes every connection (to an app on a unix socket).
func (a *App) WaitReady(ctx context.Context, url string, dial func(ctx context.Context, network, addr string) (net.Conn, error), timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{
		Timeout:       2 * time.Second,
		Transport:     &http.Transport{Proxy: nil, DisableKeepAlives: true, DialContext: dial},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	last := "no answer yet"
	for wait := 20 * time.Millisecond; ; wait = min(2*wait, 500*time.Millisecond) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return fmt.Errorf("ready check URL %q: %w", url, err)
		}
		resp, err := client.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
			if resp.StatusCode < 500 {
				return nil
			}
			last = "it answered " + resp.Status
		} else if ctx.Err() == nil {
			last = rootCause(err)
		}
		select {
		case <-a.done:
			return fmt.Errorf("the app %s before answering at %s", a.Describe(), url)
		case <-ctx.Done():
			if ctx.Err() == context.DeadlineExceeded {
				return fmt.Errorf("%w: nothing at %s after %s (%s); raise -ready-timeout if it is slow to start, or check -ready-path and that it listens on {port}",
					ErrNeverReady, url, timeout, last)
			}
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

// rootCause is the innermost error's message, without the URL wrapped
// around it.
func rootCause(err error) string {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err.Error()
		}
		err = u
	}
}
