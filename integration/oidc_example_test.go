package integration

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/hubauth-go/whoami/internal/hubtest"
)

// readINI reads a grafana.ini's key = value lines by section.
func readINI(t *testing.T, path string) map[string]map[string]string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	out := map[string]map[string]string{}
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "["):
			section = strings.Trim(line, "[]")
			out[section] = map[string]string{}
		default:
			k, v, _ := strings.Cut(line, "=")
			out[section][strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	require.NoError(t, sc.Err())
	return out
}

// The example's hub (examples/oidc/jupyterhub_config.py, clients.yaml),
// with an application that does what grafana.ini tells Grafana to do: send
// the browser to auth_url with its client id, PKCE and scopes; exchange the
// code at token_url with its secret; ask api_url for the user; log out at
// signout_redirect_url. Grafana itself is not run (it is not on the
// registries the tests install from); oauth2-proxy and the second hub run
// their example files for real. Against one hub release: the go-oidc tests
// run the same service on every release.
func TestOIDCExample(t *testing.T) {
	hubtest.Require(t)
	hubtest.OnlyOn(t, "6.1", "the example's files together; the go-oidc tests run the provider on every release")
	dir := filepath.Join(hubtest.RepoRoot(), "examples", "oidc")
	bin := hubtest.Binary(t, "hubauth-oidc")
	port := hubtest.FreePort(t)
	hubURL := fmt.Sprintf("http://127.0.0.1:%d", port)
	hub := hubtest.Start(t, hubtest.Options{
		Port:        port,
		ConfigFiles: []string{filepath.Join(dir, "jupyterhub_config.py")},
		Env: []string{"HUB_PUBLIC_URL=" + hubURL, "WHOAMI_BIN_DIR=" + filepath.Dir(bin),
			fmt.Sprintf("HUBAUTH_OIDC_URL=http://127.0.0.1:%d", hubtest.FreePort(t))},
	})
	hub.CreateUser(t, "kim")
	hub.AddToGroup(t, "staff", "kim")

	// grafana.ini names the hub at 127.0.0.1:8000 and Grafana at
	// 127.0.0.1:3000; here the hub is elsewhere, and Grafana's callback is
	// a server that keeps the code.
	ini := readINI(t, filepath.Join(dir, "grafana.ini"))
	moved := func(u string) string { return strings.Replace(u, "http://127.0.0.1:8000", hubURL, 1) }
	grafana := ini["server"]["root_url"]
	codes := make(chan url.Values, 1)
	callback := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		codes <- r.URL.Query()
		fmt.Fprint(w, "Grafana")
	}))
	t.Cleanup(callback.Close)
	auth := ini["auth.generic_oauth"]
	conf := oauth2.Config{
		ClientID: auth["client_id"], ClientSecret: auth["client_secret"],
		Endpoint:    oauth2.Endpoint{AuthURL: moved(auth["auth_url"]), TokenURL: moved(auth["token_url"])},
		RedirectURL: grafana + "login/generic_oauth",
		Scopes:      strings.Fields(auth["scopes"]),
	}
	require.Equal(t, "true", auth["use_pkce"])
	verifier := oauth2.GenerateVerifier()

	b := newBrowser(t, "kim")
	b.before = func(u string) string {
		return strings.Replace(u, strings.TrimSuffix(grafana, "/"), callback.URL, 1)
	}
	h := b.visit(conf.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier)))
	require.Equal(t, "Grafana", h.body, "%s: %s", h.url, h.body)
	require.Equal(t, 0, b.approved, "oauth_no_confirm: no authorize page")
	q := <-codes
	require.Equal(t, "st", q.Get("state"))
	tok, err := conf.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(verifier))
	require.NoError(t, err)

	r := get(t, moved(auth["api_url"]), "Bearer "+tok.AccessToken)
	require.Equal(t, 200, r.status, r.body)
	var user map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.body), &user))
	for _, attr := range []string{"login_attribute_path", "name_attribute_path"} {
		require.Equal(t, "kim", user[auth[attr]], attr)
	}
	require.Equal(t, "kim@hub.example.org", user[auth["email_attribute_path"]])
	require.Equal(t, []any{"staff"}, user[auth["groups_attribute_path"]], "role_attribute_path makes kim an Editor")

	page := b.get(moved(ini["auth"]["signout_redirect_url"]))
	require.Equal(t, 200, page.status, page.body)
	require.Contains(t, page.body, `data-next="`+grafana+`login"`)
}
