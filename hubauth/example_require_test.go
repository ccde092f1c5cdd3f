package hubauth_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"

	"github.com/go-chi/chi/v5"

	"github.com/hubauth-go/whoami/hubauth"
)

// Identify once, then require more where it matters: every user of the
// service sees /, only callers with a scope see /admin, and a custom check
// guards /staff. With OAuth logins, use login.Middleware in place of
// auth.Middleware, and list the route's scopes in the service's
// oauth_client_allowed_scopes so the login's token can carry them.
func ExampleRequireScopes() {
	// A stand-in hub that knows two tokens, for the example to run.
	hub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Header.Get("Authorization") {
		case "token ada-token":
			fmt.Fprint(w, `{"name": "ada", "groups": ["staff"], "scopes": ["access:services!service=app", "custom:app:admin"]}`)
		case "token bob-token":
			fmt.Fprint(w, `{"name": "bob", "groups": [], "scopes": ["access:services!service=app"]}`)
		default:
			w.WriteHeader(http.StatusForbidden)
		}
	}))
	defer hub.Close()

	auth, err := hubauth.New(hubauth.Config{
		APIURL:        hub.URL + "/hub/api",
		APIToken:      "service-token",
		ServicePrefix: "/services/app/",
		BaseURL:       "/",
		AccessScopes:  []string{"access:services!service=app"},
		CacheMaxAge:   hubauth.DefaultCacheMaxAge,
		CacheSize:     hubauth.DefaultCacheSize,
		HubTimeout:    hubauth.DefaultHubTimeout,
	})
	if err != nil {
		panic(err)
	}
	staffOnly := hubauth.RequireFunc(func(_ *http.Request, u *hubauth.User) error {
		if !slices.Contains(u.Groups, "staff") {
			return errors.New("this page is for the staff group")
		}
		return nil
	})
	hello := func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "hello ", hubauth.UserFromContext(r.Context()).Name)
	}

	r := chi.NewRouter()
	r.Route("/services/app", func(r chi.Router) {
		r.Use(auth.Middleware) // any user of the service
		r.Get("/", hello)
		r.With(hubauth.RequireScopes("custom:app:admin")).Get("/admin", hello)
		r.With(staffOnly).Get("/staff", hello)
	})

	for _, c := range []struct{ path, token string }{
		{"/services/app/", "bob-token"},
		{"/services/app/admin", "bob-token"},
		{"/services/app/admin", "ada-token"},
		{"/services/app/staff", "bob-token"},
		{"/services/app/staff", "ada-token"},
	} {
		req := httptest.NewRequest("GET", c.path, nil)
		req.Header.Set("Authorization", "token "+c.token)
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		fmt.Println(c.path, c.token, w.Code, w.Body.String())
	}
	// Output:
	// /services/app/ bob-token 200 hello bob
	// /services/app/admin bob-token 403 {"status":403,"message":"user bob may not use this page: it needs one of the scopes [custom:app:admin]"}
	// /services/app/admin ada-token 200 hello ada
	// /services/app/staff bob-token 403 {"status":403,"message":"this page is for the staff group"}
	// /services/app/staff ada-token 200 hello ada
}
