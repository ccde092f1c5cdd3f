package hubauth_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/hubauth-go/whoami/hubauth"
)

// An Observer sees how each request was decided and every call to the
// hub, here counted in a map; hubauth/hubmetrics does the same in
// Prometheus metrics.
func ExampleWithObserver() {
	hub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "token 0123456789abcdef0123456789abcdef" {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		fmt.Fprint(w, `{"kind": "user", "name": "ada", "scopes": ["access:services!service=whoami"]}`)
	}))
	defer hub.Close()

	var mu sync.Mutex
	counts := map[string]int{}
	count := func(what string) {
		mu.Lock()
		defer mu.Unlock()
		counts[what]++
	}
	obs := &hubauth.Observer{
		Request: func(ctx context.Context, o hubauth.Outcome) { count("request " + string(o)) },
		HubCall: func(ctx context.Context, c hubauth.HubCall) {
			count(fmt.Sprintf("hub %s %s %d", c.Method, c.Path, c.Status))
		},
		CacheHit:  func() { count("cache hit") },
		CacheMiss: func() { count("cache miss") },
	}
	auth, err := hubauth.New(hubauth.Config{
		APIURL: hub.URL + "/hub/api", APIToken: "service-token", ServiceName: "whoami",
		ServicePrefix: "/services/whoami/", BaseURL: "/", HubPrefix: "/hub/",
		AccessScopes: []string{"access:services!service=whoami"},
		CacheMaxAge:  time.Minute, CacheSize: 100, HubTimeout: time.Second,
	}, hubauth.WithObserver(obs))
	if err != nil {
		log.Fatal(err)
	}
	h := auth.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	for _, token := range []string{"0123456789abcdef0123456789abcdef", "0123456789abcdef0123456789abcdef", "", "ffffffffffffffffffffffffffffffff"} {
		r := httptest.NewRequest("GET", "/services/whoami/", nil)
		if token != "" {
			r.Header.Set("Authorization", "token "+token)
		}
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
	for _, k := range []string{"request admitted", "request no_token", "request refused", "hub GET /user 200", "hub GET /user 403", "cache hit", "cache miss"} {
		fmt.Println(k, counts[k])
	}
	// Output:
	// request admitted 2
	// request no_token 1
	// request refused 1
	// hub GET /user 200 1
	// hub GET /user 403 1
	// cache hit 1
	// cache miss 2
}

// Ready is the readiness check: GET {API}/, which the hub answers without
// a token.
func ExampleAuthenticator_Ready() {
	hub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"version": "6.1.1"}`)
	}))
	defer hub.Close()
	auth, err := hubauth.New(hubauth.Config{
		APIURL: hub.URL + "/hub/api", APIToken: "service-token", ServicePrefix: "/", BaseURL: "/",
		AllowAnyUser: true, CacheSize: 1, HubTimeout: time.Second,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(auth.Ready(context.Background()))
	// Output: <nil>
}
