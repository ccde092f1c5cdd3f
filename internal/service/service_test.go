package service

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hubauth-go/whoami/hubauth"
)

// syncBuffer is a bytes.Buffer safe for the logger and the test at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// freeAddr is a loopback address that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().String()
}

// hubEnv sets the environment a hub gives a service named "x", with a
// fake hub API that knows one token.
func hubEnv(t *testing.T) {
	t.Helper()
	hub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "token 0123456789abcdef0123456789abcdef" {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		fmt.Fprint(w, `{"kind": "user", "name": "ada", "scopes": ["access:services!service=x"]}`)
	}))
	t.Cleanup(hub.Close)
	t.Setenv("JUPYTERHUB_API_TOKEN", "service-token")
	t.Setenv("JUPYTERHUB_API_URL", hub.URL+"/hub/api")
	t.Setenv("JUPYTERHUB_SERVICE_NAME", "x")
	t.Setenv("JUPYTERHUB_SERVICE_PREFIX", "/services/x/")
	t.Setenv("JUPYTERHUB_SERVICE_URL", "http://"+freeAddr(t))
	t.Setenv(MetricsListenEnv, "")
}

// hello is a command that serves the caller's name behind the token
// middleware.
func hello() Command {
	return Command{
		Name:  "hello",
		About: "Says hello.",
		Start: func(_ context.Context, s *Service) (http.Handler, error) {
			return hubauth.UnderPrefix(s.Config.ServicePrefix, s.Auth.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprint(w, "hello "+hubauth.UserFromContext(r.Context()).Name)
			}))), nil
		},
	}
}

// get asks url with the hub's token until the service answers.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	var resp *http.Response
	require.Eventually(t, func() bool {
		req, _ := http.NewRequest("GET", url, nil)
		req.Header.Set("Authorization", "token 0123456789abcdef0123456789abcdef")
		var err error
		resp, err = http.DefaultClient.Do(req)
		return err == nil
	}, 10*time.Second, 20*time.Millisecond)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// A command serves on -listen until its context ends, and then returns
// nil, having run what it asked to be run at the end.
func TestRunServesUntilStopped(t *testing.T) {
	hubEnv(t)
	addr := freeAddr(t)
	cmd := hello()
	stopped := make(chan struct{})
	start := cmd.Start
	cmd.Start = func(ctx context.Context, s *Service) (http.Handler, error) {
		s.OnStop(func() { close(stopped) })
		return start(ctx, s)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var logs syncBuffer
	go func() { done <- Run(ctx, cmd, []string{"-listen", addr, "-access-log"}, io.Discard, &logs) }()

	code, body := get(t, "http://"+addr+"/services/x/")
	require.Equal(t, 200, code)
	require.Equal(t, "hello ada", body)
	code, _ = get(t, "http://"+addr+"/elsewhere")
	require.Equal(t, 404, code)
	require.Contains(t, logs.String(), "service=x")
	require.Contains(t, logs.String(), "path=/services/x/", "-access-log logs each request")

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(15 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	select {
	case <-stopped:
	default:
		t.Fatal("OnStop did not run")
	}
}

// exitError ends a command with a status of its own.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("ended with %d", e.code) }
func (e *exitError) ExitCode() int { return e.code }

// A command that ends itself (a proxy whose app exits) stops the service
// with its own result, which sets the exit status.
func TestRunEndWhen(t *testing.T) {
	hubEnv(t)
	end := make(chan struct{})
	cmd := hello()
	start := cmd.Start
	cmd.Start = func(ctx context.Context, s *Service) (http.Handler, error) {
		s.EndWhen(end, func() error { return &exitError{3} })
		return start(ctx, s)
	}
	done := make(chan error, 1)
	addr := freeAddr(t)
	go func() { done <- Run(context.Background(), cmd, []string{"-listen", addr}, io.Discard, io.Discard) }()
	code, _ := get(t, "http://"+addr+"/services/x/")
	require.Equal(t, 200, code)
	close(end)
	err := <-done
	var msg bytes.Buffer
	require.Equal(t, 3, ExitStatus("hello", err, &msg))
	require.Empty(t, msg.String(), "a status of its own is not a problem to print")
	_, dialErr := net.DialTimeout("tcp", addr, time.Second)
	require.Error(t, dialErr, "the server is down")
}

// Every problem is reported at once, before anything starts, each naming
// its flag or variable; a problem exits 1.
func TestRunReportsEveryProblem(t *testing.T) {
	for _, k := range []string{"JUPYTERHUB_API_TOKEN", "JUPYTERHUB_SERVICE_NAME", "JUPYTERHUB_SERVICE_URL"} {
		t.Setenv(k, "")
	}
	cmd := hello()
	cmd.Flags = func(fs *flag.FlagSet) func([]string) error {
		up := fs.String("upstream", "", "")
		return func([]string) error {
			if *up == "" {
				return errors.New("-upstream: missing")
			}
			return nil
		}
	}
	started := false
	cmd.Start = func(context.Context, *Service) (http.Handler, error) { started = true; return nil, nil }
	err := Run(context.Background(), cmd, []string{"-listen", "8000"}, io.Discard, io.Discard)
	require.Error(t, err)
	for _, want := range []string{"-upstream: missing", "JUPYTERHUB_API_TOKEN: not set", `-listen: want host:port or :port, got "8000"`} {
		require.Contains(t, err.Error(), want)
	}
	require.False(t, started)
	var msg bytes.Buffer
	require.Equal(t, 1, ExitStatus("hello", err, &msg))
	require.True(t, strings.HasPrefix(msg.String(), "hello: "), msg.String())
}

// -h prints what the command is, every variable it reads (hubauth's, the
// shell's and its own) and every flag, and exits 0.
func TestUsage(t *testing.T) {
	cmd := hello()
	cmd.Synopsis = "[flags] [-- command args...]"
	cmd.Settings = []hubauth.Setting{{Name: "HELLO_GREETING", Default: "hello", Doc: "what to say"}}
	cmd.Flags = func(fs *flag.FlagSet) func([]string) error {
		fs.Bool("loud", false, "say it loudly")
		return nil
	}
	var out bytes.Buffer
	err := Run(context.Background(), cmd, []string{"-h"}, io.Discard, &out)
	require.ErrorIs(t, err, flag.ErrHelp)
	require.Zero(t, ExitStatus("hello", err, io.Discard))
	s := out.String()
	require.True(t, strings.HasPrefix(s, "Usage: hello [flags] [-- command args...]\n\nSays hello.\n"), s)
	for _, want := range []string{"JUPYTERHUB_API_TOKEN", "HUBAUTH_CACHE_SIZE", MetricsListenEnv, "HELLO_GREETING",
		"-listen", "-metrics-listen", "-access-log", "-loud"} {
		require.Contains(t, s, want)
	}
}

// The README's configuration tables and -h are written from the same list;
// a setting added to hubauth must be documented in both.
func TestREADMEListsEverySetting(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	for _, s := range append(hubauth.Settings(), hubauth.Setting{Name: MetricsListenEnv}) {
		require.Contains(t, string(readme), "| `"+s.Name+"` |", "README.md lacks a row for %s", s.Name)
	}
}

func TestAccessLogLeavesOutTheQuery(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	h := accessLog(logger, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/p?token=secret-token", nil))
	require.Contains(t, logs.String(), "status=403")
	require.Contains(t, logs.String(), "path=/p")
	require.NotContains(t, logs.String(), "secret-token")
}
