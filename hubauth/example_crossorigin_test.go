package hubauth_test

import (
	"log"
	"net/http"

	"github.com/hubauth-go/whoami/hubauth"
)

// An app that knows nothing of the hub's _xsrf cookie, such as one whose
// scripts fetch() its API with the login cookie only: the browser's Fetch
// Metadata and Origin headers decide instead of the XSRF token.
// Cross-origin changes (and cross-origin reads that are not a page load)
// are refused with ErrCrossOrigin.
func ExampleConfig_crossOriginProtection() {
	cfg, err := hubauth.FromEnv()
	if err != nil {
		log.Fatal(err)
	}
	cfg.CrossOriginProtection = true
	auth, err := hubauth.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	login, err := hubauth.NewOAuth(auth)
	if err != nil {
		log.Fatal(err)
	}
	app := http.FileServer(http.Dir("/srv/app"))
	log.Fatal(http.ListenAndServe("127.0.0.1:10101", login.Middleware(app)))
}

// A login that an ingress's sign-in redirect starts for an app on another
// host (nginx's auth_request answered 401): the browser comes back to rd
// after the hub's login, when rd's host is one the configuration allows;
// any other rd is a 400. The login cookie at "/" (and, for another host
// under the same domain, a cookie domain) lets the ingress's forward-auth
// requests carry it.
func ExampleOAuth_StartLoginTo() {
	cfg, err := hubauth.FromEnv()
	if err != nil {
		log.Fatal(err)
	}
	cfg.ReturnHosts = []string{"apps.example.org"}
	cfg.CookiePath = "/"
	auth, err := hubauth.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	login, err := hubauth.NewOAuth(auth)
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc(cfg.ServicePrefix+"sign_in", func(w http.ResponseWriter, r *http.Request) {
		login.StartLoginTo(w, r, r.URL.Query().Get("rd"))
	})
	mux.Handle(cfg.ServicePrefix, login.Middleware(http.NotFoundHandler()))
	log.Fatal(http.ListenAndServe("127.0.0.1:10101", mux))
}
