package hubproxy

import (
	"errors"
	"net/http"
	"strings"

	"github.com/hubauth-go/whoami/hubauth"
)

// Forward auth: an ingress (nginx's auth_request, Traefik's forwardAuth)
// proxies to the app itself and asks the proxy, for every request, whether
// the caller may use it. The answer:
//
//   - 202 with the caller's identity in headers, for a caller who may use
//     the app;
//   - 401 for a caller the hub did not identify (no credentials, or ones it
//     refused), which the ingress turns into a sign-in redirect;
//   - 403 for a caller the hub identified who lacks the access scope (or
//     an allowed group), or a cookie request from another origin;
//   - 5xx when the hub failed, naming the problem.
//
// The identity comes under two sets of names: X-Forwarded-User and
// X-Forwarded-Groups, and oauth2-proxy's X-Auth-Request-User and
// X-Auth-Request-Groups, which ingress-nginx's examples copy.
//
// There are two endpoints, because an answer on the proxy's own port can be
// fetched by any page through the hub's proxy: [Proxy.ForwardAuth] answers
// with the name and groups only, whatever the Options pass; the caller's
// token and model (Options.PassAccessToken, Options.PassUserModel) come
// only from [Proxy.IngressAuth], which belongs on a listener of its own
// that only the ingress reaches.

// ForwardAuth answers forward-auth requests with the caller's name and
// groups only, never their token or model: it is safe where a browser can
// fetch it. It must run behind an Identify ([hubauth.OAuth.Identify] or
// [hubauth.Authenticator.Identify]), not a middleware that turns callers
// away, since the ingress needs the answer.
//
// The ingress copies the headers onto the request it sends the app: nginx
// with auth_request_set $user $upstream_http_x_auth_request_user, Traefik
// with authResponseHeaders.
func (p *Proxy) ForwardAuth() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.answerForwardAuth(w, r, true)
	})
}

// IngressAuth answers forward-auth requests like ForwardAuth and adds the
// caller's model and token when the Options pass them
// (X-Forwarded-User-Model; X-Forwarded-Access-Token and
// X-Auth-Request-Access-Token). Serve it only on a listener the hub's
// proxy never routes, which only the ingress reaches.
//
// identify finds the caller ([hubauth.OAuth.Identify]). The ingress is
// trusted to describe the browser's request: the method in
// X-Forwarded-Method (Traefik) or X-Original-Method (set it in nginx with
// proxy_set_header X-Original-Method $request_method), since nginx's
// sub-request is always a GET, and the host in X-Forwarded-Host or
// X-Original-Host when the sub-request's Host is not the browser's; the
// cross-origin rules then judge the browser's request, not the
// sub-request.
func (p *Proxy) IngressAuth(identify func(http.Handler) http.Handler) http.Handler {
	answer := identify(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.answerForwardAuth(w, r, false)
	}))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		answer.ServeHTTP(w, asIngressSaw(r))
	})
}

// asIngressSaw is r with the method and host the ingress says the
// browser's request had.
func asIngressSaw(r *http.Request) *http.Request {
	method := firstHeader(r.Header, "X-Forwarded-Method", "X-Original-Method")
	host := firstHeader(r.Header, "X-Forwarded-Host", "X-Original-Host")
	if method == "" && host == "" {
		return r
	}
	r = r.Clone(r.Context())
	if m := strings.ToUpper(method); m != "" && validMethod(m) {
		r.Method = m
	}
	if validHost(host) {
		r.Host = host
	}
	return r
}

// firstHeader is the first of names the request has, trimmed, or "".
func firstHeader(h http.Header, names ...string) string {
	for _, n := range names {
		if v := strings.TrimSpace(h.Get(n)); v != "" {
			return v
		}
	}
	return ""
}

// validMethod reports whether m is an HTTP method token.
func validMethod(m string) bool {
	if m == "" || len(m) > 20 {
		return false
	}
	for i := 0; i < len(m); i++ {
		if c := m[i]; c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}

func (p *Proxy) answerForwardAuth(w http.ResponseWriter, r *http.Request, namesOnly bool) {
	w.Header().Set("Cache-Control", "no-store")
	u, err := hubauth.FromContext(r.Context())
	if err == nil {
		if !validHeaderValue(u.Name) || !groupsValid(u.Groups) {
			hubauth.WriteJSONError(w, http.StatusBadGateway, "the hub's name or groups for this user cannot be sent in a header")
			return
		}
		if !p.inAllowedGroup(u) {
			p.refuseGroup(w, u)
			return
		}
		h := w.Header()
		p.setIdentity(h, r, namesOnly)
		h.Set(HeaderAuthUser, u.Name)
		if g := h.Get(HeaderGroups); g != "" {
			h.Set(HeaderAuthGroups, g)
		}
		if t := h.Get(HeaderAccessToken); t != "" {
			h.Set(HeaderAuthAccessToken, t)
		}
		w.WriteHeader(http.StatusAccepted)
		return
	}
	var forbidden *hubauth.ForbiddenError
	var hubErr *hubauth.HubError
	switch {
	case errors.As(err, &forbidden), errors.As(err, &hubErr), errors.Is(err, hubauth.ErrXSRF), errors.Is(err, hubauth.ErrCrossOrigin):
		hubauth.WriteError(w, err)
	default:
		hubauth.WriteJSONError(w, http.StatusUnauthorized, err.Error())
	}
}
