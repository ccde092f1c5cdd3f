package hubproxy_test

import (
	"context"
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
	proxy, err := hubproxy.New(auth, hubproxy.Options{
		Upstream:       upstream,
		StripPrefix:    true, // the app thinks it lives at "/"
		PassHost:       true, // the app sees the browser's Host
		TrustForwarded: true, // behind the hub's configurable-http-proxy
	})
	if err != nil {
		log.Fatal(err)
	}
	srv, err := hubauth.NewServer(cfg, login.Middleware(proxy))
	if err != nil {
		log.Fatal(err)
	}
	srv.MaxBodyBytes = -1 // uploads stream through to the app
	log.Fatal(srv.ListenAndServe(context.Background()))
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
	proxy, err := hubproxy.New(auth, hubproxy.Options{Upstream: upstream})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/_hubauth/auth", login.Identify(proxy.ForwardAuth()))
	mux.Handle(cfg.ServicePrefix, login.Middleware(proxy))
	log.Fatal(http.ListenAndServe("127.0.0.1:10101", mux))
}

// Forward auth that hands the ingress the caller's token: the answer with
// the token is served on a port of its own, which the hub's proxy never
// routes and only nginx reaches; the proxy's own port answers with the
// name and groups only.
func ExampleProxy_IngressAuth() {
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
	upstream, _ := url.Parse("unix:/run/app/app.sock")
	proxy, err := hubproxy.New(auth, hubproxy.Options{Upstream: upstream, PassHost: true, PassAccessToken: true})
	if err != nil {
		log.Fatal(err)
	}
	// nginx: auth_request /_auth; location = /_auth { proxy_pass http://127.0.0.1:4181; }
	go func() { log.Fatal(http.ListenAndServe("127.0.0.1:4181", proxy.IngressAuth(login.Identify))) }()
	log.Fatal(http.ListenAndServe("127.0.0.1:10101", login.Middleware(proxy)))
}
