// Command whoami-oauth is a JupyterHub service that shows browsers their own
// model, logging them in through the hub's OAuth provider, as JupyterHub's
// Python whoami-oauth example does. Visit it at
//
//	http://127.0.0.1:8000/services/whoami-oauth/
//
// Requests with an Authorization: token header are answered too, without
// a login. {prefix}logout (e.g. /services/whoami-oauth/logout) ends the
// login and sends the browser on to the hub's logout page. It reads its
// settings from the JUPYTERHUB_* environment variables the hub gives the
// services it launches; run it with -h for the list.
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
		Name: "whoami-oauth",
		About: "A JupyterHub service that logs browsers in through the hub's OAuth\n" +
			"provider and shows them their model as JSON.",
		Start: func(_ context.Context, s *service.Service) (http.Handler, error) {
			login, err := hubauth.NewOAuth(s.Auth)
			if err != nil {
				return nil, err
			}
			return hubauth.UnderPrefix(s.Config.ServicePrefix, login.Middleware(whoami.Handler())), nil
		},
	})
}
