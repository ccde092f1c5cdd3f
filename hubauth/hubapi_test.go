package hubauth

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestHubAPI(t *testing.T) {
	hub := newFakeHub(t)
	hub.addUser(adaToken, adaModel)
	a := newTestAuth(t, testConfig(hub.apiURL()), nil)

	resp, err := a.HubAPI(context.Background(), adaToken, http.MethodGet, "/user", nil)
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, 200, resp.StatusCode)
	require.Contains(t, string(body), `"name": "ada"`)

	resp, err = a.HubAPI(context.Background(), "not-a-token", http.MethodGet, "/user", nil)
	require.NoError(t, err, "a status the hub answers is not an error")
	require.Equal(t, 403, resp.StatusCode)
	resp.Body.Close()

	_, err = a.HubAPI(context.Background(), adaToken, http.MethodGet, "user", nil)
	require.ErrorContains(t, err, "must start with /")

	hub.setDelay(time.Second)
	cfg := testConfig(hub.apiURL())
	cfg.HubTimeout = 50 * time.Millisecond
	slow := newTestAuth(t, cfg, nil)
	_, err = slow.HubAPI(context.Background(), adaToken, http.MethodGet, "/user", nil)
	var hubErr *HubError
	require.ErrorAs(t, err, &hubErr)
	require.True(t, hubErr.Timeout)
	require.NotContains(t, err.Error(), adaToken)
}
