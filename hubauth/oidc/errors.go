package oidc

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
)

// The errors of OAuth 2.0 (RFC 6749 §4.1.2.1, §5.2) and bearer tokens (RFC
// 6750 §3.1), each with the status it is answered with. Where an error
// goes depends on where it happens: at the authorization endpoint to the
// client's redirect URI once that is known to be the client's (never
// before), at the token endpoint as JSON, at the userinfo endpoint in a
// WWW-Authenticate header.
const (
	errInvalidRequest          = "invalid_request"
	errUnauthorizedClient      = "unauthorized_client"
	errAccessDenied            = "access_denied"
	errUnsupportedResponseType = "unsupported_response_type"
	errInvalidScope            = "invalid_scope"
	errServerError             = "server_error"
	errTemporarilyUnavailable  = "temporarily_unavailable"
	errInvalidClient           = "invalid_client"
	errInvalidGrant            = "invalid_grant"
	errUnsupportedGrantType    = "unsupported_grant_type"
	errInvalidToken            = "invalid_token"
	errLoginRequired           = "login_required"
	errRequestNotSupported     = "request_not_supported"
	errRequestURINotSupported  = "request_uri_not_supported"
)

// oauthError is a refusal in OAuth's terms: an error code from the list
// above, a description for people (never holding a secret, a code or a
// token), and the HTTP status it is answered with.
type oauthError struct {
	code   string
	desc   string
	status int
}

func (e *oauthError) Error() string { return e.code + ": " + e.desc }

// refuse makes an oauthError; the status is 400 unless given.
func refuse(code, format string, args ...any) *oauthError {
	return &oauthError{code: code, desc: fmt.Sprintf(format, args...), status: http.StatusBadRequest}
}

// withStatus sets the status an error is answered with.
func (e *oauthError) withStatus(status int) *oauthError {
	e.status = status
	return e
}

// writeJSONError answers a token request as RFC 6749 §5.2 says: a JSON
// object with error and error_description, never cached.
func writeJSONError(w http.ResponseWriter, e *oauthError) {
	writeJSON(w, e.status, map[string]string{"error": e.code, "error_description": e.desc})
}

// writeJSON answers with v as JSON, never cached (RFC 6749 §5.1).
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"error": "server_error"}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// redirectError sends the browser back to the client with the error, as
// RFC 6749 §4.1.2.1 says: only for a redirect URI registered for the
// client, which the caller has checked.
func redirectError(w http.ResponseWriter, r *http.Request, issuer, redirectURI, state string, e *oauthError) {
	q := url.Values{"error": {e.code}, "error_description": {e.desc}, "iss": {issuer}}
	if state != "" {
		q.Set("state", state)
	}
	redirectWith(w, r, redirectURI, q)
}

// redirectWith redirects to uri with q added to its query.
func redirectWith(w http.ResponseWriter, r *http.Request, uri string, q url.Values) {
	u, _ := url.Parse(uri) // registered URIs were parsed when the clients were loaded
	query := u.Query()
	for k, v := range q {
		query[k] = v
	}
	u.RawQuery = query.Encode()
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// writeErrorPage answers a browser with a short page: for the requests
// RFC 6749 forbids redirecting (an unknown client, a redirect URI that is
// not the client's), and for the provider's own failures.
func writeErrorPage(w http.ResponseWriter, e *oauthError) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'")
	w.WriteHeader(e.status)
	text := http.StatusText(e.status)
	fmt.Fprintf(w, "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>%d %s</title></head>\n"+
		"<body><h1>%s</h1>\n<p>%s.</p>\n<p>The application that sent you here may be misconfigured; "+
		"it was not sent back, so nothing was disclosed to it.</p></body></html>\n",
		e.status, text, html.EscapeString(e.code), html.EscapeString(e.desc))
}

// writeBearerError refuses a userinfo request as RFC 6750 §3 says: 401
// with a WWW-Authenticate challenge, naming the error only when the
// request carried a token.
func writeBearerError(w http.ResponseWriter, realm string, e *oauthError) {
	challenge := "Bearer realm=" + quoted(realm)
	if e.code == "" {
		w.Header().Set("WWW-Authenticate", challenge)
		writeJSON(w, e.status, map[string]string{"error_description": e.desc})
		return
	}
	w.Header().Set("WWW-Authenticate", challenge+", error="+quoted(e.code)+", error_description="+quoted(e.desc))
	writeJSON(w, e.status, map[string]string{"error": e.code, "error_description": e.desc})
}

// quoted is s as an RFC 6750 quoted value: the characters it allows
// there (printable ASCII but the double quote and the backslash), others
// replaced by '?'.
func quoted(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			b[i] = '?'
		}
	}
	return `"` + string(b) + `"`
}
