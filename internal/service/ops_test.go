package service

import (
	"bytes"
	"context"
	"flag"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/hubauth-go/whoami/hubauth"
)

// parseFlags is the command's flag set with -metrics-listen, parsed.
func parseFlags(t *testing.T, args ...string) (*flag.FlagSet, string) {
	t.Helper()
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	v := metricsListenFlag(fs)
	require.NoError(t, fs.Parse(args))
	return fs, *v
}

func TestListenOps(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer busy.Close()

	for _, tc := range []struct {
		name  string
		env   string
		args  []string
		on    bool
		error string
	}{
		{name: "off by default"},
		{name: "from the environment", env: "127.0.0.1:0", on: true},
		{name: "the flag wins", env: busy.Addr().String(), args: []string{"-metrics-listen", "127.0.0.1:0"}, on: true},
		{name: "an empty flag turns it off", env: "127.0.0.1:0", args: []string{"-metrics-listen="}},
		{name: "address in use, from the environment", env: busy.Addr().String(),
			error: "HUBAUTH_METRICS_LISTEN: cannot listen on " + busy.Addr().String() + ": bind: address already in use"},
		{name: "address in use, from the flag", args: []string{"-metrics-listen", busy.Addr().String()},
			error: "-metrics-listen: cannot listen on " + busy.Addr().String() + ": bind: address already in use"},
		{name: "no port", env: "localhost", error: `HUBAUTH_METRICS_LISTEN: want host:port or :port, got "localhost"`},
		{name: "a URL", env: "http://0.0.0.0:9090", error: `HUBAUTH_METRICS_LISTEN: want host:port or :port, got "http://0.0.0.0:9090"`},
		{name: "bad port", args: []string{"-metrics-listen", ":nine"}, error: "-metrics-listen: cannot listen on :nine:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(MetricsListenEnv, tc.env)
			fs, v := parseFlags(t, tc.args...)
			ops, err := listenOps(fs, v)
			if tc.error != "" {
				require.ErrorContains(t, err, tc.error)
				require.Nil(t, ops)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.on, ops != nil)
			if ops != nil {
				require.NotNil(t, ops.observer())
				ops.ln.Close()
			} else {
				require.Nil(t, ops.observer(), "off: nothing observes")
				require.NotNil(t, ops.registerer(), "off: a command registers all the same")
			}
		})
	}
}

// The operations listener serves the metrics of the Authenticator it
// observes, and its probes, until the context ends.
func TestOpsServe(t *testing.T) {
	hub := http.NewServeMux()
	hub.HandleFunc("GET /hub/api/{$}", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"version": "6.1.1"}`))
	})
	hubSrv := &http.Server{Handler: hub}
	hubLn, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go hubSrv.Serve(hubLn)
	defer hubSrv.Close()

	t.Setenv(MetricsListenEnv, "127.0.0.1:0")
	fs, v := parseFlags(t)
	ops, err := listenOps(fs, v)
	require.NoError(t, err)
	auth, err := hubauth.New(hubauth.Config{
		APIURL: "http://" + hubLn.Addr().String() + "/hub/api", APIToken: "t", ServicePrefix: "/", BaseURL: "/",
		AccessScopes: []string{"access:services!service=x"}, CacheSize: 10, HubTimeout: time.Second,
	}, hubauth.WithObserver(ops.observer()))
	require.NoError(t, err)
	// A command's own metric, registered where Service.Metrics points.
	own := prometheus.NewCounter(prometheus.CounterOpts{Name: "command_things_total", Help: "Things."})
	ops.registerer().MustRegister(own)
	own.Add(2)
	var logs bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	s := &Service{Auth: auth, Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	s.serveListeners(ctx, ops)
	base := "http://" + ops.ln.Addr().String()

	// A request refused without a token, counted.
	w := &nopWriter{h: http.Header{}}
	r, _ := http.NewRequest("GET", "/", nil)
	auth.Middleware(http.NotFoundHandler()).ServeHTTP(w, r)

	for path, want := range map[string]string{
		"/healthz": "ok\n",
		"/readyz":  "ok\n",
		"/metrics": `hubauth_requests_total{outcome="no_token"} 1`,
	} {
		resp, err := http.Get(base + path)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, 200, resp.StatusCode, path)
		require.Contains(t, string(body), want, path)
	}
	resp, err := http.Get(base + "/metrics")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Contains(t, string(body), "go_goroutines", "the process's own metrics are there too")
	require.Contains(t, string(body), "command_things_total 2", "and the command's")
	require.Contains(t, string(body), `hubauth_hub_request_duration_seconds_count{method="GET",path="/",result="200"} 1`)
	require.Contains(t, logs.String(), "operations listener")

	cancel()
	require.Eventually(t, func() bool {
		_, err := net.DialTimeout("tcp", ops.ln.Addr().String(), 100*time.Millisecond)
		return err != nil
	}, 5*time.Second, 20*time.Millisecond, "closed when the context ends")
}
