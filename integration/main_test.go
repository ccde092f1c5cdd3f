// Package integration drives the whoami services against a real JupyterHub
// and configurable-http-proxy, installed by `make deps` and started by
// internal/hubtest. Under `make test` or CI=true they run or fail; a plain
// `go test ./...` on a machine without them skips, saying how to run them.
package integration

import (
	"bufio"
	"io"
	"net"
	"net/http"
	neturl "net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hubauth-go/whoami/internal/hubtest"
)

func TestMain(m *testing.M) {
	os.Exit(hubtest.Main(m))
}

// client is a plain HTTP client with a bound on every request, so a hung
// service fails a test instead of stalling the run.
var client = &http.Client{
	Timeout: 30 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	},
}

type response struct {
	status int
	header http.Header
	body   string
}

// get requests url with the given Authorization header value ("" for none).
func get(t *testing.T, url, authorization string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	return send(t, req)
}

// send sends req with the test client and reads the answer.
func send(t *testing.T, req *http.Request) response {
	t.Helper()
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return response{resp.StatusCode, resp.Header, string(body)}
}

// rawGet sends a GET with header lines written as they are, bytes that
// net/http would refuse to send included, and returns the status.
func rawGet(t *testing.T, base, path string, headers ...string) int {
	t.Helper()
	return rawGetBody(t, base, path, headers...).status
}

// rawGetBody is rawGet that also returns the answer's body.
func rawGetBody(t *testing.T, base, path string, headers ...string) response {
	t.Helper()
	u, err := neturl.Parse(base)
	require.NoError(t, err)
	conn, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(30*time.Second)))
	req := "GET " + path + " HTTP/1.1\r\nHost: " + u.Host + "\r\nConnection: close\r\n"
	for _, h := range headers {
		req += h + "\r\n"
	}
	_, err = io.WriteString(conn, req+"\r\n")
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err, "a malformed request must still get an HTTP answer")
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return response{resp.StatusCode, resp.Header, string(body)}
}

// env turns a map into os/exec's KEY=VALUE form.
func env(m map[string]string) []string {
	var out []string
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	return out
}

func requireJSONError(t *testing.T, r response, status int, message string) {
	t.Helper()
	require.Equal(t, status, r.status, r.body)
	require.Equal(t, "application/json", r.header.Get("Content-Type"))
	require.Contains(t, r.body, `"status":`)
	require.True(t, strings.Contains(r.body, message), "body %s lacks %q", r.body, message)
}
