package hubauth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// Every error hubauth answers a request with knows its own HTTP status
// (it has a status method), so [WriteError] asks the error instead of
// keeping a list of them: a new error is answered right the day it is
// written.

// refusal is an error that carries the status a request refused for it is
// answered with.
type refusal struct {
	code int
	msg  string
}

func (e *refusal) Error() string { return e.msg }
func (e *refusal) status() int   { return e.code }

// Why a request was not admitted. [FromContext] returns one of these, a
// [*HubError], or a [*ForbiddenError]. All are answered 403.
var (
	// ErrNoToken: the request carried no token.
	ErrNoToken error = &refusal{http.StatusForbidden, "no token: send the header Authorization: token <token>"}
	// ErrInvalidToken: the hub does not know the token, or it has expired
	// or been revoked (or it could not be a token at all).
	ErrInvalidToken error = &refusal{http.StatusForbidden, "the hub does not accept this token"}
	// ErrWebsocketCookie: a websocket request authenticated only by the
	// login cookie, while JUPYTERHUB_ALLOW_WEBSOCKET_COOKIE_AUTH is off.
	ErrWebsocketCookie error = &refusal{http.StatusForbidden, "websockets must send a token here, not only the login cookie (JUPYTERHUB_ALLOW_WEBSOCKET_COOKIE_AUTH is off)"}
	// ErrNotLoggedIn: a browser request that is not navigation (an image,
	// a script, a fetch) came without a login. Only navigation starts a
	// login; reload the page.
	ErrNotLoggedIn error = &refusal{http.StatusForbidden, "not logged in: open the page again to log in"}
	// ErrLoginCookie: the browser sent a login cookie that cannot be
	// opened: tampered with, too old, or sealed with a key this service no
	// longer has. GET and HEAD requests are sent to log in again.
	ErrLoginCookie error = &refusal{http.StatusForbidden, "the login cookie is not valid: log in again"}
	// ErrXSRF: a request authenticated by the login cookie that is not
	// plain navigation came without the XSRF token (or with a wrong one),
	// so it may have been sent by another site riding on the browser's
	// cookie.
	ErrXSRF error = &refusal{http.StatusForbidden, "XSRF check failed: send the value of the _xsrf cookie in an X-XSRFToken header or an _xsrf form field"}
	// ErrCrossOrigin: a request authenticated by the login cookie came from
	// a page of another origin, as the browser's Sec-Fetch-Site or Origin
	// header says: a websocket (whichever rule protects the service), or,
	// with [Config.CrossOriginProtection], a change (POST, PUT, …) or a
	// read that is not a page load.
	ErrCrossOrigin error = &refusal{http.StatusForbidden, "cross-origin request refused: a page of another origin may not use this login"}
)

// Why an OAuth callback is refused. All are the browser's problem (4xx),
// never ours.
var (
	errStateMissing   error = &refusal{http.StatusBadRequest, "OAuth callback without a state"}
	errStateMalformed error = &refusal{http.StatusBadRequest, "OAuth state is malformed or expired: start the login again"}
	errStateNoCookie  error = &refusal{http.StatusBadRequest, "OAuth state cookie is missing or expired: start the login again"}
	errStateMismatch  error = &refusal{http.StatusForbidden, "OAuth state does not match this browser's login: start the login again"}
	errReturnURL      error = &refusal{http.StatusBadRequest, "the return URL is neither on this service nor on a host it may send browsers to"}
)

// ForbiddenError says the hub identified the caller but none of the
// caller's scopes grants access to this service.
type ForbiddenError struct {
	User *User
	// Needed are the service's access scopes (or a route's, with
	// [RequireScopes]); one of them would do.
	Needed []string
	// Target names what was refused; "" means "this service".
	Target string
}

func (e *ForbiddenError) Error() string {
	target := e.Target
	if target == "" {
		target = "this service"
	}
	who := "the caller"
	if e.User != nil {
		who = e.User.Kind + " " + e.User.Name
	}
	return fmt.Sprintf("%s may not use %s: it needs one of the scopes %v", who, target, e.Needed)
}

