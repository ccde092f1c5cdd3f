package proxycmd

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hubauth-go/whoami/hubauth"
	"github.com/hubauth-go/whoami/hubauth/hubproxy"
	"github.com/hubauth-go/whoami/internal/appserver"
	"github.com/hubauth-go/whoami/internal/hubtest"
	"github.com/hubauth-go/whoami/internal/service"
)

// serviceEnv sets the environment a hub gives a managed service, with
// nothing listening at the hub's API (these tests never get that far),
// and returns the address the proxy will listen on.
func serviceEnv(t *testing.T) string {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", hubtest.FreePort(t))
	for k, v := range map[string]string{
		"JUPYTERHUB_API_TOKEN":      "service-token-0123456789",
		"JUPYTERHUB_API_URL":        "http://127.0.0.1:1/hub/api",
		"JUPYTERHUB_SERVICE_NAME":   "app",
		"JUPYTERHUB_SERVICE_URL":    "http://" + addr,
		"JUPYTERHUB_SERVICE_PREFIX": "/services/app/",
	} {
		t.Setenv(k, v)
	}
	return addr
}

func run(t *testing.T, ctx context.Context, args ...string) (error, string) {
	t.Helper()
	var out hubtest.LockedBuffer
	err := service.Run(ctx, Command(), args, &out, &out)
	return err, out.String()
}

func TestBadInput(t *testing.T) {
	tests := []struct {
		name string
		env  bool
		args []string
		want []string
	}{
		{"no upstream and no command", true, nil, []string{"-upstream: missing", "-- panel serve"}},
		{"not a URL", true, []string{"-upstream", "http://[::1"}, []string{"-upstream: want a URL"}},
		{"not http", true, []string{"-upstream", "ftp://127.0.0.1:9000"}, []string{"-upstream: want an http or https URL"}},
		{"no host", true, []string{"-upstream", "127.0.0.1:9000"}, []string{"-upstream"}},
		{"a bad port", true, []string{"-upstream", "http://127.0.0.1:99999"}, []string{"-upstream: bad port"}},
		{"{port} without a command", true, []string{"-upstream", "http://127.0.0.1:{port}"}, []string{"only a command after -- fills in"}},
		{"credentials in the URL", true, []string{"-upstream", "http://u:secret@127.0.0.1:9000"}, []string{"credentials"}},
		{"a bad ready path and timeout", true, []string{"-ready-path", "ready", "-ready-timeout", "0s", "--", "true"},
			[]string{"-ready-path: want a path", "-ready-timeout: must be positive"}},
		{"a bad auth endpoint", true, []string{"-upstream", "http://127.0.0.1:9000", "-auth-endpoint", "auth"}, []string{"-auth-endpoint: want a path"}},
		{"bad forward-auth settings", true, []string{"-upstream", "http://127.0.0.1:9000", "-forward-auth-listen", "4181",
			"-cookie-path", "app", "-allowed-redirect-host", "https://app/"}, []string{"-forward-auth-listen: want host:port", "cookie path", "return hosts"}},
		{"{unix_socket} without a command", true, []string{"-upstream", "unix:{unix_socket}"}, []string{"only a command after -- fills in"}},
		{"a relative socket", true, []string{"-upstream", "unix:app.sock"}, []string{"want unix:/absolute/path"}},
		{"an unknown flag", true, []string{"-upstreem", "x"}, []string{"flag provided but not defined: -upstreem"}},
		{"no hub environment, every problem at once", false, []string{"-upstream", "ftp://x"},
			[]string{"-upstream: want an http", "JUPYTERHUB_API_TOKEN: not set"}},
		{"a command that does not exist", true, []string{"--", "no-such-app-hubauth-test", "--port", "{port}"},
			[]string{`command "no-such-app-hubauth-test"`, "not found"}},
		{"an app that exits before answering", true, []string{"-ready-timeout", "20s", "--", "sh", "-c", "exit 4"},
			[]string{"the app exited with status 4 before answering"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.env {
				serviceEnv(t)
			} else {
				for _, k := range []string{"JUPYTERHUB_API_TOKEN", "JUPYTERHUB_SERVICE_NAME", "JUPYTERHUB_SERVICE_URL"} {
					t.Setenv(k, "")
				}
			}
			err, out := run(t, context.Background(), tc.args...)
			require.Error(t, err)
			var msg bytes.Buffer
			require.Equal(t, 1, service.ExitStatus(Name, err, &msg), "a problem exits 1")
			require.True(t, strings.HasPrefix(msg.String(), "hubauth-proxy: "), msg.String())
			for _, w := range tc.want {
				require.Contains(t, msg.String()+out, w)
			}
			require.NotContains(t, msg.String()+out, ":secret@", "credentials are redacted")
		})
	}
}

