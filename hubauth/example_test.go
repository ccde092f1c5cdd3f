package hubauth_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/hubauth-go/whoami/hubauth"
)

// A service reads its settings from the environment the hub gives it and
// wraps its handlers in the middleware.
func Example() {
	cfg, err := hubauth.FromEnv()
	if err != nil {
		log.Fatal(err) // names every variable that is missing or malformed
	}
	auth, err := hubauth.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(cfg.ServicePrefix, auth.Middleware(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) {
			u := hubauth.UserFromContext(r.Context())
			fmt.Fprintf(w, "hello %s\n", u.Name)
		})))
	// On the address the hub expects (or HUBAUTH_LISTEN), over TLS under
	// internal SSL, with slow and oversized requests cut off.
	srv, err := hubauth.NewServer(cfg, mux)
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(srv.ListenAndServe(context.Background()))
}

// FromEnv reports every problem at once, each naming its variable.
func ExampleFromEnv() {
	os.Clearenv()
	os.Setenv("JUPYTERHUB_API_URL", "hub:8081")
	_, err := hubauth.FromEnv()
	fmt.Println(err)
	// Output:
	// hubauth: invalid configuration:
	//   - JUPYTERHUB_API_TOKEN: not set; the hub sets it for the services it launches, an external service needs the api_token from the hub's services configuration
	//   - JUPYTERHUB_API_URL: want a URL like http://127.0.0.1:8081/hub/api, got "hub:8081"
	//   - JUPYTERHUB_OAUTH_ACCESS_SCOPES: no access scopes, so no one could be told apart from any hub user: set JUPYTERHUB_SERVICE_NAME (giving access:services!service=NAME) or JUPYTERHUB_OAUTH_ACCESS_SCOPES, or set HUBAUTH_ALLOW_ANY_USER=true to admit every hub user
}

// Scope filters: an unfiltered scope grants every filtered form of itself,
// a filtered one only its own target.
func ExampleScopeGrants() {
	fmt.Println(hubauth.ScopeGrants("access:services", "access:services!service=whoami"))
	fmt.Println(hubauth.ScopeGrants("access:services!service=whoami", "access:services!service=whoami"))
	fmt.Println(hubauth.ScopeGrants("access:services!service=other", "access:services!service=whoami"))
	fmt.Println(hubauth.ScopeGrants("access:servers!user=ada", "access:servers!server=ada/lab"))
	// Output:
	// true
	// true
	// false
	// true
}

// Identify alone lets a handler serve anonymous callers differently.
func ExampleAuthenticator_Identify() {
	auth, err := hubauth.New(hubauth.Config{
		APIURL:        "http://127.0.0.1:8081/hub/api",
		APIToken:      "service-token",
		ServicePrefix: "/",
		BaseURL:       "/",
		AccessScopes:  []string{"access:services!service=whoami"},
		CacheMaxAge:   hubauth.DefaultCacheMaxAge,
		CacheSize:     hubauth.DefaultCacheSize,
		HubTimeout:    hubauth.DefaultHubTimeout,
	})
	if err != nil {
		log.Fatal(err)
	}
	h := auth.Identify(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, err := hubauth.FromContext(r.Context()); err != nil {
			fmt.Println("anonymous:", err)
		} else {
			fmt.Println("hello", u.Name)
		}
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	// Output:
	// anonymous: no token: send the header Authorization: token <token>
}

// A browser-facing service logs its users in through the hub's OAuth
// provider. Middleware answers the callback at the prefix's
// oauth_callback, sends browsers without a login to the hub, and passes on
// the rest with the user in the context. Requests with a token header work
// too, without a cookie.
func ExampleNewOAuth() {
	cfg, err := hubauth.FromEnv() // as the hub sets it for a managed service
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
	hello := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "Hello, %s!\n", hubauth.UserFromContext(r.Context()).Name)
	})
	mux := http.NewServeMux()
	mux.Handle(cfg.ServicePrefix, login.Middleware(hello))
	srv, err := hubauth.NewServer(cfg, mux)
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(srv.ListenAndServe(context.Background()))
}
