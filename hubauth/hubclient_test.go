package hubauth

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestHubClientUserForToken(t *testing.T) {
	hub := newFakeHub(t)
	hub.addUser(adaToken, adaModel)
	c, err := newHubClient(testConfig(hub.apiURL()))
	require.NoError(t, err)

	u, err := c.userForToken(context.Background(), adaToken)
	require.NoError(t, err)
	require.Equal(t, "ada", u.Name)
	require.Equal(t, "user", u.Kind)
	require.Equal(t, []string{"g"}, u.Groups)
	require.JSONEq(t, adaModel, string(u.JSON()))

	_, err = c.userForToken(context.Background(), bobToken)
	require.ErrorIs(t, err, ErrInvalidToken)

	// Junk that cannot be a token never reaches the hub.
	calls := hub.calls.Load()
	_, err = c.userForToken(context.Background(), "bad\r\ntoken")
	require.ErrorIs(t, err, ErrInvalidToken)
	require.Equal(t, calls, hub.calls.Load())
}

func TestHubClientFailures(t *testing.T) {
	for _, tc := range []struct {
		name       string
		status     int
		body       string
		wantStatus int
		wantMsg    string
	}{
		{"hub error", 500, `{"status": 500, "message": "database is locked"}`, 502, "answered 500 to GET /user: database is locked"},
		{"bad gateway html", 502, `<html>proxy error</html>`, 502, "answered 502 to GET /user"},
		{"not found", 404, `{"status": 404, "message": "Not Found"}`, 502, "answered 404"},
		{"garbage", 200, `not json`, 502, "gave an unusable answer"},
		{"no name", 200, `{"kind": "user"}`, 502, "user model has no name"},
		{"wrong type", 200, `{"name": "ada", "groups": "g"}`, 502, "wrong type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hub := newFakeHub(t)
			hub.fail(tc.status, tc.body)
			c, err := newHubClient(testConfig(hub.apiURL()))
			require.NoError(t, err)
			_, err = c.userForToken(context.Background(), adaToken)
			var he *HubError
			require.ErrorAs(t, err, &he)
			require.Equal(t, tc.wantStatus, he.HTTPStatus())
			require.Contains(t, he.Message, tc.wantMsg)
			require.Contains(t, he.Message, hub.apiURL())
			require.NotContains(t, he.Error(), adaToken)
		})
	}
}

func TestHubClientUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())

	api := "http://" + addr + "/hub/api"
	c, err := newHubClient(testConfig(api))
	require.NoError(t, err)
	_, err = c.userForToken(context.Background(), adaToken)
	var he *HubError
	require.ErrorAs(t, err, &he)
	require.Equal(t, http.StatusServiceUnavailable, he.HTTPStatus())
	require.Contains(t, he.Message, "cannot reach JupyterHub API at "+api)
	require.Contains(t, he.Message, "connection refused")
	require.NotContains(t, he.Message, "Get \"")
}

func TestHubClientTimeout(t *testing.T) {
	hub := newFakeHub(t)
	hub.addUser(adaToken, adaModel)
	hub.setDelay(2 * time.Second)
	cfg := testConfig(hub.apiURL())
	cfg.HubTimeout = 100 * time.Millisecond
	c, err := newHubClient(cfg)
	require.NoError(t, err)
	start := time.Now()
	_, err = c.userForToken(context.Background(), adaToken)
	var he *HubError
	require.ErrorAs(t, err, &he)
	require.True(t, he.Timeout)
	require.Equal(t, http.StatusGatewayTimeout, he.HTTPStatus())
	require.Contains(t, he.Message, "did not answer within 100ms")
	require.Less(t, time.Since(start), 1500*time.Millisecond)
}

func TestHubClientNoRedirects(t *testing.T) {
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("token followed a redirect to %s", r.URL)
	}))
	defer elsewhere.Close()
	hub := httptest.NewServer(http.RedirectHandler(elsewhere.URL+"/steal", http.StatusFound))
	defer hub.Close()
	c, err := newHubClient(testConfig(hub.URL + "/hub/api"))
	require.NoError(t, err)
	_, err = c.userForToken(context.Background(), adaToken)
	var he *HubError
	require.ErrorAs(t, err, &he)
	require.Equal(t, http.StatusBadGateway, he.HTTPStatus())
}

// JupyterHub 6 can hand services an http+unix:// API URL; 4.1 and 5.x
// spell it unix+http://.
func TestHubClientUnixSocket(t *testing.T) {
	socket := filepath.Join(t.TempDir(), "hub.sock")
	ln, err := net.Listen("unix", socket)
	require.NoError(t, err)
	hub := &fakeHub{models: map[string]string{adaToken: adaModel}}
	srv := &http.Server{Handler: http.HandlerFunc(hub.serve)}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	for _, scheme := range []string{"http+unix", "unix+http"} {
		c, err := newHubClient(testConfig(scheme + "://" + url.PathEscape(socket) + "/hub/api"))
		require.NoError(t, err)
		u, err := c.userForToken(context.Background(), adaToken)
		require.NoError(t, err, scheme)
		require.Equal(t, "ada", u.Name)
	}
}

func TestHubClientCancelled(t *testing.T) {
	hub := newFakeHub(t)
	hub.setDelay(2 * time.Second)
	c, err := newHubClient(testConfig(hub.apiURL()))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	_, err = c.userForToken(ctx, adaToken)
	require.True(t, errors.Is(err, context.Canceled), "got %v", err)
}
