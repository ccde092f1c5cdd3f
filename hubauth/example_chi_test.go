package hubauth_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/go-chi/chi/v5"

	"github.com/hubauth-go/whoami/hubauth"
)

// The middleware is plain func(http.Handler) http.Handler, so it plugs into
// chi (or any router) with Use: identify every request, and require access
// only on the routes that need it.
func Example_chi() {
	// A stand-in hub that knows one token, for the example to run.
	hub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "token ada-token" {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		fmt.Fprint(w, `{"kind": "user", "name": "ada", "scopes": ["access:services!service=whoami"]}`)
	}))
	defer hub.Close()

	auth, err := hubauth.New(hubauth.Config{
		APIURL:        hub.URL + "/hub/api",
		APIToken:      "service-token",
		ServicePrefix: "/services/whoami/",
		BaseURL:       "/",
		AccessScopes:  []string{"access:services!service=whoami"},
		CacheMaxAge:   hubauth.DefaultCacheMaxAge,
		CacheSize:     hubauth.DefaultCacheSize,
		HubTimeout:    hubauth.DefaultHubTimeout,
	})
	if err != nil {
		panic(err)
	}

	r := chi.NewRouter()
	r.Route("/services/whoami", func(r chi.Router) {
		r.Use(auth.Identify)
		r.Get("/health", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, "ok") // anyone
		})
		r.With(auth.RequireAccess).Get("/me", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, "hello ", hubauth.UserFromContext(r.Context()).Name)
		})
	})

	for _, c := range []struct{ path, token string }{
		{"/services/whoami/health", ""},
		{"/services/whoami/me", ""},
		{"/services/whoami/me", "ada-token"},
	} {
		req := httptest.NewRequest("GET", c.path, nil)
		if c.token != "" {
			req.Header.Set("Authorization", "token "+c.token)
		}
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		fmt.Println(c.path, w.Code, w.Body.String())
	}
	// Output:
	// /services/whoami/health 200 ok
	// /services/whoami/me 403 {"status":403,"message":"no token: send the header Authorization: token <token>"}
	// /services/whoami/me 200 hello ada
}