// sleepers lists the processes running `sleep` with the given argument.
func sleepers(arg string) []int {
	return hubtest.Processes(func(p hubtest.ProcInfo) bool {
		return len(p.Args) == 2 && filepath.Base(p.Args[0]) == "sleep" && p.Args[1] == arg
	})
}

func TestAppNeverReady(t *testing.T) {
	serviceEnv(t)
	arg := strconv.Itoa(1000 + os.Getpid()%1000) // tells this test's sleep from others
	start := time.Now()
	err, _ := run(t, context.Background(), "-ready-timeout", "700ms", "--", "sleep", arg)
	require.ErrorContains(t, err, "the app did not answer in time: nothing at http://127.0.0.1:")
	require.ErrorContains(t, err, "after 700ms")
	require.Less(t, time.Since(start), 10*time.Second)
	require.Empty(t, sleepers(arg), "the app that never answered is stopped")
}

// pyServer is an app that answers HTTP on {port} for a while and then
// exits with status 5.
var pyServer = []string{"python3", "-c", `
import http.server, sys, threading, time
srv = http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), http.server.SimpleHTTPRequestHandler)
threading.Thread(target=srv.serve_forever, daemon=True).start()
time.sleep(float(sys.argv[2]))
sys.exit(5)
`, "{port}"}

func TestAppExitEndsTheProxy(t *testing.T) {
	addr := serviceEnv(t)
	done := make(chan error, 1)
	go func() {
		err, _ := run(t, context.Background(), append(append([]string{"--"}, pyServer...), "3")...)
		done <- err
	}()
	// While the app runs, the proxy answers (here: sends a browser to log in).
	require.Eventually(t, func() bool {
		resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Get("http://" + addr + "/services/app/")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusFound
	}, 10*time.Second, 50*time.Millisecond)
	select {
	case err := <-done:
		require.Equal(t, 5, service.ExitStatus(Name, err, &bytes.Buffer{}), "the proxy exits with the app's status: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("the proxy did not exit after the app did")
	}
	_, err := net.DialTimeout("tcp", addr, time.Second)
	require.Error(t, err, "the proxy stopped listening")
}

func TestStopStopsTheApp(t *testing.T) {
	addr := serviceEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		err, _ := run(t, ctx, append(append([]string{"--"}, pyServer...), "600")...)
		done <- err
	}()
	require.Eventually(t, func() bool {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
		}
		return err == nil
	}, 10*time.Second, 50*time.Millisecond)
	apps := hubtest.Processes(func(p hubtest.ProcInfo) bool {
		return len(p.Args) > 0 && strings.HasPrefix(filepath.Base(p.Args[0]), "python3") && p.PPID == os.Getpid() && slicesContain(p.Args, "600")
	})
	require.Len(t, apps, 1, "the app runs")

	cancel() // what SIGTERM from the hub does
	select {
	case err := <-done:
		require.NoError(t, err)
		require.Equal(t, 0, service.ExitStatus(Name, err, &bytes.Buffer{}))
	case <-time.After(20 * time.Second):
		t.Fatal("the proxy did not stop")
	}
	require.Error(t, syscallKill0(apps[0]), "the app is gone")
}

