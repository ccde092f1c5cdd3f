package hubproxy

import (
	"errors"
	"net/http"

	"github.com/hubauth-go/whoami/hubauth"
)

// ForwardAuth answers the sub-requests of nginx's auth_request and
// Traefik's forwardAuth, for deployments whose own ingress proxies to the
// app and only wants the hub's login. It must run behind an Identify
// ([hubauth.OAuth.Identify] or [hubauth.Authenticator.Identify]), not a
// middleware that turns callers away, since the ingress needs the answer:
//
//   - 202 with the identity headers (X-Forwarded-User, X-Forwarded-Groups,
//     and the model or token when the Options pass them) for a caller who
//     may use the app;
//   - 401 for a caller the hub did not identify (no credentials, or ones it
//     refused), which the ingress turns into a login;
//   - 403 for a caller the hub identified who lacks the access scope;
//   - 5xx when the hub failed, naming the problem.
//
// The ingress copies the headers onto the request it sends the app:
// nginx with auth_request_set $user $upstream_http_x_forwarded_user,
// Traefik with authResponseHeaders.
func (p *Proxy) ForwardAuth() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		u, err := hubauth.FromContext(r.Context())
		if err == nil {
			if !validHeaderValue(u.Name) || !groupsValid(u.Groups) {
				hubauth.WriteJSONError(w, http.StatusBadGateway, "the hub's name or groups for this user cannot be sent in a header")
				return
			}
			p.setIdentity(w.Header(), r)
			w.WriteHeader(http.StatusAccepted)
			return
		}
		var forbidden *hubauth.ForbiddenError
		var hubErr *hubauth.HubError
		switch {
		case errors.As(err, &forbidden), errors.As(err, &hubErr), errors.Is(err, hubauth.ErrXSRF):
			hubauth.WriteError(w, err)
		default:
			hubauth.WriteJSONError(w, http.StatusUnauthorized, err.Error())
		}
	})
}
