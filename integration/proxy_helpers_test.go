package integration

import (
	"bufio"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	neturl "net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hubauth-go/whoami/internal/hubtest"
)

// buildTestApp builds integration/testapp, the small app the proxy tests
// put behind hubauth-proxy.
func buildTestApp(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "testapp")
	cmd := exec.Command("go", "build", "-o", out, "./integration/testapp")
	cmd.Dir = hubtest.RepoRoot()
	b, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build ./integration/testapp: %s", b)
	return out
}

// appView is what testapp shows of a request it received.
type appView struct {
	App     string              `json:"app"`
	Method  string              `json:"method"`
	Host    string              `json:"host"`
	Path    string              `json:"path"`
	RawPath string              `json:"raw_path"`
	Query   string              `json:"query"`
	Headers map[string][]string `json:"headers"`
}

func parseAppView(t *testing.T, body string) appView {
	t.Helper()
	var v appView
	require.NoError(t, json.Unmarshal([]byte(body), &v), "not testapp's answer: %s", body)
	require.Equal(t, "testapp", v.App)
	return v
}

// seenBy asks testapp directly (not through the proxy) how many requests
// it has had.
func seenBy(t *testing.T, appAddr string) int {
	t.Helper()
	r := get(t, "http://"+appAddr+"/_seen", "")
	require.Equal(t, 200, r.status)
	n, err := strconv.Atoi(r.body)
	require.NoError(t, err)
	return n
}

// wsConn is the client end of a websocket, spoken by hand (RFC 6455):
// enough for an echo test without a library.
type wsConn struct {
	conn net.Conn
	r    *bufio.Reader
}

// dialWebsocket opens a websocket at rawURL (http://…) with extra header
// lines, and returns the connection, or the status when the server
// answered something other than 101.
func dialWebsocket(t *testing.T, rawURL string, header http.Header) (*wsConn, int) {
	t.Helper()
	u, err := neturl.Parse(rawURL)
	require.NoError(t, err)
	conn, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	require.NoError(t, conn.SetDeadline(time.Now().Add(30*time.Second)))
	keyBytes := make([]byte, 16)
	_, _ = rand.Read(keyBytes)
	key := base64.StdEncoding.EncodeToString(keyBytes)
	var b strings.Builder
	fmt.Fprintf(&b, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n", u.RequestURI(), u.Host)
	fmt.Fprintf(&b, "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nSec-Fetch-Mode: websocket\r\n", key)
	for k, vs := range header {
		for _, v := range vs {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	b.WriteString("\r\n")
	_, err = io.WriteString(conn, b.String())
	require.NoError(t, err)
	r := bufio.NewReader(conn)
	resp, err := http.ReadResponse(r, nil)
	require.NoError(t, err)
	if resp.StatusCode != http.StatusSwitchingProtocols {
		resp.Body.Close()
		return nil, resp.StatusCode
	}
	sum := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	require.Equal(t, base64.StdEncoding.EncodeToString(sum[:]), resp.Header.Get("Sec-WebSocket-Accept"))
	return &wsConn{conn: conn, r: r}, resp.StatusCode
}

// send writes one masked text frame, as a client must.
func (c *wsConn) send(t *testing.T, msg string) {
	t.Helper()
	p := []byte(msg)
	var f []byte
	f = append(f, 0x81)
	switch n := len(p); {
	case n < 126:
		f = append(f, 0x80|byte(n))
	case n < 1<<16:
		f = append(f, 0x80|126)
		f = binary.BigEndian.AppendUint16(f, uint16(n))
	default:
		f = append(f, 0x80|127)
		f = binary.BigEndian.AppendUint64(f, uint64(n))
	}
	mask := make([]byte, 4)
	_, _ = rand.Read(mask)
	f = append(f, mask...)
	for i, c := range p {
		f = append(f, c^mask[i%4])
	}
	_, err := c.conn.Write(f)
	require.NoError(t, err)
}

// recv reads one unmasked frame from the server: its opcode and payload.
func (c *wsConn) recv(t *testing.T) (byte, []byte) {
	t.Helper()
	var h [2]byte
	_, err := io.ReadFull(c.r, h[:])
	require.NoError(t, err)
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		_, err = io.ReadFull(c.r, b[:])
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		_, err = io.ReadFull(c.r, b[:])
		n = binary.BigEndian.Uint64(b[:])
	}
	require.NoError(t, err)
	require.Zero(t, h[1]&0x80, "server frames are not masked")
	require.Less(t, n, uint64(16<<20))
	p := make([]byte, n)
	_, err = io.ReadFull(c.r, p)
	require.NoError(t, err)
	return h[0] & 0x0f, p
}

// peakRSS is a process's peak resident memory (VmHWM), in bytes.
func peakRSS(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	require.NoError(t, err)
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			require.NoError(t, err)
			return kb << 10
		}
	}
	t.Fatalf("no VmHWM for pid %d", pid)
	return 0
}

// processesRunning lists the pids whose command line is exactly path
// followed by args that include tag.
func processesRunning(path, tag string) []int {
	return hubtest.Processes(func(p hubtest.ProcInfo) bool {
		if len(p.Args) == 0 || p.Args[0] != path {
			return false
		}
		for _, a := range p.Args[1:] {
			if a == tag {
				return true
			}
		}
		return false
	})
}

// ppidOf is a process's parent.
func ppidOf(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	require.NoError(t, err)
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	ppid, err := strconv.Atoi(f[1])
	require.NoError(t, err)
	return ppid
}
