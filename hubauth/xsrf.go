package hubauth

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// JupyterHub's XSRF rule (4.1 and later) for requests the login cookie
// authenticates, hubauth's default (csrf.go): what is not plain navigation
// must carry the login's XSRF token, which the page learns from the _xsrf
// cookie and sends back.

// xsrfCookieName is the cookie through which a page's scripts learn the
// XSRF token to send back, as with JupyterHub's own pages.
const xsrfCookieName = "_xsrf"

// xsrfTokens makes, checks and offers the XSRF tokens of a service's
// logins.
type xsrfTokens struct {
	key []byte
	jar *cookieJar
	// path is the _xsrf cookie's: the service's prefix even with __Host-
	// login cookies (which must be at /), since the name has no prefix,
	// and at / every service behind the hub would overwrite every other's.
	path string
}

func newXSRFTokens(cfg Config, jar *cookieJar, keys *cookieKeys) *xsrfTokens {
	return &xsrfTokens{key: keys.xsrf, jar: jar, path: cfg.ServicePrefix}
}

// token is the XSRF token for a login: an HMAC of the hub token in the
// login cookie. It needs no storage, every replica computes the same one,
// and it changes with every login, so a token from an old session is no
// use.
func (x *xsrfTokens) token(hubToken string) string {
	m := hmac.New(sha256.New, x.key)
	m.Write([]byte("xsrf\x00"))
	m.Write([]byte(hubToken))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

type xsrfKey struct{}

// forLogin is the login's XSRF token, computed once per cached hub answer
// (which belongs to exactly one token) rather than on every request.
func (x *xsrfTokens) forLogin(u *User, hubToken string) string {
	return u.Derived(xsrfKey{}, func(*User) any { return x.token(hubToken) }).(string)
}

// check applies the rule to a request the login cookie authenticated as
// u, with hubToken inside: ErrXSRF when the request needed the XSRF token
// and did not carry it. Otherwise the page is offered the token.
func (x *xsrfTokens) check(w http.ResponseWriter, r *http.Request, u *User, hubToken string) error {
	want := x.forLogin(u, hubToken)
	if needsXSRFCheck(r) && !checkXSRF(r, want) {
		return ErrXSRF
	}
	x.offerToken(w, r, want)
	return nil
}

// offer gives a new login's page its XSRF token.
func (x *xsrfTokens) offer(w http.ResponseWriter, r *http.Request, u *User, hubToken string) {
	x.offerToken(w, r, x.forLogin(u, hubToken))
}

// offerToken gives the page the XSRF token of this login in a cookie its
// scripts can read, unless the browser has it already.
func (x *xsrfTokens) offerToken(w http.ResponseWriter, r *http.Request, want string) {
	if hasCookie(r, xsrfCookieName, want) {
		return
	}
	c := x.jar.cookie(r, xsrfCookieName, want)
	c.HttpOnly = false
	c.Path = x.path
	http.SetCookie(w, c)
}

// clear tells the browser to drop the _xsrf cookie.
func (x *xsrfTokens) clear(w http.ResponseWriter, r *http.Request) {
	c := x.jar.cookie(r, xsrfCookieName, "")
	c.Path = x.path
	c.HttpOnly = false
	c.MaxAge = -1
	http.SetCookie(w, c)
}

// XSRFToken returns the token a cookie-authenticated request must send
// back (as an _xsrf form field, or an X-XSRFToken header) unless it is
// plain navigation; for handlers that render forms. It is "" for requests
// not authenticated by the login cookie, which need none.
//
// With [Config.CrossOriginProtection] no token is needed, and it is
// always "".
func (o *OAuth) XSRFToken(r *http.Request) string {
	if tokenFrom(r, o.auth.cfg.AllowTokenInURL) != "" {
		return ""
	}
	token, _, err := o.login.open(r)
	if err != nil || token == "" {
		return ""
	}
	return o.csrf.token(token)
}

// needsXSRFCheck applies JupyterHub's rule (4.1 and later) to a request
// authenticated by cookie. Exempt are websockets, reads that are plain
// navigation (Sec-Fetch-Mode navigate, or absent as in older browsers and
// non-browser clients), and same-origin no-cors reads such as images.
// Everything else, every unsafe method and any cross-origin fetch, must
// prove it came from a page of ours.
func needsXSRFCheck(r *http.Request) bool {
	if isWebsocket(r) {
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
