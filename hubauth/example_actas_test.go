package hubauth_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/hubauth-go/whoami/hubauth"
)

// A handler acts on the caller's behalf with the caller's own token: here
// it asks the hub for the caller's groups. With an OAuth login the token is
// the one sealed in the login cookie, and may do what the service's
// oauth_client_allowed_scopes let it ask for (read:users:groups!user here).
func ExampleTokenFromContext() {
	// A stand-in hub that knows one token, for the example to run.
	hub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "token ada-token" {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		switch r.URL.Path {
		case "/hub/api/user":
			fmt.Fprint(w, `{"name": "ada", "scopes": ["access:services!service=app", "read:users:groups!user=ada"]}`)
		case "/hub/api/users/ada":
			fmt.Fprint(w, `{"name": "ada", "groups": ["physics", "staff"]}`)
		}
	}))
	defer hub.Close()
	auth, err := hubauth.New(hubauth.Config{
		APIURL: hub.URL + "/hub/api", APIToken: "service-token",
		ServicePrefix: "/services/app/", BaseURL: "/",
		AccessScopes: []string{"access:services!service=app"},
		CacheMaxAge:  hubauth.DefaultCacheMaxAge, CacheSize: hubauth.DefaultCacheSize, HubTimeout: hubauth.DefaultHubTimeout,
	})
	if err != nil {
		panic(err)
	}

	groups := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := hubauth.UserFromContext(r.Context())
		resp, err := auth.HubAPI(r.Context(), hubauth.TokenFromContext(r.Context()), "GET", "/users/"+u.Name, nil)
		if err != nil {
			hubauth.WriteError(w, err)
			return
		}
		defer resp.Body.Close()
		var model struct{ Groups []string }
		_ = json.NewDecoder(resp.Body).Decode(&model)
		fmt.Fprintf(w, "%s is in %v", u.Name, model.Groups)
	})

	req := httptest.NewRequest("GET", "/services/app/groups", nil)
	req.Header.Set("Authorization", "token ada-token")
	w := httptest.NewRecorder()
	auth.Middleware(groups).ServeHTTP(w, req)
	fmt.Println(w.Body.String())
	// Output:
	// ada is in [physics staff]
}

// OAuth.Middleware serves {prefix}logout: the service's cookies are
// cleared and the browser goes on to the hub's logout page.
func ExampleOAuth_Logout() {
	auth, err := hubauth.New(hubauth.Config{
		APIURL: "http://127.0.0.1:8081/hub/api", APIToken: "service-token",
		ServicePrefix: "/services/app/", BaseURL: "/", HubPrefix: "/hub/",
		AccessScopes: []string{"access:services!service=app"},
		CacheMaxAge:  hubauth.DefaultCacheMaxAge, CacheSize: hubauth.DefaultCacheSize, HubTimeout: hubauth.DefaultHubTimeout,
		ClientID: "service-app", OAuthCallbackURL: "/services/app/oauth_callback",
	})
	if err != nil {
		panic(err)
	}
	login, err := hubauth.NewOAuth(auth)
	if err != nil {
		panic(err)
	}
	app := login.Middleware(http.NotFoundHandler())

	w := httptest.NewRecorder()
	app.ServeHTTP(w, httptest.NewRequest("GET", "/services/app/logout", nil))
	fmt.Println(w.Code, w.Header().Get("Location"))
	for _, c := range w.Result().Cookies() {
		fmt.Println("cleared", c.Name, c.Path, c.MaxAge < 0)
	}
	// Output:
	// 302 /hub/logout
	// cleared service-app /services/app/ true
	// cleared _xsrf /services/app/ true
}
