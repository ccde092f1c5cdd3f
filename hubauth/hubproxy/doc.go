// Package hubproxy puts any web app behind the hub's login: an
// [net/http/httputil.ReverseProxy] that runs behind hubauth's middleware
// and hands the app who is calling in request headers.
//
// The app receives the caller's identity with the header names of
// oauth2-proxy, so apps written for it work unchanged:
//
//	X-Forwarded-User          the caller's hub name
//	X-Forwarded-Groups        their groups, comma-separated
//	X-Forwarded-User-Model    the hub's whole model as one line of JSON (Options.PassUserModel)
//	X-Forwarded-Access-Token  the caller's own hub token (Options.PassAccessToken)
//
// It never receives what a client could forge: every incoming
// X-Forwarded-*, X-Auth-Request-*, X-Real-Ip and Remote-User header is
// removed first, in any case and with '_' for '-' (some frameworks read
// X_Forwarded_User as X-Forwarded-User). Nor does it receive the caller's
// hub credentials unless the operator opts in ([Options.KeepCredentials]):
// the Authorization header with a token or bearer scheme, the ?token=
// query parameter, the login, state and _xsrf cookies and the hub's
// session cookie are taken out of the upstream request.
//
// The proxy is built on ReverseProxy's Rewrite hook, which starts from a
// clean outbound request: hop-by-hop headers are dropped, websockets are
// passed through, and streaming answers (server-sent events, chunked
// bodies) are flushed as they come; request bodies stream, never
// buffered. X-Forwarded-For, -Proto and -Host are set afresh (from what the
// hub's proxy appended, never from what a client sent ahead of it), the
// app gets the browser's Host header (Options.PassHost), and
// X-Forwarded-Prefix names the path prefix when it is stripped. An app
// that is down gets the browser a short 502 page (503 while it starts),
// never a hang. The app may listen on a unix socket (unix:/path).
//
// [Proxy.ForwardAuth] and [Proxy.IngressAuth] answer nginx's auth_request
// and Traefik's forwardAuth, for deployments that proxy to the app
// themselves and only want the hub's login; only the second, served where
// only the ingress reaches it, hands out the caller's token.
package hubproxy
