package hubauth

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// XSRFCookieName is the cookie through which a page's scripts learn the
// XSRF token to send back, as with JupyterHub's own pages.
const XSRFCookieName = "_xsrf"

// ErrXSRF: a request authenticated by the login cookie that is not plain
// navigation came without the XSRF token (or with a wrong one), so it may
// have been sent by another site riding on the browser's cookie.
var ErrXSRF = errors.New("XSRF check failed: send the value of the _xsrf cookie in an X-XSRFToken header or an _xsrf form field")

// xsrfToken is the XSRF token for a login: an HMAC of the hub token in the
// login cookie. It needs no storage, every replica computes the same one,
// and it changes with every login, so a token from an old session is no
// use.
func (k *cookieKeys) xsrfToken(hubToken string) string {
	m := hmac.New(sha256.New, k.xsrf)
	m.Write([]byte("xsrf\x00"))
	m.Write([]byte(hubToken))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// needsXSRFCheck applies JupyterHub's rule (4.1 and later) to a request
// authenticated by cookie. Exempt are websockets, reads that are plain
// navigation (Sec-Fetch-Mode navigate, or absent as in older browsers and
// non-browser clients), and same-origin no-cors reads such as images.
// Everything else, every unsafe method and any cross-origin fetch, must
// prove it came from a page of ours.
func needsXSRFCheck(r *http.Request) bool {
	if IsWebsocket(r) {
		return false
	}
	read := r.Method == http.MethodGet || r.Method == http.MethodHead || r.Method == http.MethodOptions
	if !read {
		return true
	}
	mode := strings.ToLower(r.Header.Get("Sec-Fetch-Mode"))
	switch mode {
	case "", "navigate":
		return false
	case "no-cors":
		return !strings.EqualFold(r.Header.Get("Sec-Fetch-Site"), "same-origin")
	}
	return true
}

// xsrfSubmitted is the XSRF token the request carries: a header (either
// name JupyterHub accepts) or the _xsrf field of a query or url-encoded
// form. Multipart bodies are not parsed for it: a header is the way there.
func xsrfSubmitted(r *http.Request) string {
	if v := r.Header.Get("X-XSRFToken"); v != "" {
		return v
	}
	if v := r.Header.Get("X-CSRFToken"); v != "" {
		return v
	}
	if q := r.URL.Query(); q.Has("_xsrf") {
		return q.Get("_xsrf")
	}
	ct := r.Header.Get("Content-Type")
	if strings.HasPrefix(strings.ToLower(ct), "application/x-www-form-urlencoded") && r.Body != nil && r.Body != http.NoBody {
		return formField(r, "_xsrf")
	}
	return ""
}

// maxXSRFForm is how much of a url-encoded body is read to find the
// _xsrf field: net/http's own bound for ParseForm.
const maxXSRFForm = 10 << 20

// formField reads a field of a url-encoded body and then gives the body
// back exactly as it came, so the handler (or the app behind a proxy)
// still reads every byte of it, in its order.
func formField(r *http.Request, name string) string {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxXSRFForm+1))
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(b), r.Body), r.Body}
	if err != nil || len(b) > maxXSRFForm {
		return ""
	}
	vs, err := url.ParseQuery(string(b))
	if err != nil {
		return ""
	}
	return vs.Get(name)
}

// checkXSRF reports whether the request carries want, the login's XSRF
// token.
func checkXSRF(r *http.Request, want string) bool {
	got := xsrfSubmitted(r)
	return got != "" && hmac.Equal([]byte(got), []byte(want))
}
