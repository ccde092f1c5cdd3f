package proxycmd

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hubauth-go/whoami/hubauth"
)

// A user's server on a hub whose API is a unix socket is handed an
// activity URL under it (http+unix://…); the reports must go over the
// socket, with the server's token, as every other hub call does.
func TestHubSenderUsesTheHubClient(t *testing.T) {
	socket := filepath.Join(t.TempDir(), "hub.sock")
	ln, err := net.Listen("unix", socket)
	require.NoError(t, err)
	type seen struct{ method, path, auth, body string }
	got := make(chan seen, 2)
	var status atomic.Int32
	status.Store(http.StatusNoContent)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- seen{r.Method, r.URL.Path, r.Header.Get("Authorization"), string(b)}
		w.WriteHeader(int(status.Load()))
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	api := "http+unix://" + url.PathEscape(socket) + "/hub/api"
	auth, err := hubauth.New(hubauth.Config{
		APIURL: api, APIToken: "server-token-0123456789", ServicePrefix: "/user/ada/", BaseURL: "/",
		AccessScopes: []string{"access:servers!server=ada/"}, CacheMaxAge: time.Minute, CacheSize: 10, HubTimeout: 5 * time.Second,
	})
	require.NoError(t, err)

	send := hubSender(auth)
	require.NoError(t, send(context.Background(), api+"/users/ada/activity", "server-token-0123456789", []byte(`{"last_activity": "x"}`)))
	s := <-got
	require.Equal(t, seen{"POST", "/hub/api/users/ada/activity", "token server-token-0123456789", `{"last_activity": "x"}`}, s)

	// A hub that refuses the report is an error the reporter logs.
	status.Store(http.StatusForbidden)
	err = send(context.Background(), api+"/users/ada/activity", "server-token-0123456789", []byte(`{}`))
	require.ErrorContains(t, err, "403")
}
