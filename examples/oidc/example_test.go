// Package oidcexample holds no code: its test checks that the example's
// files agree with each other and with what hubauth-oidc reads. The
// integration tests run them against a real hub.
package oidcexample

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/hubauth-go/whoami/hubauth"
	"github.com/hubauth-go/whoami/hubauth/oidc"
	"github.com/hubauth-go/whoami/internal/oidccmd"
	shell "github.com/hubauth-go/whoami/internal/service"
)

// issuer is the example hub's provider (jupyterhub_config.py's defaults).
const issuer = "http://127.0.0.1:8000/services/oidc"

// ini reads the sections of a grafana.ini: key = value lines, ';' and
// '#' comments.
func ini(t *testing.T, path string) map[string]map[string]string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	out := map[string]map[string]string{"": {}}
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, ";") || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "["):
			section = strings.Trim(line, "[]")
			out[section] = map[string]string{}
		default:
			k, v, ok := strings.Cut(line, "=")
			require.True(t, ok, "%s: %q", path, line)
			out[section][strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	require.NoError(t, sc.Err())
	return out
}

func clientsByID(t *testing.T, clients []oidc.Client) map[string]oidc.Client {
	t.Helper()
	out := map[string]oidc.Client{}
	for _, c := range clients {
		out[c.ID] = c
	}
	return out
}

func TestClientSides(t *testing.T) {
	clients, err := oidc.LoadClients("clients.yaml")
	require.NoError(t, err)
	byID := clientsByID(t, clients)
	require.Len(t, byID, 4)
	require.Empty(t, byID["cli"].Secret, "a public client")

	t.Run("grafana.ini", func(t *testing.T) {
		g := ini(t, "grafana.ini")
		auth := g["auth.generic_oauth"]
		c := byID[auth["client_id"]]
		require.Equal(t, "grafana", c.ID)
		require.Equal(t, c.Secret, auth["client_secret"])
		require.Contains(t, c.RedirectURIs, g["server"]["root_url"]+"login/generic_oauth", "Grafana's redirect URI")
		require.Equal(t, issuer+"/authorize", auth["auth_url"])
		require.Equal(t, issuer+"/token", auth["token_url"])
		require.Equal(t, issuer+"/userinfo", auth["api_url"])
		require.Equal(t, "true", auth["use_pkce"])
		for _, s := range strings.Fields(auth["scopes"]) {
			require.Contains(t, []string{"openid", "profile", "email", "groups"}, s)
		}
		out, err := url.Parse(g["auth"]["signout_redirect_url"])
		require.NoError(t, err)
		require.Equal(t, issuer+"/logout", out.Scheme+"://"+out.Host+out.Path)
		require.Equal(t, "grafana", out.Query().Get("client_id"))
		require.Contains(t, c.PostLogoutRedirectURIs, out.Query().Get("post_logout_redirect_uri"))
	})

	t.Run("oauth2-proxy.cfg", func(t *testing.T) {
		raw, err := os.ReadFile("oauth2-proxy.cfg")
		require.NoError(t, err)
		cfg := map[string]string{}
		for _, line := range strings.Split(string(raw), "\n") {
			if k, v, ok := strings.Cut(line, " = "); ok && !strings.HasPrefix(line, "#") {
				cfg[k] = strings.Trim(v, `"`)
			}
		}
		c := byID[cfg["client_id"]]
		require.Equal(t, "oauth2-proxy", c.ID)
		require.Equal(t, c.Secret, cfg["client_secret"])
		require.Equal(t, issuer, cfg["oidc_issuer_url"])
		require.Contains(t, c.RedirectURIs, cfg["redirect_url"])
		require.Equal(t, "http://"+cfg["http_address"]+"/oauth2/callback", cfg["redirect_url"])
		require.Equal(t, `["staff"]`, cfg["allowed_groups"])
		require.Equal(t, []string{"staff"}, c.AllowedGroups)
		require.Equal(t, "S256", cfg["code_challenge_method"])
		require.Contains(t, c.PostLogoutRedirectURIs, "http://"+cfg["http_address"]+"/oauth2/sign_out")
	})

	t.Run("second-hub_config.py", func(t *testing.T) {
		raw, err := os.ReadFile("second-hub_config.py")
		require.NoError(t, err)
		src := string(raw)
		field := func(re string) string {
			m := regexp.MustCompile(re).FindStringSubmatch(src)
			require.NotNil(t, m, re)
			return m[1]
		}
		c := byID[field(`client_id = "([^"]+)"`)]
		require.Equal(t, "second-hub", c.ID)
		require.Equal(t, c.Secret, field(`"SECOND_HUB_CLIENT_SECRET",\s+#[^\n]*\n\s+"([0-9a-f]+)"`))
		require.Equal(t, issuer, field(`"OIDC_ISSUER", "([^"]+)"`))
		require.Contains(t, c.RedirectURIs, field(`"SECOND_HUB_URL", "([^"]+)"`)+"/hub/oauth_callback")
	})

	t.Run("jupyterhub_config.py", func(t *testing.T) {
		raw, err := os.ReadFile("jupyterhub_config.py")
		require.NoError(t, err)
		src := string(raw)
		require.Contains(t, src, `"HUB_PUBLIC_URL", "http://127.0.0.1:8000"`)
		require.Contains(t, src, `"HUBAUTH_OIDC_ISSUER": public_url + "/services/oidc"`)
		require.Contains(t, src, `"name": "oidc"`)
		require.Contains(t, src, `c.JupyterHub.load_groups = {"staff"`, "the group allowed_groups names")
	})
}

