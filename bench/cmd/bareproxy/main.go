// Command bareproxy is the ceiling hubauth-proxy is measured against in
// make bench: net/http/httputil.ReverseProxy to the same app, with no
// authentication and no header work beyond X-Forwarded-*.
package main

import (
	"flag"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9100", "where to listen")
	upstream := flag.String("upstream", "http://127.0.0.1:9000", "the app")
	flag.Parse()
	u, err := url.Parse(*upstream)
	if err != nil {
		log.Fatal(err)
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	t.MaxIdleConns = 256
	t.MaxIdleConnsPerHost = 256
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
			pr.SetXForwarded()
		},
		Transport: t,
	}
	log.Fatal(http.ListenAndServe(*addr, rp))
}