func (e *ForbiddenError) status() int { return http.StatusForbidden }

// HubError says the hub could not be asked, or gave an answer that makes no
// sense. It is the service's problem, not the caller's, so it is answered
// with a 5xx: see [HubError.HTTPStatus].
type HubError struct {
	// URL is what was requested (it never holds a token).
	URL string
	// StatusCode is the hub's answer, or 0 when there was none.
	StatusCode int
	// Message says what went wrong, in a sentence fit for the response.
	Message string
	// Err is the underlying transport or decoding error, if any.
	Err error
	// Timeout is set when the hub did not answer in time.
	Timeout bool
}

func (e *HubError) Error() string { return e.Message }

func (e *HubError) Unwrap() error { return e.Err }

// HTTPStatus is the status a service should answer with:
//   - 504 when the hub did not answer in time;
//   - 503 when it could not be reached at all;
//   - 500 when the hub refused the service's own token (a new one is needed);
//   - 502 for any other failure on the hub's side.
func (e *HubError) HTTPStatus() int {
	switch {
	case e.Timeout:
		return http.StatusGatewayTimeout
	case e.StatusCode == 0:
		return http.StatusServiceUnavailable
	case e.StatusCode == http.StatusForbidden || e.StatusCode == http.StatusUnauthorized:
		return http.StatusInternalServerError
	default:
		return http.StatusBadGateway
	}
}

func (e *HubError) status() int { return e.HTTPStatus() }

// unavailable reports whether the hub gave no answer at all: it could not
// be reached, did not answer in time, or failed with a 5xx. Only then may
// a cached answer past its age stand in for the hub's (stale-if-error);
// any other answer, a refusal above all, decides.
func (e *HubError) unavailable() bool {
	return e.Timeout || e.StatusCode == 0 || e.StatusCode >= 500
}

// hubUnavailable reports whether err is a [*HubError] that is unavailable.
func hubUnavailable(err error) bool {
	var hubErr *HubError
	return errors.As(err, &hubErr) && hubErr.unavailable()
}

// loginError says an OAuth callback could not finish the login. code is
// 4xx when the browser brought something wrong (the hub reported an
// error, or refused the code), 500 when the hub refused this service's own
// client credentials.
type loginError struct {
	code int
	msg  string
	err  error
}

func (e *loginError) Error() string { return e.msg }
func (e *loginError) Unwrap() error { return e.err }
func (e *loginError) status() int   { return e.code }

// withStatus is what every error hubauth answers with has.
type withStatus interface {
	error
	status() int
}

// statusFor is the status and message a refused request is answered with:
// the error's own, or, for an error that is not hubauth's, 500.
func statusFor(err error) (int, string) {
	var s withStatus
	if errors.As(err, &s) {
		return s.status(), s.Error()
	}
	return http.StatusInternalServerError, "could not identify the caller"
}

// WriteError answers a request that was not admitted, with the status the
// error carries and a JSON body shaped like the hub's own errors:
// {"status": 403, "message": "..."}. An error that is not one of
// hubauth's is answered 500.
func WriteError(w http.ResponseWriter, err error) {
	status, msg := statusFor(err)
	WriteJSONError(w, status, msg)
}

// WriteJSONError answers with status and a short JSON body shaped like the
// hub's own errors, {"status": 404, "message": "..."}, for a service's own
// refusals to match the ones hubauth makes.
func WriteJSONError(w http.ResponseWriter, status int, msg string) {
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	enc.SetEscapeHTML(false) // "<token>" reads better than "\u003ctoken\u003e"; the type is JSON, not HTML
	_ = enc.Encode(struct {
		Status  int    `json:"status"`
		Message string `json:"message"`
	}{status, msg})
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(bytes.TrimSuffix(body.Bytes(), []byte("\n")))
}
