// Package oidccmd is what the hubauth-oidc command adds to the service
// shell (internal/service): its variables and the provider it serves. The
// provider itself is the package hubauth/oidc.
package oidccmd

import (
	"context"
	"flag"
	"net/http"
	"os"

	"github.com/hubauth-go/whoami/hubauth"
	"github.com/hubauth-go/whoami/hubauth/oidc"
	"github.com/hubauth-go/whoami/internal/service"
)

// Name is the command's name, in messages and usage.
const Name = "hubauth-oidc"

const about = `An OpenID Connect provider for the hub's users: applications that log users
in through OpenID Connect (Grafana, Gitea, MinIO, oauth2-proxy, another
JupyterHub, ...) send them through the hub's login. Run it as a hub service;
HUBAUTH_OIDC_CLIENTS lists the applications. Discovery is at
{issuer}/.well-known/openid-configuration.`

// Command is hubauth-oidc, for the service shell.
func Command() service.Command {
	var cfg oidc.Config
	return service.Command{
		Name:     Name,
		About:    about,
		Settings: Settings(),
		Flags: func(*flag.FlagSet) func([]string) error {
			// The variables are read with the hub's, so that every
			// problem is reported at once.
			return func([]string) (err error) {
				cfg, err = readSettings(os.LookupEnv)
				return err
			}
		},
		Start: func(_ context.Context, s *service.Service) (http.Handler, error) {
			return start(s, cfg)
		},
	}
}

// start builds the provider on the service's hub login.
func start(s *service.Service, cfg oidc.Config) (http.Handler, error) {
	login, err := hubauth.NewOAuth(s.Auth)
	if err != nil {
		return nil, err
	}
	if cfg.Issuer == "" {
		if cfg.Issuer, err = defaultIssuer(s.Config); err != nil {
			return nil, err
		}
	}
	m, err := newMetrics(s.Metrics, cfg.Clients)
	if err != nil {
		return nil, err
	}
	cfg.Observer, cfg.Logger = m.observer(), s.Logger
	provider, err := oidc.New(login, cfg)
	if err != nil {
		return nil, err
	}
	keys := "derived"
	if len(cfg.Keys) > 0 {
		keys = "HUBAUTH_OIDC_KEY_FILE"
	}
	s.Logger.Info("OpenID Connect provider", "issuer", cfg.Issuer, "clients", len(cfg.Clients), "signing_keys", keys)
	return hubauth.UnderPrefix(s.Config.ServicePrefix, provider), nil
}
