package hubauth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestPing(t *testing.T) {
	for _, tc := range []struct {
		name    string
		status  int
		body    string
		version string
		message string // of the HubError, when there is one
	}{
		{"a hub", 200, `{"version": "6.1.1"}`, "6.1.1", ""},
		{"a hub with more to say", 200, `{"version": "5.3.0", "extra": [1]}`, "5.3.0", ""},
		{"not found: a wrong API URL", 404, `<html>nope</html>`, "", "answered 404 to GET /"},
		{"hub failing", 503, `{"message": "starting"}`, "", "answered 503 to GET /: starting"},
		{"something else answering", 200, `<html>welcome</html>`, "", "gave no version"},
		{"JSON without a version", 200, `{"status": "ok"}`, "", "gave no version"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				require.Equal(t, "/hub/api/", r.URL.Path)
				require.Empty(t, r.Header.Get("Authorization"), "a readiness check sends no token")
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			a, err := New(testConfig(srv.URL + "/hub/api"))
			require.NoError(t, err)
			v, err := a.hub.ping(context.Background())
			if tc.message == "" {
				require.NoError(t, err)
				require.Equal(t, tc.version, v)
				return
			}
			var hubErr *HubError
			require.ErrorAs(t, err, &hubErr)
			require.Contains(t, hubErr.Message, tc.message)
			require.Contains(t, hubErr.Message, srv.URL+"/hub/api", "names the API URL")
			require.Empty(t, v)
		})
	}

	t.Run("unreachable", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL + "/hub/api"
		srv.Close()
		a, err := New(testConfig(url))
		require.NoError(t, err)
		_, err = a.hub.ping(context.Background())
		var hubErr *HubError
		require.ErrorAs(t, err, &hubErr)
		require.Equal(t, http.StatusServiceUnavailable, hubErr.HTTPStatus())
		require.Contains(t, hubErr.Message, "cannot reach JupyterHub API at "+url)
	})

	t.Run("too slow", func(t *testing.T) {
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		defer srv.Close()
		defer close(release)
		cfg := testConfig(srv.URL + "/hub/api")
		cfg.HubTimeout = 50 * time.Millisecond
		a, err := New(cfg)
		require.NoError(t, err)
		start := time.Now()
		_, err = a.hub.ping(context.Background())
		var hubErr *HubError
		require.ErrorAs(t, err, &hubErr)
		require.True(t, hubErr.Timeout)
		require.True(t, errors.Is(err, context.DeadlineExceeded))
		require.Less(t, time.Since(start), 2*time.Second)
	})
}
