package hubproxy

import (
	"fmt"
	"html"
	"net/http"
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
