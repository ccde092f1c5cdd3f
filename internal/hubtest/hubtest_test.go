package hubtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

// The rig itself: a hub comes up, the admin service can create users,
// groups memberships and tokens, those tokens identify the user, and they
// survive a restart.
func TestHubLifecycle(t *testing.T) {
	svcURL := fmt.Sprintf("http://127.0.0.1:%d", FreePort(t))
	hub := Start(t, Options{
		Services: []Service{{Name: "elsewhere", URL: svcURL}},
		Groups:   []string{"g"},
		Roles:    []Role{{Name: "g-readers", Scopes: []string{"read:users:name"}, Groups: []string{"g"}}},
	})
	// Readiness waits for the routes of services with a URL, read from
	// the hub's own list.
	var services map[string]struct{ URL, Prefix string }
	require.Equal(t, 200, hub.API(t, "GET", "/services", nil, &services))
	require.Equal(t, svcURL, services["elsewhere"].URL)
	require.Equal(t, "/services/elsewhere/", services["elsewhere"].Prefix)

	// The rig's idea of the hub's release is the one the hub reports, and
	// RequireVersion lets through what it has and skips what it has not.
	var info struct{ Version string }
	require.Equal(t, 200, hub.API(t, "GET", "/", nil, &info))
	require.Equal(t, info.Version, hub.Version().String())
	require.Equal(t, hub.Version(), HubVersion(t))
	t.Logf("JupyterHub %s from %s", hub.Version(), VenvDir())
	require.True(t, t.Run("have", func(t *testing.T) {
		RequireVersion(t, hub.Version().String(), "the hub's own release")
	}))
	var skipped bool
	t.Run("future", func(t *testing.T) {
		t.Cleanup(func() { skipped = t.Skipped() })
		RequireVersion(t, "99.0", "a release that does not exist")
		t.Error("RequireVersion let a test through that needs a newer hub")
	})
	require.True(t, skipped, "RequireVersion skips on an older hub")

	hub.CreateUser(t, "ada")
	hub.AddToGroup(t, "g", "ada")
	token := hub.NewToken(t, "ada", nil)

	whoami := func() (int, map[string]any) {
		req, err := http.NewRequest("GET", hub.URL+"/hub/api/user", nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "token "+token)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var model map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&model)
		return resp.StatusCode, model
	}
	status, model := whoami()
	require.Equal(t, 200, status)
	require.Equal(t, "ada", model["name"])
	require.Equal(t, []any{"g"}, model["groups"])

	hub.RemoveFromGroup(t, "g", "ada")
	_, model = whoami()
	require.Equal(t, []any{}, model["groups"])

	hub.Stop(t)
	_, err := http.Get(hub.URL + "/hub/api/")
	require.Error(t, err, "the proxy stops with the hub")

	hub.Restart(t)
	status, model = whoami()
	require.Equal(t, 200, status, "tokens survive a restart")
	require.Equal(t, "ada", model["name"])
}

func TestRequireSkipsOrFails(t *testing.T) {
	// Exercised for real by every integration test; here only the rule for
	// when it must not skip.
	t.Setenv("HUBTEST_REQUIRE", "")
	t.Setenv("CI", "true")
	require.True(t, required())
	t.Setenv("CI", "")
	require.False(t, required())
	t.Setenv("HUBTEST_REQUIRE", "1")
	require.True(t, required())
}
