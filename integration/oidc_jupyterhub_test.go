package integration

import (
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hubauth-go/whoami/internal/hubtest"
)

// secondHubRig gives the second hub back what the test rig sets after
// loading examples/oidc/second-hub_config.py (its dummy login, open to
// all): the example's authenticator, open to the allowed group only.
const secondHubRig = `
c.JupyterHub.authenticator_class = "generic-oauth"
c.Authenticator.allow_all = False
`

// A second JupyterHub (6.1.1, with oauthenticator 17.4.0 from PyPI, in a
// virtualenv of its own) logs users of the first in, configured by
// examples/oidc/second-hub_config.py (GenericOAuthenticator, from the
// provider's discovery document alone): a browser opens the second hub's
// login, goes through the first hub's login and authorize pages, and
// lands on the second hub as the same user, with the same groups; a user
// outside the allowed group is refused. Against one hub release: the
// second hub sees only the provider.
func TestOIDCSecondJupyterHub(t *testing.T) {
	hubtest.Require(t)
	hubtest.OnlyOn(t, "6.1", "the second hub talks to hubauth-oidc only; the go-oidc tests cover every release")
	// The second hub is reached at "localhost", the first at 127.0.0.1:
	// browsers keep cookies by host, not port, and both hubs name theirs
	// alike.
	port := hubtest.FreePort(t)
	second := fmt.Sprintf("http://localhost:%d", port)
	secret := hubtest.RandomToken()
	first, issuer := oidcHub(t, nil, oidcClient{ID: "second-hub", Secret: secret, RedirectURIs: []string{second + "/hub/oauth_callback"}})
	first.CreateUser(t, "ada")
	first.CreateUser(t, "bob")
	first.AddToGroup(t, "staff", "ada")

	hub2 := hubtest.Start(t, hubtest.Options{
		Venv:        ".venv-oauthenticator",
		VenvTarget:  "apps",
		Port:        port,
		ConfigFiles: []string{filepath.Join(hubtest.RepoRoot(), "examples", "oidc", "second-hub_config.py")},
		Env:         []string{"OIDC_ISSUER=" + issuer, "SECOND_HUB_CLIENT_SECRET=" + secret, "SECOND_HUB_URL=" + second},
		ExtraConfig: secondHubRig,
	})
	require.Equal(t, 6, hub2.Version().Major)

	t.Run("a user of the first hub logs in to the second, groups and all", func(t *testing.T) {
		b := newBrowser(t, "ada")
		h := b.visit(second + "/hub/oauth_login?next=%2Fhub%2Fhome")
		require.Equal(t, 200, h.status, "%s: %.2000s", h.url, h.body)
		require.True(t, strings.HasPrefix(h.url, second+"/hub/home"), h.url)
		var visitedProvider bool
		for _, hp := range b.hops {
			visitedProvider = visitedProvider || strings.HasPrefix(hp.url, issuer+"/authorize")
		}
		require.True(t, visitedProvider)

		var user struct {
			Name   string   `json:"name"`
			Groups []string `json:"groups"`
		}
		require.Equal(t, http.StatusOK, hub2.API(t, "GET", "/users/ada", nil, &user))
		require.Equal(t, "ada", user.Name)
		require.Equal(t, []string{"staff"}, user.Groups)
	})

	t.Run("a user outside the allowed group is refused by the second hub", func(t *testing.T) {
		h := newBrowser(t, "bob").visit(second + "/hub/oauth_login")
		require.Equal(t, http.StatusForbidden, h.status, "%s: %.1000s", h.url, h.body)
		require.Equal(t, http.StatusNotFound, hub2.API(t, "GET", "/users/"+url.PathEscape("bob"), nil, nil))
	})
}
