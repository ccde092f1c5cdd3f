package hubproxy

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"

	"github.com/hubauth-go/whoami/hubauth"
)

// writeProblem answers with status and msg: a small HTML page when the
// client is a browser asking for a page, the hub's JSON error shape
// otherwise.
func writeProblem(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if !wantsHTML(r) {
		hubauth.WriteJSONError(w, status, msg)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	text := http.StatusText(status)
	fmt.Fprintf(w, "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>%d %s</title></head>\n"+
		"<body><h1>%d %s</h1>\n<p>%s.</p></body></html>\n",
		status, text, status, text, html.EscapeString(msg))
}

// wantsHTML reports whether the request comes from a browser loading a
// page (its Accept lists text/html).
func wantsHTML(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}

// upstreamFailed answers when the app could not be reached or broke off:
// 503 while it is starting, 502 otherwise, as a short page for browsers
// and JSON for everyone else. The proxy keeps running.
func (p *Proxy) upstreamFailed(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		// The client went away; no one is left to answer.
		return
	}
	status := http.StatusBadGateway
	msg := "the app behind this address is not answering; the proxy is running, try again in a moment"
	if p.opts.Ready != nil && !p.opts.Ready() {
		status = http.StatusServiceUnavailable
		msg = "the app behind this address is still starting; try again in a moment"
		w.Header().Set("Retry-After", "2")
	}
	// The error names the outbound URL, whose query may hold a token
	// when credentials are kept: log only what went wrong.
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	p.logger.Warn("upstream failed", "method", r.Method, "path", r.URL.Path, "upstream", p.opts.Upstream.Redacted(), "error", err.Error())
	writeProblem(w, r, status, msg)
}
