// Command act-as-user is an example JupyterHub service that acts on its
// users' behalf: it logs browsers in through the hub, then calls the hub's
// API with each user's own token (hubauth.TokenFromContext) to show their
// groups and servers as the hub has them now. It also has an admin page
// that only callers with the custom scope custom:act-as-user:admin may
// open (hubauth.RequireScopes).
//
// What the user's token may do is what the service's
// oauth_client_allowed_scopes let it ask for (and the user holds); see
// jupyterhub_config.py beside this file. Run it with that config:
//
//	make build && go build -o bin/act-as-user ./examples/act-as-user
//	.venv/bin/jupyterhub -f examples/act-as-user/jupyterhub_config.py
//
// and open http://127.0.0.1:8000/services/act-as-user/.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"syscall"

	"github.com/hubauth-go/whoami/hubauth"
)

// AdminScope opens the admin page. JupyterHub lets a deployment define
// scopes of its own (c.JupyterHub.custom_scopes) and grant them by role.
const AdminScope = "custom:act-as-user:admin"

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "act-as-user:", err)
		os.Exit(1)
	}
}

func run() error {
	cfg, err := hubauth.FromEnv()
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	auth, err := hubauth.New(cfg, hubauth.WithLogger(logger))
	if err != nil {
		return err
	}
	login, err := hubauth.NewOAuth(auth)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("GET "+cfg.ServicePrefix+"{$}", home(auth))
	mux.Handle("GET "+cfg.ServicePrefix+"admin", hubauth.RequireScopes(AdminScope)(http.HandlerFunc(admin)))

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	srv, err := hubauth.NewServer(cfg, login.Middleware(mux))
	if err != nil {
		return err
	}
	srv.Logger = logger
	return srv.ListenAndServe(ctx)
}

// home asks the hub, with the caller's own token, for the caller's groups
// and servers: fresh from the hub on every visit, where the identity the
// middleware checked may be a few minutes old (it is cached).
func home(auth *hubauth.Authenticator) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := hubauth.UserFromContext(r.Context())
		resp, err := auth.HubAPI(r.Context(), hubauth.TokenFromContext(r.Context()), http.MethodGet, "/users/"+url.PathEscape(u.Name), nil)
		if err != nil {
			hubauth.WriteError(w, err)
			return
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			hubauth.WriteJSONError(w, http.StatusBadGateway, fmt.Sprintf(
				"the hub answered %d when this service asked for your groups and servers with your token: "+
					"check the service's oauth_client_allowed_scopes", resp.StatusCode))
			return
		}
		var model struct {
			Groups  []string                   `json:"groups"`
			Servers map[string]json.RawMessage `json:"servers"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&model); err != nil {
			hubauth.WriteJSONError(w, http.StatusBadGateway, "the hub's answer about you was not JSON")
			return
		}
		servers := []string{}
		for name := range model.Servers {
			servers = append(servers, name)
		}
		slices.Sort(servers)
		isAdmin := u.HasScope(AdminScope)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"name":    u.Name,
			"groups":  append([]string{}, model.Groups...),
			"servers": servers,
			"admin":   isAdmin,
		})
	})
}

func admin(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "admin page for %s\n", hubauth.UserFromContext(r.Context()).Name)
}
