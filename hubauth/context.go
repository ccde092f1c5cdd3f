package hubauth

import (
	"context"
	"errors"
	"net/http"
)

// identity is what Identify found: the caller, or why there is none. It
// travels in the request's context, from the middleware that identifies
// to the ones that require and to the handler.
type identity struct {
	user *User
	err  error
	// token is the caller's own hub token (from the request or from inside
	// the login cookie), for TokenFromContext. Never logged.
	token string
	// loginFixes is set when logging in again through the hub would help:
	// no credentials, or a login cookie the hub no longer accepts.
	loginFixes bool
}

// contextKey is unexported so no other package can read or forge it.
type contextKey struct{}

func withIdentity(r *http.Request, id *identity) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), contextKey{}, id))
}

func identityOf(r *http.Request) (*identity, bool) {
	id, ok := r.Context().Value(contextKey{}).(*identity)
	return id, ok
}

// FromContext returns the caller found by Identify when they may use the
// service; otherwise the user (if the hub identified one) and why not:
// [ErrNoToken], [ErrInvalidToken], a [*ForbiddenError] or a [*HubError].
// With [OAuth.Identify] also [ErrXSRF], [ErrLoginCookie] or
// [ErrWebsocketCookie], always without a user: a request that failed the
// XSRF check may be another site's, riding on the login cookie.
func FromContext(ctx context.Context) (*User, error) {
	id, ok := ctx.Value(contextKey{}).(*identity)
	if !ok {
		return nil, errors.New("hubauth: request was not passed through Authenticator.Identify")
	}
	return id.user, id.err
}

// UserFromContext returns the caller when they were identified and may use
// the service, or nil.
func UserFromContext(ctx context.Context) *User {
	u, err := FromContext(ctx)
	if err != nil {
		return nil
	}
	return u
}

// TokenFromContext returns the caller's own hub token, the one that
// identified them: from the Authorization header or ?token=, or the one
// sealed inside the OAuth login cookie. It is "" unless the caller was
// identified and admitted (when [UserFromContext] is not nil).
//
// With it a service can call the hub's API on the caller's behalf, with
// whatever the token may do: for a login through [OAuth] that is what the
// service's oauth_client_allowed_scopes let it ask for (for instance
// read:users:groups!user or list:servers!user), beyond the caller's
// identity. Treat it as the caller's password: send it only to the hub,
// never log it, never put it in a page.
func TokenFromContext(ctx context.Context) string {
	id, ok := ctx.Value(contextKey{}).(*identity)
	if !ok || id.err != nil || id.user == nil {
		return ""
	}
	return id.token
}
