package oidc

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseClients(t *testing.T) {
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "grafana-secret")
	require.NoError(t, os.WriteFile(secretFile, []byte("  from-the-file\n"), 0o600))
	empty := filepath.Join(dir, "empty")
	require.NoError(t, os.WriteFile(empty, []byte("\n"), 0o600))

	for _, tc := range []struct {
		name   string
		file   string
		want   []Client
		errors []string
	}{
		{name: "YAML, secret from a file, a public client", file: `
clients:
  - client_id: grafana
    client_secret_file: ` + secretFile + `
    redirect_uris: [https://grafana.example.org/login/generic_oauth]
    allowed_groups: [staff]
    post_logout_redirect_uris: [https://grafana.example.org/login]
  - client_id: cli
    redirect_uris: ["http://127.0.0.1:8250/callback"]
`, want: []Client{
			{ID: "grafana", Secret: "from-the-file", SecretFile: secretFile, RedirectURIs: []string{"https://grafana.example.org/login/generic_oauth"},
				AllowedGroups: []string{"staff"}, PostLogoutRedirectURIs: []string{"https://grafana.example.org/login"}},
			{ID: "cli", RedirectURIs: []string{"http://127.0.0.1:8250/callback"}},
		}},
		{name: "JSON", file: `{"clients": [{"client_id": "a", "client_secret": "s3cret", "redirect_uris": ["com.example.app:/cb"]}]}`,
			want: []Client{{ID: "a", Secret: "s3cret", RedirectURIs: []string{"com.example.app:/cb"}}}},
		{name: "not YAML", file: "clients: [", errors: []string{"not a clients file"}},
		{name: "unknown top-level field", file: "clients: []\nclient: x\n", errors: []string{"not a clients file", "field client not found"}},
		{name: "no clients", file: "clients: []\n", errors: []string{"no clients"}},
		{name: "an entry that is not an object", file: "clients: [grafana]\n", errors: []string{"clients[0], line 1: want an object"}},
		{name: "every problem of an entry, named", file: `
clients:
  - client_id: grafana
    client_secrt: x
    redirect_uris: ["https://grafana.example.org/cb#frag", "/relative"]
    post_logout_redirect_uris: ["https://user:pw@grafana.example.org/"]
`, errors: []string{
			`clients[0] ("grafana"), line 3: unknown field "client_secrt"`,
			`clients[0] ("grafana"), line 3: redirect_uris: "https://grafana.example.org/cb#frag" has a fragment`,
			`redirect_uris: "/relative" is not absolute`,
			`post_logout_redirect_uris: "https://user:xxxxx@grafana.example.org/" has a user name or password`,
		}},
		{name: "missing fields", file: "clients:\n  - allowed_groups: [\"\"]\n", errors: []string{
			"client_id: missing", "redirect_uris: missing", "allowed_groups: an empty group name"}},
		{name: "a list where a string goes", file: "clients:\n  - client_id: [a]\n    redirect_uris: [https://a.example/]\n", errors: []string{
			"clients[0], line 2: line 2: cannot unmarshal !!seq"}},
		{name: "two entries with one id", file: "clients:\n  - {client_id: a, redirect_uris: [https://a.example/]}\n  - {client_id: a, redirect_uris: [https://b.example/]}\n",
			errors: []string{`clients[1] ("a"), line 3: client_id: also the id of clients[0]`}},
		{name: "secret and secret file", file: "clients:\n  - {client_id: a, client_secret: x, client_secret_file: /x, redirect_uris: [https://a.example/]}\n",
			errors: []string{"give one, not both"}},
		{name: "secret file missing or empty", file: "clients:\n  - {client_id: a, client_secret_file: /nonexistent/x, redirect_uris: [https://a.example/]}\n" +
			"  - {client_id: b, client_secret_file: " + empty + ", redirect_uris: [https://a.example/]}\n",
			errors: []string{"client_secret_file: open /nonexistent/x: no such file", "client_secret_file: " + empty + " is empty"}},
		{name: "a script for a redirect", file: "clients:\n  - {client_id: a, redirect_uris: ['javascript:alert(1)']}\n",
			errors: []string{`redirect_uris: "javascript:alert(1)": a javascript: URI is no place`}},
		{name: "a client id with a space", file: "clients:\n  - {client_id: 'a b', redirect_uris: [https://a.example/]}\n",
			errors: []string{`client_id: want at most 255 printable ASCII characters without spaces, got "a b"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clients, err := ParseClients([]byte(tc.file))
			if len(tc.errors) > 0 {
				require.Error(t, err)
				require.NotContains(t, err.Error(), ":pw@", "a password is never repeated")
				for _, e := range tc.errors {
					require.Contains(t, err.Error(), e)
				}
				require.Nil(t, clients)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, clients)
		})
	}
}

func TestLoadClientsNamesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "clients.yaml")
	require.NoError(t, os.WriteFile(path, []byte("clients:\n  - client_id: a\n  - client_id: b\n"), 0o600))
	_, err := LoadClients(path)
	require.Error(t, err)
	require.Contains(t, err.Error(), path+`: clients[0] ("a"), line 2: redirect_uris: missing`)
	require.Contains(t, err.Error(), path+`: clients[1] ("b"), line 3: redirect_uris: missing`)
	_, err = LoadClients(filepath.Join(t.TempDir(), "none.yaml"))
	require.ErrorIs(t, err, os.ErrNotExist)
}

// Secrets never appear in what ParseClients says about a file.
func TestParseClientsKeepsSecretsOut(t *testing.T) {
	_, err := ParseClients([]byte("clients:\n  - {client_id: a, client_secret: 'sup3r secret', redirect_uris: []}\n"))
	require.Error(t, err)
	require.NotContains(t, err.Error(), "sup3r")
}
