package oidccmd

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hubauth-go/whoami/hubauth"
	"github.com/hubauth-go/whoami/hubauth/oidc"
)

// setting is one of the command's environment variables: what -h and the
// README say of it, and how it is read, in one row so they never
// disagree.
type setting struct {
	hubauth.Setting
	read func(cfg *oidc.Config, v string) error
}

// settingRows are the command's variables, besides hubauth's.
func settingRows() []setting {
	return []setting{
		{hubauth.Setting{Name: "HUBAUTH_OIDC_CLIENTS", Default: "(required)",
			Doc: "YAML or JSON file listing the clients: client_id, client_secret or client_secret_file, redirect_uris, allowed_groups, post_logout_redirect_uris"},
			func(cfg *oidc.Config, v string) (err error) {
				if v == "" {
					return errors.New("not set: name the file that lists the applications that may log users in")
				}
				cfg.Clients, err = oidc.LoadClients(v)
				return err
			}},
		{hubauth.Setting{Name: "HUBAUTH_OIDC_ISSUER", Default: "(from JUPYTERHUB_PUBLIC_URL or JUPYTERHUB_HOST)",
			Doc: "the provider's public URL, which clients check id_tokens against: the service's public URL without the trailing slash"},
			func(cfg *oidc.Config, v string) error { cfg.Issuer = v; return nil }},
		{hubauth.Setting{Name: "HUBAUTH_OIDC_KEY_FILE", Default: "(derived)",
			Doc: "PEM file of private keys (RSA or EC) that sign id_tokens: the first signs, all are published; default: an RSA key derived from HUBAUTH_COOKIE_SECRET or the API token"},
			func(cfg *oidc.Config, v string) error {
				if v == "" {
					return nil
				}
				data, err := os.ReadFile(v)
				if err != nil {
					return err
				}
				if cfg.Keys, err = oidc.ParseKeys(data); err != nil {
					return fmt.Errorf("%s: %w", v, err)
				}
				return nil
			}},
		{hubauth.Setting{Name: "HUBAUTH_OIDC_EMAIL_TEMPLATE", Default: "",
			Doc: "gives users an email claim (scope email): {name} is replaced by the hub user name, e.g. {name}@example.org"},
			func(cfg *oidc.Config, v string) error {
				if v != "" && !strings.Contains(v, "{name}") {
					return fmt.Errorf("want a template with {name} in it, like {name}@example.org, got %.60q", v)
				}
				cfg.EmailTemplate = v
				return nil
			}},
		{hubauth.Setting{Name: "HUBAUTH_OIDC_TOKEN_LIFETIME", Default: oidc.DefaultTokenLifetime.String(),
			Doc: "how long access tokens and id_tokens last (seconds or a Go duration), never longer than the hub token behind them"},
			func(cfg *oidc.Config, v string) error {
				if v == "" {
					return nil
				}
				d, err := time.ParseDuration(v)
				if secs, perr := strconv.ParseFloat(v, 64); perr == nil {
					d, err = time.Duration(secs*float64(time.Second)), nil
				}
				if err != nil || d < time.Minute || d > 30*24*time.Hour {
					return fmt.Errorf("want a duration from 1m to 720h, like 1h or 3600, got %.40q", v)
				}
				cfg.TokenLifetime = d
				return nil
			}},
	}
}

// Settings are the environment variables hubauth-oidc reads besides
// hubauth.Settings, for -h and the README.
func Settings() []hubauth.Setting {
	var out []hubauth.Setting
	for _, s := range settingRows() {
		out = append(out, s.Setting)
	}
	return out
}

// readSettings reads the command's variables, every problem at once, each
// naming its variable.
func readSettings(lookup func(string) (string, bool)) (oidc.Config, error) {
	var cfg oidc.Config
	var problems []error
	for _, s := range settingRows() {
		v, _ := lookup(s.Name)
		if err := s.read(&cfg, strings.TrimSpace(v)); err != nil {
			// One line per problem (a clients file may have several).
			for _, line := range strings.Split(err.Error(), "\n") {
				problems = append(problems, fmt.Errorf("%s: %s", s.Name, line))
			}
		}
	}
	return cfg, errors.Join(problems...)
}

// defaultIssuer is the issuer when HUBAUTH_OIDC_ISSUER is not set: the
// service's public URL, as the hub hands it (JUPYTERHUB_PUBLIC_URL, when
// it ends with the service prefix), else the hub's public origin
// (JUPYTERHUB_HOST) and the prefix; without the trailing slash.
func defaultIssuer(cfg hubauth.Config) (string, error) {
	prefix := cfg.ServicePrefix
	if public := cfg.PublicURL; public != "" && strings.HasSuffix(strings.TrimSuffix(public, "/")+"/", prefix) {
		return strings.TrimSuffix(public, "/"), nil
	}
	if cfg.Host != "" {
		return cfg.Host + strings.TrimSuffix(prefix, "/"), nil
	}
	return "", fmt.Errorf("HUBAUTH_OIDC_ISSUER: not set, and neither JUPYTERHUB_PUBLIC_URL (ending with the service prefix %s) "+
		"nor JUPYTERHUB_HOST says where clients reach this service: set it to that URL without the trailing slash, "+
		"e.g. https://hub.example.org%s", prefix, strings.TrimSuffix(prefix, "/"))
}