// The Kubernetes example's files agree: the service the chart registers is
// the one the Deployment runs, every file the variables name is in a
// mounted Secret, and every variable is one the command reads and the
// README documents.
func TestKubernetes(t *testing.T) {
	raw, err := os.ReadFile("kubernetes/config.yaml")
	require.NoError(t, err)
	var values struct {
		Hub struct {
			Services  map[string]map[string]any `yaml:"services"`
			LoadRoles map[string]struct {
				Scopes []string `yaml:"scopes"`
			} `yaml:"loadRoles"`
		} `yaml:"hub"`
	}
	require.NoError(t, yaml.Unmarshal(raw, &values))
	svc, ok := values.Hub.Services["oidc"]
	require.True(t, ok)
	var grants bool
	for _, role := range values.Hub.LoadRoles {
		for _, s := range role.Scopes {
			grants = grants || hubauth.ScopeGrants(s, "access:services!service=oidc")
		}
	}
	require.True(t, grants)

	type envVar struct {
		Name      string `yaml:"name"`
		Value     string `yaml:"value"`
		ValueFrom *struct {
			SecretKeyRef *struct {
				Name string `yaml:"name"`
				Key  string `yaml:"key"`
			} `yaml:"secretKeyRef"`
		} `yaml:"valueFrom"`
	}
	var deploy struct {
		Spec struct {
			Replicas int `yaml:"replicas"`
			Template struct {
				Spec struct {
					Containers []struct {
						Command      []string `yaml:"command"`
						Env          []envVar `yaml:"env"`
						VolumeMounts []struct {
							Name      string `yaml:"name"`
							MountPath string `yaml:"mountPath"`
						} `yaml:"volumeMounts"`
					} `yaml:"containers"`
					Volumes []struct {
						Name   string `yaml:"name"`
						Secret struct {
							SecretName string `yaml:"secretName"`
						} `yaml:"secret"`
					} `yaml:"volumes"`
				} `yaml:"spec"`
			} `yaml:"template"`
		} `yaml:"spec"`
	}
	f, err := os.Open("kubernetes/hubauth-oidc.yaml")
	require.NoError(t, err)
	defer f.Close()
	dec := yaml.NewDecoder(f)
	var kinds []string
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			break
		} else {
			require.NoError(t, err)
		}
		var head struct {
			Kind string `yaml:"kind"`
		}
		require.NoError(t, doc.Decode(&head))
		kinds = append(kinds, head.Kind)
		if head.Kind == "Deployment" {
			require.NoError(t, doc.Decode(&deploy))
		}
	}
	require.Equal(t, []string{"Deployment", "Service"}, kinds)
	require.Equal(t, 2, deploy.Spec.Replicas)
	c := deploy.Spec.Template.Spec.Containers[0]
	require.Equal(t, []string{"/usr/local/bin/hubauth-oidc"}, c.Command)
	env := map[string]envVar{}
	for _, e := range c.Env {
		env[e.Name] = e
	}
	require.Equal(t, svc["url"], env["JUPYTERHUB_SERVICE_URL"].Value)
	require.Equal(t, "hub.services.oidc.apiToken", env["JUPYTERHUB_API_TOKEN"].ValueFrom.SecretKeyRef.Key)

	// Every file the provider reads is in a mounted Secret.
	mounts := map[string]string{} // path -> Secret
	secretOf := map[string]string{}
	for _, v := range deploy.Spec.Template.Spec.Volumes {
		secretOf[v.Name] = v.Secret.SecretName
	}
	for _, m := range c.VolumeMounts {
		require.NotEmpty(t, secretOf[m.Name], "volume %s is a Secret", m.Name)
		mounts[m.MountPath] = secretOf[m.Name]
	}
	mounted := func(path string) string {
		return mounts[filepath.Dir(path)]
	}
	require.Equal(t, "hubauth-oidc-clients", mounted(env["HUBAUTH_OIDC_CLIENTS"].Value))
	require.Equal(t, "hubauth-oidc-keys", mounted(env["HUBAUTH_OIDC_KEY_FILE"].Value))
	require.Equal(t, "clients.yaml", filepath.Base(env["HUBAUTH_OIDC_CLIENTS"].Value), "the key kubectl create secret --from-file gives it")

	// The clients file reads, with its secret files where the Secret puts
	// them (here, in a temporary directory).
	raw, err = os.ReadFile("kubernetes/clients.yaml")
	require.NoError(t, err)
	dir := t.TempDir()
	var secretFiles []string
	for _, m := range regexp.MustCompile(`client_secret_file: (\S+)`).FindAllSubmatch(raw, -1) {
		path := string(m[1])
		require.Equal(t, "hubauth-oidc-client-secrets", mounted(path), path)
		secretFiles = append(secretFiles, path)
		local := filepath.Join(dir, filepath.Base(path))
		require.NoError(t, os.WriteFile(local, []byte("s3cret-"+filepath.Base(path)+"\n"), 0o600))
		raw = bytes.ReplaceAll(raw, m[1], []byte(local))
	}
	require.Len(t, secretFiles, 2)
	clients, err := oidc.ParseClients(raw)
	require.NoError(t, err)
	require.Equal(t, "s3cret-grafana", clientsByID(t, clients)["grafana"].Secret)

	// Every variable is one the command reads and the README documents.
	known := map[string]bool{shell.MetricsListenEnv: true}
	for _, s := range append(hubauth.Settings(), oidccmd.Settings()...) {
		known[s.Name] = true
	}
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	for name := range env {
		require.True(t, known[name], "%s is not a variable hubauth-oidc reads", name)
		require.True(t, bytes.Contains(readme, []byte("| `"+name+"` |")), "%s has no row in README.md", name)
	}

	// The issuer the pods derive is the one the README tells applications.
	for _, s := range hubauth.Settings() {
		t.Setenv(s.Name, "")
	}
	for name, e := range env {
		if e.ValueFrom == nil && !strings.HasPrefix(name, "HUBAUTH_OIDC_") {
			t.Setenv(name, e.Value)
		}
	}
	t.Setenv("JUPYTERHUB_API_TOKEN", strings.Repeat("ab", 32))
	cfg, err := hubauth.FromEnv()
	require.NoError(t, err)
	require.Equal(t, "https://hub.example.org", cfg.Host)
	require.True(t, slices.Contains(cfg.AccessScopes, "access:services!service=oidc"))
	k8sReadme, err := os.ReadFile("kubernetes/README.md")
	require.NoError(t, err)
	require.Contains(t, string(k8sReadme), cfg.Host+strings.TrimSuffix(cfg.ServicePrefix, "/"))
}
