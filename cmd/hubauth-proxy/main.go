// Command hubauth-proxy puts any web app behind JupyterHub's login, as a
// service in front of a running app:
//
//	hubauth-proxy -upstream http://127.0.0.1:9000
//
// or as a user's server that starts the app itself on a free port:
//
//	c.Spawner.cmd = ["hubauth-proxy", "--", "panel", "serve", "app.py", "--port", "{port}"]
//
// Browsers log in through the hub, callers with a token header are checked
// with the hub, and the app receives the caller's name and groups in
// X-Forwarded-User and X-Forwarded-Groups, never anything a client could
// forge. Run it with -h for the flags and environment variables.
package main

import (
	"github.com/hubauth-go/whoami/internal/proxycmd"
	"github.com/hubauth-go/whoami/internal/service"
)

func main() { service.Main(proxycmd.Command()) }
