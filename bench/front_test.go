package bench

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

func named(name string, hits *atomic.Int64) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = io.WriteString(w, name)
	}))
}

func frontGet(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func TestFrontBalancesAndFailsOver(t *testing.T) {
	var hitsA, hitsB atomic.Int64
	a, b := named("a", &hitsA), named("b", &hitsB)
	defer a.Close()
	f, err := NewFront(a.URL, b.URL)
	require.NoError(t, err)
	srv := httptest.NewServer(f)
	defer srv.Close()

	seen := map[string]int{}
	for range 10 {
		status, body := frontGet(t, srv.URL+"/x")
		require.Equal(t, 200, status)
		seen[body]++
	}
	require.Equal(t, map[string]int{"a": 5, "b": 5}, seen, "round robin")
	require.Zero(t, f.Failovers.Load())

	b.Close() // replica b is down: its port refuses connections
	for range 10 {
		status, body := frontGet(t, srv.URL+"/x")
		require.Equal(t, 200, status)
		require.Equal(t, "a", body)
	}
	require.Equal(t, int64(5), f.Failovers.Load(), "the requests for b went to a")
	all, _ := f.Served(0)
	require.Equal(t, int64(15), all)

	a.Close()
	status, body := frontGet(t, srv.URL+"/x")
	require.Equal(t, http.StatusServiceUnavailable, status)
	require.Contains(t, body, "no replica is up")
}

// A replica that dies with the request in hand gets the client a 502; the
// request is not sent again to the other replica, since it may have been
// acted on.
func TestFrontDoesNotReplayARequestThatArrived(t *testing.T) {
	var arrived, hitsB atomic.Int64
	dying := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived.Add(1)
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	defer dying.Close()
	b := named("b", &hitsB)
	defer b.Close()
	f, err := NewFront(dying.URL, b.URL)
	require.NoError(t, err)
	srv := httptest.NewServer(f)
	defer srv.Close()

	statuses := map[int]int{}
	for range 10 {
		status, _ := frontGet(t, srv.URL+"/oauth_callback?code=once")
		statuses[status]++
	}
	require.Equal(t, map[int]int{200: 5, 502: 5}, statuses)
	require.Equal(t, int64(5), hitsB.Load(), "b answered only its own turns")
	require.Zero(t, f.Failovers.Load())
	require.GreaterOrEqual(t, arrived.Load(), int64(5))
}

func TestNewFrontRefusesBadURLs(t *testing.T) {
	_, err := NewFront()
	require.Error(t, err)
	_, err = NewFront("https://127.0.0.1:1")
	require.Error(t, err)
	_, err = NewFront("127.0.0.1:1")
	require.Error(t, err)
}

// The case that matters: the front's kept-alive connection to a replica
// that is then killed with a request on it. Go's transport sends the GET
// once more on a new connection, which is refused, yet the replica had it:
// the client gets a 502, the other replica never sees the request.
func TestFrontKilledReplicaWithKeptAliveConnection(t *testing.T) {
	var hitsY atomic.Int64
	var n atomic.Int64
	var x *httptest.Server
	x = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			_, _ = io.WriteString(w, "x")
			return
		}
		// Killed with this request in hand: stop listening, drop it.
		x.Listener.Close()
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
		}
	}))
	defer x.Close()
	y := named("y", &hitsY)
	defer y.Close()
	f, err := NewFront(x.URL, y.URL)
	require.NoError(t, err)
	srv := httptest.NewServer(f)
	defer srv.Close()

	var statuses []int
	for range 4 { // y, x, y, x
		status, _ := frontGet(t, srv.URL+"/oauth_callback?code=once")
		statuses = append(statuses, status)
	}
	require.Equal(t, []int{200, 200, 200, 502}, statuses)
	require.Equal(t, int64(2), hitsY.Load(), "the request x had was not sent to y")
	require.Equal(t, int64(2), n.Load())

	status, body := frontGet(t, srv.URL+"/") // x is down now: y answers
	require.Equal(t, 200, status)
	require.Equal(t, "y", body)
}
