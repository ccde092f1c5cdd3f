package oidc_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"log"
	"os"

	"github.com/hubauth-go/whoami/hubauth"
	"github.com/hubauth-go/whoami/hubauth/oidc"
)

// A hub service that is an OpenID Connect provider: the hub's OAuth login
// for the service, the clients from a file, and the provider under the
// service's prefix. The issuer is the URL clients reach the service at.
func Example() {
	cfg, err := hubauth.FromEnv()
	if err != nil {
		log.Fatal(err)
	}
	auth, err := hubauth.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	login, err := hubauth.NewOAuth(auth)
	if err != nil {
		log.Fatal(err)
	}
	clients, err := oidc.LoadClients("/etc/hubauth-oidc/clients.yaml")
	if err != nil {
		log.Fatal(err)
	}
	provider, err := oidc.New(login, oidc.Config{
		Issuer:  "https://hub.example.org/services/oidc",
		Clients: clients,
		// No Keys: an RSA key derived from the service's secret signs.
	})
	if err != nil {
		log.Fatal(err)
	}
	srv, err := hubauth.NewServer(cfg, hubauth.UnderPrefix(cfg.ServicePrefix, provider))
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(srv.ListenAndServe(context.Background()))
}

// A clients file: YAML, or JSON. A client without a secret is public and
// must use PKCE; allowed_groups keeps everyone else out.
func ExampleParseClients() {
	clients, err := oidc.ParseClients([]byte(`
clients:
  - client_id: grafana
    client_secret: 5d1c0a8e3f
    redirect_uris: [https://grafana.example.org/login/generic_oauth]
    allowed_groups: [staff]
  - client_id: cli
    redirect_uris: ["http://127.0.0.1:8250/callback"]
`))
	if err != nil {
		log.Fatal(err)
	}
	for _, c := range clients {
		fmt.Println(c.ID, c.RedirectURIs, "public:", c.Secret == "", "groups:", c.AllowedGroups)
	}
	_, err = oidc.ParseClients([]byte("clients:\n  - client_id: grafana\n    redirect_uri: https://grafana.example.org/\n"))
	fmt.Println(err)
	// Output:
	// grafana [https://grafana.example.org/login/generic_oauth] public: false groups: [staff]
	// cli [http://127.0.0.1:8250/callback] public: true groups: []
	// clients[0] ("grafana"), line 2: unknown field "redirect_uri" (known: client_id, client_secret, client_secret_file, redirect_uris, allowed_groups, post_logout_redirect_uris, id_token_signed_response_alg)
	// clients[0] ("grafana"), line 2: redirect_uris: missing: list where the application receives the code, e.g. https://app.example.org/oauth2/callback
}

// Keys from a file (HUBAUTH_OIDC_KEY_FILE): each gets its algorithm and a
// key id that is its thumbprint, the same wherever the file is read.
func ExampleParseKeys() {
	data, err := os.ReadFile("/etc/hubauth-oidc/keys.pem")
	if err != nil {
		log.Fatal(err)
	}
	keys, err := oidc.ParseKeys(data)
	if err != nil {
		log.Fatal(err)
	}
	for _, k := range keys {
		fmt.Println(k.Algorithm, k.ID)
	}
}

// A key made in the program signs as well as one from a file.
func ExampleNewSigningKey() {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	sk, err := oidc.NewSigningKey(k)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(sk.Algorithm, len(sk.ID))
	// Output: ES256 43
}
