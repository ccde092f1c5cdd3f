package hubauth_test

import (
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"time"

	"github.com/hubauth-go/whoami/hubauth"
)

// While the hub is down (here: gone), a caller the service answered
// before keeps its answer past the cache's age, for up to StaleIfError
// more (HUBAUTH_STALE_IF_ERROR, 5 minutes by default); a token the
// service never saw gets 503. The Observer counts the answers used past
// their age.
func ExampleConfig_staleIfError() {
	hub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"kind": "user", "name": "ada", "scopes": ["access:services!service=whoami"]}`)
	}))
	var stale atomic.Int64
	auth, err := hubauth.New(hubauth.Config{
		APIURL: hub.URL + "/hub/api", APIToken: "service-token", ServiceName: "whoami",
		ServicePrefix: "/services/whoami/", BaseURL: "/", HubPrefix: "/hub/",
		AccessScopes: []string{"access:services!service=whoami"},
		CacheMaxAge:  10 * time.Millisecond, CacheSize: 100, HubTimeout: time.Second,
		StaleIfError: hubauth.DefaultStaleIfError,
	}, hubauth.WithObserver(&hubauth.Observer{CacheStale: func() { stale.Add(1) }}))
	if err != nil {
		log.Fatal(err)
	}
	h := auth.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, hubauth.UserFromContext(r.Context()).Name)
	}))
	call := func(token string) string {
		r := httptest.NewRequest("GET", "/services/whoami/", nil)
		r.Header.Set("Authorization", "token "+token)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return fmt.Sprint(w.Code, " ", w.Body.String())
	}
	fmt.Println(call("0123456789abcdef0123456789abcdef"))
	hub.Close()
	time.Sleep(50 * time.Millisecond) // the answer's age is up
	fmt.Println(call("0123456789abcdef0123456789abcdef"))
	fmt.Println(call("ffffffffffffffffffffffffffffffff")[:3])
	fmt.Println("stale answers:", stale.Load())
	// Output:
	// 200 ada
	// 200 ada
	// 503
	// stale answers: 1
}
