package hubproxy_test

import (
	"log"
	"net/http"
	"net/url"

	"github.com/hubauth-go/whoami/hubauth"
	"github.com/hubauth-go/whoami/hubauth/hubproxy"
)

// An app on 127.0.0.1:9000 behind the hub's login: browsers log in through
// the hub, and the app reads X-Forwarded-User to know who is calling.
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
	upstream, _ := url.Parse("http://127.0.0.1:9000")
	proxy, err := hubproxy.New(hubproxy.Options{
		Upstream:       upstream,
		Prefix:         cfg.ServicePrefix,
		StripPrefix:    true, // the app thinks it lives at "/"
		TrustForwarded: true, // behind the hub's configurable-http-proxy
		LoginCookie:    login.CookieName(),
	})
	if err != nil {
		log.Fatal(err)
	}
	addr, err := cfg.ListenAddr()
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(http.ListenAndServe(addr, login.Middleware(proxy)))
}

// Forward auth for an ingress that proxies to the app itself: nginx's
// auth_request or Traefik's forwardAuth asks /_hubauth/auth about every
// request and copies X-Forwarded-User from the answer.
func ExampleProxy_ForwardAuth() {
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
	upstream, _ := url.Parse("http://127.0.0.1:9000")
	proxy, err := hubproxy.New(hubproxy.Options{Upstream: upstream, Prefix: cfg.ServicePrefix})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/_hubauth/auth", login.Identify(proxy.ForwardAuth()))
	mux.Handle(cfg.ServicePrefix, login.Middleware(proxy))
	log.Fatal(http.ListenAndServe("127.0.0.1:10101", mux))
}
