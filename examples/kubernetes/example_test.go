// Package kubernetes holds no code: its test checks that the example's
// files parse and agree with each other and with what the commands read.
package kubernetes

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/hubauth-go/whoami/hubauth"
	shell "github.com/hubauth-go/whoami/internal/service"
)

// values is the part of the zero-to-jupyterhub chart's values that
// config.yaml sets. The chart takes hub.services and hub.loadRoles as
// maps keyed by name (not JupyterHub's lists), and generates a service's
// api_token into the Secret "hub" under hub.services.KEY.apiToken.
type values struct {
	Hub struct {
		Services  map[string]map[string]any `yaml:"services"`
		LoadRoles map[string]struct {
			Scopes   []string `yaml:"scopes"`
			Users    []string `yaml:"users"`
			Groups   []string `yaml:"groups"`
			Services []string `yaml:"services"`
		} `yaml:"loadRoles"`
	} `yaml:"hub"`
}

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

type probe struct {
	HTTPGet struct {
		Path string `yaml:"path"`
		Port string `yaml:"port"`
	} `yaml:"httpGet"`
	TimeoutSeconds int `yaml:"timeoutSeconds"`
}

type metadata struct {
	Name string `yaml:"name"`
}

type deployment struct {
	Metadata metadata `yaml:"metadata"`
	Spec     struct {
		Replicas int `yaml:"replicas"`
		Selector struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"selector"`
		Template struct {
			Metadata struct {
				Labels map[string]string `yaml:"labels"`
			} `yaml:"metadata"`
			Spec struct {
				SecurityContext struct {
					RunAsNonRoot bool `yaml:"runAsNonRoot"`
				} `yaml:"securityContext"`
				Containers []struct {
					Command []string `yaml:"command"`
					Env     []envVar `yaml:"env"`
					Ports   []struct {
						Name          string `yaml:"name"`
						ContainerPort int    `yaml:"containerPort"`
					} `yaml:"ports"`
					LivenessProbe  *probe `yaml:"livenessProbe"`
					ReadinessProbe *probe `yaml:"readinessProbe"`
				} `yaml:"containers"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

type service struct {
	Metadata metadata `yaml:"metadata"`
	Spec     struct {
		Selector map[string]string `yaml:"selector"`
		Ports    []struct {
			Name       string `yaml:"name"`
			Port       int    `yaml:"port"`
			TargetPort string `yaml:"targetPort"`
		} `yaml:"ports"`
	} `yaml:"spec"`
}

func TestExample(t *testing.T) {
	raw, err := os.ReadFile("config.yaml")
	require.NoError(t, err)
	var v values
	require.NoError(t, yaml.Unmarshal(raw, &v), "config.yaml")
	require.Len(t, v.Hub.Services, 1)
	svc, ok := v.Hub.Services["whoami-oauth"]
	require.True(t, ok, "hub.services is a map keyed by the service name")
	require.NotContains(t, svc, "api_token", "the chart generates the token into its Secret")
	require.NotContains(t, svc, "apiToken")
	require.NotContains(t, svc, "command", "an external service: the Deployment runs it")
	serviceURL, err := url.Parse(svc["url"].(string))
	require.NoError(t, err)

	var grants bool
	for _, role := range v.Hub.LoadRoles {
		for _, s := range role.Scopes {
			grants = grants || hubauth.ScopeGrants(s, "access:services!service=whoami-oauth")
		}
	}
	require.True(t, grants, "a role in hub.loadRoles grants access to the service")

	f, err := os.Open("whoami-oauth.yaml")
	require.NoError(t, err)
	defer f.Close()
	var deploy deployment
	var service service
	kinds := map[string]any{"Deployment": &deploy, "Service": &service}
	dec := yaml.NewDecoder(f)
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			break
		} else {
			require.NoError(t, err, "whoami-oauth.yaml")
		}
		var head struct {
			Kind string `yaml:"kind"`
		}
		require.NoError(t, doc.Decode(&head))
		dst, ok := kinds[head.Kind]
		require.True(t, ok, "unexpected kind %q", head.Kind)
		require.NoError(t, doc.Decode(dst))
		delete(kinds, head.Kind)
	}
	require.Empty(t, kinds, "a Deployment and a Service")
	require.Equal(t, "whoami-oauth", deploy.Metadata.Name)
	require.Equal(t, 2, deploy.Spec.Replicas)
	pod := deploy.Spec.Template
	for k, val := range deploy.Spec.Selector.MatchLabels {
		require.Equal(t, val, pod.Metadata.Labels[k], "the selector selects the pods")
		require.Equal(t, val, service.Spec.Selector[k], "the Service selects the pods")
	}
	require.Equal(t, "true", pod.Metadata.Labels["hub.jupyter.org/network-access-hub"], "the chart's NetworkPolicy admits only labelled pods to the hub")
	require.True(t, pod.Spec.SecurityContext.RunAsNonRoot)
	require.Len(t, pod.Spec.Containers, 1)
	c := pod.Spec.Containers[0]
	require.Equal(t, []string{"/usr/local/bin/whoami-oauth"}, c.Command, "the image's other binary")

	env := map[string]envVar{}
	for _, e := range c.Env {
		env[e.Name] = e
	}
	ref := env["JUPYTERHUB_API_TOKEN"].ValueFrom.SecretKeyRef
	require.Equal(t, "hub", ref.Name)
	require.Equal(t, "hub.services.whoami-oauth.apiToken", ref.Key)
	require.Equal(t, "whoami-oauth", env["JUPYTERHUB_SERVICE_NAME"].Value)
	require.Equal(t, serviceURL.String(), env["JUPYTERHUB_SERVICE_URL"].Value, "the hub and the service agree on its URL")
	require.Equal(t, "/services/whoami-oauth/", env["JUPYTERHUB_SERVICE_PREFIX"].Value)

	ports := map[string]int{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	port := func(name string) int {
		_, p, err := net.SplitHostPort(env[name].Value)
		require.NoError(t, err, name)
		n, err := strconv.Atoi(p)
		require.NoError(t, err, name)
		return n
	}
	require.Equal(t, ports["http"], port("HUBAUTH_LISTEN"))
	require.Equal(t, ports["metrics"], port("HUBAUTH_METRICS_LISTEN"))
	require.Equal(t, "metrics", c.LivenessProbe.HTTPGet.Port)
	require.Equal(t, "/healthz", c.LivenessProbe.HTTPGet.Path)
	require.Equal(t, "metrics", c.ReadinessProbe.HTTPGet.Port)
	require.Equal(t, "/readyz", c.ReadinessProbe.HTTPGet.Path)

	// hubauth takes the environment as it is: set it (the Secret's token
	// stood in for) and read it as the service would.
	for _, s := range hubauth.Settings() {
		t.Setenv(s.Name, "")
	}
	for name, e := range env {
		if e.ValueFrom == nil {
			t.Setenv(name, e.Value)
		}
	}
	t.Setenv("JUPYTERHUB_API_TOKEN", strings.Repeat("ab", 32))
	cfg, err := hubauth.FromEnv()
	require.NoError(t, err)
	require.Equal(t, []string{"access:services!service=whoami-oauth"}, cfg.AccessScopes)
	auth, err := hubauth.New(cfg)
	require.NoError(t, err)
	_, err = hubauth.NewOAuth(auth)
	require.NoError(t, err)
	require.Equal(t, "/services/whoami-oauth/oauth_callback", cfg.OAuthCallbackURL, "the redirect URI the hub gives the service's OAuth client")
	require.Less(t, cfg.HubTimeout, time.Duration(c.ReadinessProbe.TimeoutSeconds)*time.Second,
		"a readiness check may take the hub timeout; the probe waits longer")

	// The Service is what config.yaml's url names.
	require.Equal(t, serviceURL.Hostname(), service.Metadata.Name)
	var routed bool
	for _, p := range service.Spec.Ports {
		if strconv.Itoa(p.Port) == serviceURL.Port() {
			require.Equal(t, "http", p.TargetPort)
			routed = true
		}
	}
	require.True(t, routed, "the Service has the port of config.yaml's url")

	// Every variable is one the commands read and the README documents.
	known := map[string]bool{shell.MetricsListenEnv: true}
	for _, s := range hubauth.Settings() {
		known[s.Name] = true
	}
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	for name := range env {
		documented := bytes.Contains(readme, []byte("| `"+name+"` |"))
		require.True(t, known[name], "%s is not a variable the commands read", name)
		require.True(t, documented, "%s has no row in README.md", name)
	}
	require.False(t, strings.Contains(string(raw), "\t"), "no tabs in YAML")
}
