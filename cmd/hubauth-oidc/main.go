// Command hubauth-oidc is a JupyterHub service that is an OpenID Connect
// provider for the hub's users: any application that logs users in
// through OpenID Connect by configuration alone logs them in through the
// hub's own login.
//
//	c.JupyterHub.services = [{
//	    "name": "oidc",
//	    "url": "http://127.0.0.1:10120",
//	    "command": ["hubauth-oidc"],
//	    "environment": {"HUBAUTH_OIDC_CLIENTS": "/etc/hubauth-oidc/clients.yaml"},
//	}]
//
// Clients find everything at {issuer}/.well-known/openid-configuration,
// e.g. https://hub.example.org/services/oidc/.well-known/openid-configuration.
// Run it with -h for the environment variables.
package main

import (
	"github.com/hubauth-go/whoami/internal/oidccmd"
	"github.com/hubauth-go/whoami/internal/service"
)

func main() { service.Main(oidccmd.Command()) }
