package hubauth

import (
	"errors"
	"net/http"
)

// RequireScopes is middleware for one route (or a group of routes) that
// admits only callers whose scopes grant at least one of scopes, with the
// hub's filter rules ([ScopeGrants]): admin:users grants
// admin:users!user=ada; access:servers!user=ada grants
// access:servers!server=ada/lab. Others get 403 naming the scopes needed.
//
// It decides on a caller already identified and admitted to the service, so
// it goes after [Authenticator.Middleware] or [OAuth.Middleware] (or their
// Identify and Require halves): identify once, then require more where
// it matters. Callers not admitted to the service get that refusal
// ([WriteError]). For all of several scopes, chain RequireScopes calls.
//
// The scopes a caller has are those of the token they came with. A login
// through [OAuth] gets a token with the scopes the service's
// oauth_client_allowed_scopes let it ask for (and the user holds), plus
// the access scope; a scope the service is not allowed to ask for is never
// in it, so list every scope a route requires there too.
//
//	r.With(hubauth.RequireScopes("custom:myservice:admin")).Get("/admin", admin)
func RequireScopes(scopes ...string) func(http.Handler) http.Handler {
	needed := append([]string(nil), scopes...)
	return RequireFunc(func(_ *http.Request, u *User) error {
		if _, ok := grantedScope(u.Scopes, needed); ok {
			return nil
		}
		return &ForbiddenError{User: u, Needed: needed, Target: "this page"}
	})
}

// RequireFunc is middleware for decisions scopes cannot express, what
// JupyterHub's Python client has check_hub_user for: check sees the
// request and its caller (identified and admitted to the service, as for
// [RequireScopes]) and returns nil to let them through. Any error refuses
// the request: the errors hubauth answers with ([*ForbiddenError],
// [ErrNoToken], [*HubError], …) get their usual status, and any other
// error a 403 with its text as the message, so it should say why in
// words fit for the caller.
//
//	onlyStaff := hubauth.RequireFunc(func(r *http.Request, u *hubauth.User) error {
//		if !slices.Contains(u.Groups, "staff") {
//			return errors.New("this page is for the staff group")
//		}
//		return nil
//	})
func RequireFunc(check func(r *http.Request, u *User) error) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id, ok := identityOf(r)
			if !ok {
				WriteJSONError(w, http.StatusInternalServerError,
					"hubauth: RequireScopes and RequireFunc need Identify or Middleware before them")
				return
			}
			if id.err != nil {
				WriteError(w, id.err)
				return
			}
			if err := check(r, id.user); err != nil {
				writeDecision(w, err)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// writeDecision answers a refusal from a RequireFunc check: hubauth's own
// errors with their status, anything else as 403 with its text.
func writeDecision(w http.ResponseWriter, err error) {
	var own withStatus
	if errors.As(err, &own) {
		WriteError(w, err)
		return
	}
	WriteJSONError(w, http.StatusForbidden, err.Error())
}
