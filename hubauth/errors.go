package hubauth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// Why a request was not admitted. [FromContext] returns one of these, a
// [*HubError], or a [*ForbiddenError].
var (
	// ErrNoToken: the request carried no token.
	ErrNoToken = errors.New("no token: send the header Authorization: token <token>")
	// ErrInvalidToken: the hub does not know the token, or it has expired
	// or been revoked (or it could not be a token at all).
	ErrInvalidToken = errors.New("the hub does not accept this token")
	// ErrWebsocketCookie: a websocket request authenticated only by the
	// login cookie, while JUPYTERHUB_ALLOW_WEBSOCKET_COOKIE_AUTH is off.
	ErrWebsocketCookie = errors.New("websockets must send a token here, not only the login cookie (JUPYTERHUB_ALLOW_WEBSOCKET_COOKIE_AUTH is off)")
	// ErrNotLoggedIn: a browser request that is not navigation (an image,
	// a script, a fetch) came without a login. Only navigation starts a
	// login; reload the page.
	ErrNotLoggedIn = errors.New("not logged in: open the page again to log in")
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
	return fmt.Sprintf("%s %s may not use %s: it needs one of the scopes %v", e.User.Kind, e.User.Name, target, e.Needed)
}

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

// statusFor maps an identification error to the status and message a
// service answers with. It is the one place that decides.
func statusFor(err error) (int, string) {
	var hubErr *HubError
	var forbidden *ForbiddenError
	var loginErr *LoginError
	switch {
	case errors.As(err, &hubErr):
		return hubErr.HTTPStatus(), hubErr.Message
	case errors.As(err, &forbidden) && forbidden.User != nil:
		return http.StatusForbidden, forbidden.Error()
	case errors.Is(err, ErrNoToken), errors.Is(err, ErrInvalidToken), errors.Is(err, ErrXSRF),
		errors.Is(err, ErrWebsocketCookie), errors.Is(err, ErrNotLoggedIn),
		errors.Is(err, ErrLoginCookie), errors.Is(err, errStateMismatch):
		return http.StatusForbidden, err.Error()
	case errors.Is(err, errStateMissing), errors.Is(err, errStateMalformed), errors.Is(err, errStateNoCookie):
		return http.StatusBadRequest, err.Error()
	case errors.As(err, &loginErr):
		return loginErr.Status, loginErr.Message
	default:
		return http.StatusInternalServerError, "could not identify the caller"
	}
}

// WriteError answers a request that was not admitted, with the status
// statusFor chooses and a JSON body shaped like the hub's own errors:
// {"status": 403, "message": "..."}.
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
