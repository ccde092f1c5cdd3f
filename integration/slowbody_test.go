package integration

import (
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hubauth-go/whoami/internal/hubtest"
)

// bodyTimeout is how long hubauth.Server gives a request's body to
// arrive, unless told otherwise.
const bodyTimeout = 30 * time.Second

// Slow request bodies cannot hold the commands' connections: many POSTs
// whose bodies arrive a byte every two seconds are all cut once
// bodyTimeout has passed, and the service's open files go
// back to what they were. (Before, such connections were held for as long
// as the client kept sending.) The service needs no hub for this: a request
// without a token is refused without asking it.
func TestCommandCutsSlowBodies(t *testing.T) {
	if testing.Short() {
		hubtest.SkipOrFail(t, "waits for the default body timeout (30 s): run without -short")
	}
	t.Parallel()
	hubtest.Require(t)
	bin := hubtest.Binary(t, "whoami-api")
	addr := fmt.Sprintf("127.0.0.1:%d", hubtest.FreePort(t))
	svc := hubtest.StartProcess(t, bin, env(map[string]string{
		"JUPYTERHUB_API_TOKEN":    hubtest.RandomToken(),
		"JUPYTERHUB_API_URL":      "http://127.0.0.1:1/hub/api",
		"JUPYTERHUB_SERVICE_NAME": "whoami-api",
		"JUPYTERHUB_SERVICE_URL":  "http://" + addr,
	}), addr)
	openFiles := func() int {
		entries, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", svc.Pid()))
		require.NoError(t, err)
		return len(entries)
	}
	rss := func() string { // resident memory, for the log
		status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", svc.Pid()))
		for _, line := range strings.Split(string(status), "\n") {
			if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
				return strings.TrimSpace(v)
			}
		}
		return "?"
	}
	// The start-up probe's connection may still be open for a moment: the
	// baseline is the fewest open files seen over a second.
	before := openFiles()
	for range 10 {
		time.Sleep(100 * time.Millisecond)
		before = min(before, openFiles())
	}
	rssBefore := rss()

	const clients = 200
	start := time.Now()
	var wg sync.WaitGroup
	cut := make(chan time.Duration, clients)
	for range clients {
		conn, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		t.Cleanup(func() { conn.Close() })
		_, err = io.WriteString(conn, "POST /services/whoami-api/ HTTP/1.1\r\nHost: svc\r\nContent-Length: 1000\r\n\r\n")
		require.NoError(t, err)
		wg.Add(2)
		go func() { // the body, a byte every two seconds, until the server hangs up
			defer wg.Done()
			for range 1000 {
				if _, err := conn.Write([]byte{'a'}); err != nil {
					return
				}
				time.Sleep(2 * time.Second)
			}
		}()
		go func() {
			defer wg.Done()
			_ = conn.SetReadDeadline(time.Now().Add(bodyTimeout + 15*time.Second))
			_, err := io.Copy(io.Discard, conn)
			if err == nil || !strings.Contains(err.Error(), "timeout") {
				cut <- time.Since(start)
				return
			}
			cut <- -1
		}()
	}
	held := 0
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if held = openFiles(); held >= before+clients {
			break
		}
	}
	require.GreaterOrEqual(t, held, before+clients, "the slow clients are all connected (%d open files before)", before)
	rssHeld := rss()

	var slowest time.Duration
	for range clients {
		d := <-cut
		require.Positive(t, d, "a connection was still held %s after the body timeout", 15*time.Second)
		slowest = max(slowest, d)
	}
	require.Less(t, slowest, bodyTimeout+10*time.Second)
	require.Eventually(t, func() bool { return openFiles() <= before+2 }, 5*time.Second, 100*time.Millisecond,
		"open files back to %d", before)
	t.Logf("%d slow bodies: %d open files and %s resident while held (%d and %s before); all cut by %s (bound %s); after: %d open files, %s",
		clients, held, rssHeld, before, rssBefore, slowest.Round(time.Millisecond), bodyTimeout, openFiles(), rss())
	wg.Wait()
	require.True(t, svc.Running())
}
