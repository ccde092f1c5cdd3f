// Command whoami-api is a JupyterHub service that answers token-authenticated
// requests with the caller's model, as JupyterHub's Python whoami example
// does:
//
//	curl -H "Authorization: token $TOKEN" http://127.0.0.1:8000/services/whoami-api/
//
// It reads its settings from the JUPYTERHUB_* environment variables the hub
// gives the services it launches; run it with -h for the list.
package main

import (
	"context"
	"net/http"

	"github.com/hubauth-go/whoami/hubauth"
	"github.com/hubauth-go/whoami/internal/service"
	"github.com/hubauth-go/whoami/internal/whoami"
)

func main() {
	service.Main(service.Command{
		Name: "whoami-api",
		About: "A JupyterHub service that answers requests carrying a hub token\n" +
			"(Authorization: token <token>) with the caller's model as JSON.",
		Start: func(_ context.Context, s *service.Service) (http.Handler, error) {
			return hubauth.UnderPrefix(s.Config.ServicePrefix, s.Auth.Middleware(whoami.Handler())), nil
		},
	})
}
