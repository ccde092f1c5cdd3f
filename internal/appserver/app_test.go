package appserver

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestSubstitute(t *testing.T) {
	got := Substitute([]string{"panel", "serve", "--port", "{port}", "--prefix={prefix}", "{other}", "{port}{port}"},
		map[string]string{"port": "8123", "prefix": "/user/ada/"})
	require.Equal(t, []string{"panel", "serve", "--port", "8123", "--prefix=/user/ada/", "{other}", "81238123"}, got)
}

func TestFreePort(t *testing.T) {
	p, err := FreePort()
	require.NoError(t, err)
	require.Greater(t, p, 1023)
}

func TestStartRefusesMissingCommand(t *testing.T) {
	_, err := Start([]string{"no-such-command-hubauth-test"}, os.Environ(), io.Discard, io.Discard)
	require.ErrorContains(t, err, `command "no-such-command-hubauth-test"`)
	require.ErrorContains(t, err, "not found")
	_, err = Start(nil, nil, io.Discard, io.Discard)
	require.ErrorContains(t, err, "no command")
}

func TestWaitReady(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/broken" {
			w.WriteHeader(503)
			return
		}
		w.WriteHeader(404) // an app that answers at all is up
	}))
	defer up.Close()
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()

	tests := []struct {
		name    string
		args    []string
		url     string
		timeout time.Duration
		want    string // "" for ready
	}{
		{"answers", []string{"sleep", "30"}, up.URL + "/", 5 * time.Second, ""},
		{"never answers", []string{"sleep", "30"}, dead.URL + "/", 400 * time.Millisecond, "nothing at " + dead.URL + "/ after 400ms"},
		{"answers only 5xx", []string{"sleep", "30"}, up.URL + "/broken", 400 * time.Millisecond, "it answered 503"},
		{"exits first", []string{"sh", "-c", "exit 3"}, dead.URL + "/", 10 * time.Second, "exited with status 3 before answering"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			app, err := Start(tc.args, os.Environ(), io.Discard, io.Discard)
			require.NoError(t, err)
			defer app.Stop(time.Second)
			err = app.WaitReady(context.Background(), tc.url, nil, tc.timeout)
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestStop(t *testing.T) {
	t.Run("an app that ends on SIGTERM", func(t *testing.T) {
		app, err := Start([]string{"sleep", "30"}, os.Environ(), io.Discard, io.Discard)
		require.NoError(t, err)
		start := time.Now()
		app.Stop(5 * time.Second)
		require.Less(t, time.Since(start), 3*time.Second)
		require.Equal(t, 128+15, app.ExitCode())
		require.Equal(t, "was killed by signal terminated", app.Describe())
	})
	t.Run("an app that ignores SIGTERM is killed after the grace", func(t *testing.T) {
		app, err := Start([]string{"sh", "-c", "trap '' TERM; sleep 30 & wait"}, os.Environ(), io.Discard, io.Discard)
		require.NoError(t, err)
		time.Sleep(200 * time.Millisecond) // let the shell set its trap
		start := time.Now()
		app.Stop(300 * time.Millisecond)
		require.GreaterOrEqual(t, time.Since(start), 300*time.Millisecond)
		require.Equal(t, 128+9, app.ExitCode())
	})
	t.Run("the app's own exit status", func(t *testing.T) {
		app, err := Start([]string{"sh", "-c", "exit 7"}, os.Environ(), io.Discard, io.Discard)
		require.NoError(t, err)
		<-app.Done()
		require.Equal(t, 7, app.ExitCode())
		require.Equal(t, "exited with status "+strconv.Itoa(7), app.Describe())
	})
}
