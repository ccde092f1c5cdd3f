package bench

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const wrkReport = `Running 4s test @ http://127.0.0.1:40000/services/whoami-go/
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.20ms  500.00us  12.00ms   80.00%
    Req/Sec    13.00k     1.00k   15.00k    70.00%
  Latency Distribution
     50%    1.05ms
     75%    1.40ms
     90%    1.90ms
     99%    3.20ms
  103456 requests in 4.00s, 80.00MB read
  Non-2xx or 3xx responses: 2
Requests/sec:  25864.00
Transfer/sec:     20.00MB
`

func TestParseWrk(t *testing.T) {
	r, err := parseWrk(wrkReport, 4*time.Second)
	require.NoError(t, err)
	require.Equal(t, 103456, r.Requests)
	require.Equal(t, 4*time.Second, r.Duration)
	require.Equal(t, 1050*time.Microsecond, r.P50)
	require.Equal(t, 3200*time.Microsecond, r.P99)
	require.Equal(t, 2, r.Errors)
	require.InDelta(t, 25864, r.RPS(), 1)

	_, err = parseWrk("unable to connect", time.Second)
	require.Error(t, err)
}

func TestLoadCountsAndChecks(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "token bad" {
			w.WriteHeader(403)
		}
	}))
	defer srv.Close()
	r := Load(context.Background(), srv.URL, 4, 100, 200, func(i int) string {
		if i%10 == 0 {
			return "bad"
		}
		return "good"
	})
	require.Equal(t, 100, r.Requests)
	require.Equal(t, 10, r.Errors, "every unexpected status counts")
	require.Greater(t, r.P99, time.Duration(0))
}

func TestHubProxyCountsDelaysAndRefusesJunk(t *testing.T) {
	hub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"name": "ada"}`))
	}))
	defer hub.Close()
	p, err := NewHubProxy(hub.URL)
	require.NoError(t, err)
	srv := httptest.NewServer(p)
	defer srv.Close()

	get := func(token string) int {
		req, _ := http.NewRequest("GET", srv.URL+"/hub/api/user", nil)
		req.Header.Set("Authorization", "token "+token)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Equal(t, 200, get("real"))
	require.Equal(t, 403, get(JunkPrefix+"-1"))
	require.EqualValues(t, 2, p.UserCalls())
	p.SetDelay(50 * time.Millisecond)
	t0 := time.Now()
	get("real")
	require.GreaterOrEqual(t, time.Since(t0), 50*time.Millisecond)
}
