package hubtest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestFaultProxy(t *testing.T) {
	hub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "hub:"+r.URL.Path)
	}))
	p, err := NewFaultProxy(hub.URL)
	require.NoError(t, err)
	srv := httptest.NewServer(p)
	defer srv.Close()
	c := &http.Client{Transport: &http.Transport{Proxy: nil}}

	get := func() (int, string, time.Duration, error) {
		start := time.Now()
		resp, err := c.Get(srv.URL + "/hub/api/user")
		if err != nil {
			return 0, "", time.Since(start), err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), time.Since(start), nil
	}

	status, body, _, err := get()
	require.NoError(t, err)
	require.Equal(t, 200, status)
	require.Equal(t, "hub:/hub/api/user", body)

	p.SetDelay(200 * time.Millisecond)
	_, body, took, err := get()
	require.NoError(t, err)
	require.Equal(t, "hub:/hub/api/user", body)
	require.GreaterOrEqual(t, took, 200*time.Millisecond, "every call waits the delay")
	p.SetDelay(0)

	hub.Close() // the hub is down: the caller gets no answer at all, as without the proxy
	status, _, _, err = get()
	require.Error(t, err, "got status %d", status)
	// Three calls, and the one Go's client resends when its kept-alive
	// connection is dropped.
	require.Equal(t, int64(4), p.Calls())
}
