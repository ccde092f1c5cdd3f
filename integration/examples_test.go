package integration

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hubauth-go/whoami/internal/hubtest"
)

// The external-service example, from a fresh hub: its own
// jupyterhub_config.py and launch script, as the README tells an operator
// to run them (only the ports are the test's).
func TestExternalOAuthExample(t *testing.T) {
	bin := hubtest.Binary(t, "whoami-oauth")
	dir := filepath.Join(hubtest.RepoRoot(), "examples", "external-oauth")
	port := hubtest.FreePort(t)
	app := fmt.Sprintf("http://127.0.0.1:%d", port)
	token := hubtest.RandomToken()
	hub := hubtest.Start(t, hubtest.Options{
		ConfigFiles: []string{filepath.Join(dir, "jupyterhub_config.py")},
		Env:         []string{"WHOAMI_OAUTH_API_TOKEN=" + token, "WHOAMI_OAUTH_URL=" + app},
	})
	svc := hubtest.StartProcess(t, filepath.Join(dir, "run-whoami-oauth.sh"), env(map[string]string{
		"WHOAMI_OAUTH_API_TOKEN": token,
		"WHOAMI_OAUTH_URL":       app,
		"HUB_URL":                hub.URL,
		"WHOAMI_BIN_DIR":         filepath.Dir(bin),
	}), fmt.Sprintf("127.0.0.1:%d", port))

	b := newBrowser(t, "lin")
	h := b.visit(app + "/?hello=1")
	requireModel(t, h, "lin")
	require.Equal(t, app+"/?hello=1", h.url)
	require.Equal(t, 0, b.approved, "oauth_no_confirm: no authorize page")
	requireModel(t, b.get(app+"/"), "lin")

	require.NoError(t, svc.Stop())
	require.NotContains(t, svc.Output(), token)
}

// The demo's example (make demo): both services come up under the hub, and
// answer a token and a browser.
func TestServiceWhoamiExample(t *testing.T) {
	hub := demoHub(t)
	hub.CreateUser(t, "kim")
	token := hub.NewToken(t, "kim", nil)
	r := get(t, hub.URL+"/services/whoami-api/", "token "+token)
	require.Equal(t, 200, r.status, r.body)
	require.Contains(t, r.body, `"name": "kim"`)

	b := newBrowser(t, "kim")
	requireModel(t, b.visit(hub.URL+"/services/whoami-oauth/"), "kim")
}

// demoHub runs the hub of `make demo`, from its own config file, with the
// services built for the test.
func demoHub(t *testing.T) *hubtest.Hub {
	t.Helper()
	api := hubtest.Binary(t, "whoami-api")
	hubtest.Binary(t, "whoami-oauth") // beside it, where the config looks
	return hubtest.Start(t, hubtest.Options{
		ConfigFiles: []string{filepath.Join(hubtest.RepoRoot(), "examples", "service-whoami", "jupyterhub_config.py")},
		Env:         []string{"WHOAMI_BIN_DIR=" + filepath.Dir(api)},
	})
}
