package hubauth

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// startServer runs s on a free loopback port until the test ends and
// returns its address.
func startServer(t *testing.T, s *Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	return ln.Addr().String()
}

// closedWithin reads from conn until the server closes it and returns how
// long that took from start, failing the test after limit.
func closedWithin(t *testing.T, conn net.Conn, start time.Time, limit time.Duration) time.Duration {
	t.Helper()
	require.NoError(t, conn.SetReadDeadline(start.Add(limit)))
	_, err := io.Copy(io.Discard, conn)
	if err != nil {
		var ne net.Error
		require.False(t, errors.As(err, &ne) && ne.Timeout(), "the server still held the connection after %s", limit)
	}
	return time.Since(start)
}

// dribble writes one byte of data every interval until the server closes
// the connection or the data runs out, and reports how many bytes it wrote.
func dribble(conn net.Conn, data string, interval time.Duration) int {
	for i := range len(data) {
		if _, err := conn.Write([]byte{data[i]}); err != nil {
			return i
		}
		time.Sleep(interval)
	}
	return len(data)
}

var ok = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })

// reads reads the whole body, as a handler parsing a form does.
var reads = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(r.Body)
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		WriteJSONError(w, http.StatusRequestEntityTooLarge, err.Error())
	case err != nil:
		WriteJSONError(w, http.StatusBadRequest, err.Error())
	default:
		fmt.Fprintf(w, "read %d bytes", len(b))
	}
})

// A POST whose body arrives a byte at a time is cut when the body
// deadline passes, whether the handler reads the body or not (the server
// reads it before answering). Without the bound, the same client holds the
// connection for as long as it likes: that is the control.
func TestServerCutsSlowBody(t *testing.T) {
	const bound = 400 * time.Millisecond
	const body = 200 // bytes, dribbled every 50ms: 10s in all
	for _, tc := range []struct {
		name    string
		handler http.Handler
		timeout time.Duration
		cut     bool
	}{
		{"handler ignores the body", ok, bound, true},
		{"handler reads the body", reads, bound, true},
		{"control: no body bound", ok, -1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			addr := startServer(t, &Server{Handler: tc.handler, BodyTimeout: tc.timeout})
			conn, err := net.Dial("tcp", addr)
			require.NoError(t, err)
			defer conn.Close()
			start := time.Now()
			_, err = fmt.Fprintf(conn, "POST /x HTTP/1.1\r\nHost: svc\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n", body)
			require.NoError(t, err)
			sent := make(chan int, 1)
			go func() { sent <- dribble(conn, strings.Repeat("a", body), 50*time.Millisecond) }()

			if !tc.cut {
				// Held well past the bound, and still open.
				require.NoError(t, conn.SetReadDeadline(time.Now().Add(4*bound)))
				_, err := conn.Read(make([]byte, 1))
				var ne net.Error
				require.True(t, errors.As(err, &ne) && ne.Timeout(), "without a body bound the connection stays open: %v", err)
				return
			}
			took := closedWithin(t, conn, start, bound+2*time.Second)
			require.Less(t, <-sent, body, "cut before the body was complete")
			require.GreaterOrEqual(t, took, bound-50*time.Millisecond, "not cut before the bound")
			t.Logf("cut after %s (bound %s)", took.Round(time.Millisecond), bound)
		})
	}
}

// Headers that never finish arriving are cut at ReadHeaderTimeout.
func TestServerCutsSlowHeaders(t *testing.T) {
	const bound = 300 * time.Millisecond
	addr := startServer(t, &Server{Handler: ok, ReadHeaderTimeout: bound})
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	start := time.Now()
	_, err = io.WriteString(conn, "GET /x HTTP/1.1\r\nHost: svc\r\n")
	require.NoError(t, err)
	sent := make(chan int, 1)
	go func() { sent <- dribble(conn, strings.Repeat("X-Slow: 1\r\n", 100), 20*time.Millisecond) }()
	took := closedWithin(t, conn, start, bound+2*time.Second)
	require.Less(t, <-sent, 1100, "cut before the headers were complete")
	require.GreaterOrEqual(t, took, bound-50*time.Millisecond)
	t.Logf("cut after %s (bound %s)", took.Round(time.Millisecond), bound)
}