func slicesContain(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// The README's table lists every variable the proxy reads beyond
// hubauth's, as -h does.
func TestREADMEListsProxySettings(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	for _, s := range Settings() {
		require.Contains(t, string(readme), "| `"+s.Name+"` |", "README.md lacks a row for %s", s.Name)
	}
	for _, f := range []string{"-upstream", "-strip-prefix", "-pass-host-header", "-trust-forwarded", "-pass-user-model", "-pass-access-token",
		"-keep-hub-credentials", "-allowed-group", "-auth-endpoint", "-forward-auth-listen", "-cookie-path", "-allowed-redirect-host",
		"-ready-path", "-ready-timeout", "-access-log"} {
		require.Contains(t, string(readme), "| `"+f, "README.md lacks a row for %s", f)
	}
}

// The command's routes, before any hub call: the forward-auth endpoint
// outside the prefix, the prefix behind the login, nothing else.
func TestHandlerRoutes(t *testing.T) {
	serviceEnv(t)
	cfg, err := hubauth.FromEnv()
	require.NoError(t, err)
	auth, err := hubauth.New(cfg)
	require.NoError(t, err)
	login, err := hubauth.NewOAuth(auth)
	require.NoError(t, err)
	proxy, err := hubproxy.New(auth, hubproxy.Options{Upstream: &url.URL{Scheme: "http", Host: "127.0.0.1:1"}})
	require.NoError(t, err)
	rt := Routes{Prefix: cfg.ServicePrefix, AuthEndpoint: "/_hubauth/auth", Login: login, Proxy: proxy,
		Activity: appserver.NewActivity(appserver.ActivityConfig{}, nil, nil), DefaultURL: "/app", HubVersion: "6.1.1"}
	h := rt.Handler()
	tests := []struct {
		method, path string
		status       int
		location     string
	}{
		{"GET", "/_hubauth/auth", 401, ""},
		{"GET", "/services/app/page", 302, "/hub/api/oauth2/authorize?"},
		{"GET", "/services/app/", 302, "/services/app/app"},
		{"GET", "/services/app", 302, "/services/app/app"},
		{"POST", "/services/app/", 403, ""},
		{"POST", "/services/app/page", 403, ""},
		{"GET", "/services/other/", 404, ""},
		{"GET", "/", 404, ""},
		{"GET", "/services/app/oauth_callback", 400, ""},
		{"GET", "/services/app/_hubauth/sign_in?rd=/services/app/page", 302, "/hub/api/oauth2/authorize?"},
		{"GET", "/services/app/_hubauth/sign_in?rd=https://evil.example/", 400, ""},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tc.method, "http://127.0.0.1"+tc.path, nil))
			require.Equal(t, tc.status, rec.Code, rec.Body.String())
			require.Contains(t, rec.Header().Get("Location"), tc.location)
			require.Equal(t, "6.1.1", rec.Header().Get("X-JupyterHub-Version"), "on every answer of a user's server")
		})
	}
}

// The sign-in link's rd: encoded, or a plain URL as nginx's $request_uri
// writes it, whose own query has '&'.
func TestReturnURL(t *testing.T) {
	for _, tc := range []struct{ query, want string }{
		{"rd=" + url.QueryEscape("https://app.example.org/a?x=1&y=2"), "https://app.example.org/a?x=1&y=2"},
		{"rd=https://app.example.org/a?x=1&y=2", "https://app.example.org/a?x=1&y=2"},
		{"x=1&rd=/services/app/p?q=1&z=2", "/services/app/p?q=1&z=2"},
		{"ard=https://evil/", ""},
		{"", ""},
	} {
		r := httptest.NewRequest("GET", "/services/app/_hubauth/sign_in?"+tc.query, nil)
		require.Equal(t, tc.want, returnURL(r), tc.query)
	}
}