// A body over the limit gets a clear 413: at once when its Content-Length
// says so, and when reading passes the limit for a chunked body.
func TestServerRefusesLargeBody(t *testing.T) {
	addr := startServer(t, &Server{Handler: reads, MaxBodyBytes: 1000})
	post := func(body io.Reader, length int64) (int, string) {
		req, err := http.NewRequest(http.MethodPost, "http://"+addr+"/x", body)
		require.NoError(t, err)
		req.ContentLength = length
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(b)
	}

	status, body := post(strings.NewReader(strings.Repeat("a", 1000)), 1000)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "read 1000 bytes", body)

	status, body = post(strings.NewReader(strings.Repeat("a", 1001)), 1001)
	require.Equal(t, http.StatusRequestEntityTooLarge, status)
	require.JSONEq(t, `{"status": 413, "message": "request body too large: 1001 bytes, the limit is 1000"}`, body)

	// A huge declared length is refused before a byte of it is read.
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	_, err = io.WriteString(conn, "POST /x HTTP/1.1\r\nHost: svc\r\nContent-Length: 10000000000\r\n\r\n")
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	require.True(t, resp.Close, "the connection is closed after a refused body")

	status, body = post(strings.NewReader(strings.Repeat("a", 5000)), -1) // chunked
	require.Equal(t, http.StatusRequestEntityTooLarge, status)
	require.Contains(t, body, "request body too large")
}

// The defaults apply to a Server built as a literal and by NewServer, which
// is what the commands use.
func TestServerDefaults(t *testing.T) {
	cfg := testConfig("http://127.0.0.1:8081/hub/api")
	cfg.ServiceURL = "http://127.0.0.1:10101"
	s, err := NewServer(cfg, ok)
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:10101", s.Addr)
	require.Nil(t, s.TLSConfig)
	require.Equal(t, int64(defaultMaxBodyBytes), s.maxBody())

	cfg.Listen = ":9999"
	s, err = NewServer(cfg, ok)
	require.NoError(t, err)
	require.Equal(t, ":9999", s.Addr, "HUBAUTH_LISTEN wins over the service URL")

	cfg.Listen = "nonsense"
	_, err = NewServer(cfg, ok)
	require.ErrorContains(t, err, "HUBAUTH_LISTEN: want host:port or :port")

	// A taken address is one clear error.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	err = (&Server{Addr: ln.Addr().String(), Handler: ok}).ListenAndServe(context.Background())
	require.ErrorContains(t, err, "listen on "+ln.Addr().String())
}

// With an https service URL the server speaks TLS with the key pair and
// refuses, during the handshake, a client without a certificate from the
// CA bundle.
func TestServerInternalSSL(t *testing.T) {
	pki := newTestPKI(t)
	cfg := testConfig("https://127.0.0.1:8081/hub/api")
	cfg.ServiceURL = "https://127.0.0.1:10101"
	cfg.SSLKeyFile, cfg.SSLCertFile = pki.pair("svc")
	cfg.SSLClientCA = pki.CA
	s, err := NewServer(cfg, ok)
	require.NoError(t, err)
	require.NotNil(t, s.TLSConfig)
	require.Equal(t, tls.RequireAndVerifyClientCert, s.TLSConfig.ClientAuth)
	addr := startServer(t, s)

	get := func(certs ...tls.Certificate) (string, error) {
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pki.pool, Certificates: certs}}}
		defer c.CloseIdleConnections()
		resp, err := c.Get("https://" + addr + "/")
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}
	body, err := get(pki.tlsPair("proxy"))
	require.NoError(t, err)
	require.Equal(t, "ok", body)

	_, err = get()
	require.Error(t, err, "no client certificate")
	require.Contains(t, err.Error(), "certificate required")

	stranger := newTestPKI(t)
	_, err = get(stranger.tlsPair("stranger"))
	require.Error(t, err, "a certificate from another CA")
}

// limitBody answers a declared body over the limit with 413 before the
// handler runs.
func TestLimitBodyAnswersTooLarge(t *testing.T) {
	h := limitBody(1<<10, 10*time.Second)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "read it")
	}))
	for _, tc := range []struct {
		size int
		code int
		body string
	}{
		{100, 200, "read it"},
		{2000, 413, `{"status":413,"message":"request body too large: 2000 bytes, the limit is 1024"}`},
	} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/", strings.NewReader(strings.Repeat("x", tc.size))))
		require.Equal(t, tc.code, w.Code)
		require.Equal(t, tc.body, w.Body.String())
	}
}
