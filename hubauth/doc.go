// Package hubauth lets a Go HTTP service know who is calling it when it runs
// as a JupyterHub service.
//
// JupyterHub hands a service its settings through JUPYTERHUB_* environment
// variables; [FromEnv] reads and checks them all at once. A request is
// identified by asking the hub's API (GET {JUPYTERHUB_API_URL}/user) about
// the token it carries, and admitted when the hub's answer grants one of the
// service's access scopes (for a hub-managed service named "whoami" that is
// access:services!service=whoami). Answers are cached, bounded in size and
// age, and concurrent requests with the same new token make one hub call.
// Callers the service knows ride out a slow or restarting hub: an answer
// near the end of its age is refreshed in the background, and while the
// hub cannot be reached or fails, an answer past its age is used for up
// to HUBAUTH_STALE_IF_ERROR more ([Config.StaleIfError]). A token the hub
// refuses is refused at once under every hub session it was cached with.
//
// The middleware follows the identify-then-require pattern of go-chi/jwtauth:
// [Authenticator.Identify] finds the caller and stores the result in the
// request context, [Authenticator.RequireAccess] answers 403 (or the hub's
// failure as a 5xx) unless the caller may use the service, and
// [Authenticator.Middleware] chains the two. Handlers read the caller with
// [UserFromContext]. It is plain func(http.Handler) http.Handler middleware,
// so it works with net/http's ServeMux and with any router.
//
// Browsers cannot send tokens; they log in through the hub's OAuth2
// provider. [NewOAuth] adds that: [OAuth.Middleware] sends a browser without
// a login to the hub's authorize page (with PKCE), finishes the login at the
// service's oauth_callback, and from then on identifies it by an encrypted
// login cookie holding its hub token. Nothing a login needs is kept in
// server memory (opened login cookies are remembered only to save work): the
// state of a login in flight travels in an encrypted state cookie, and the
// cookie keys come from HUBAUTH_COOKIE_SECRET or are derived from the API
// token, so replicas and restarted processes accept each other's logins.
// Cookie-authenticated requests that are not plain navigation must carry an
// XSRF token, as JupyterHub's own pages must, or, for an app that knows
// nothing of the hub ([Config.CrossOriginProtection]), come from the same
// origin by the browser's Fetch Metadata and Origin headers; either way a
// websocket the cookie opens must come from the page's own origin. A login
// may also start elsewhere and return to an allowed host
// ([OAuth.StartLoginTo]), for an ingress's forward auth. Logins last 30 days (the age
// is sealed in the cookie and checked), only page loads start one, and
// [OAuth.Logout] (served at {prefix}logout) ends one.
//
// Routes that need more than access to the service require it after the
// service's middleware: [RequireScopes] with the hub's scope filters, or
// [RequireFunc] for any other decision. A handler can act on the caller's
// behalf with the caller's own hub token ([TokenFromContext],
// [Authenticator.HubAPI]).
//
// The behaviour follows JupyterHub's own Python client
// (jupyterhub.services.auth.HubAuth), with deliberate differences: the cache
// is bounded, coalesces concurrent misses and keeps known callers answered
// while the hub is down or slow, a service with no access scopes
// refuses to start unless told to admit every hub user, tokens with bytes that
// cannot be a hub token are refused without a hub call, and hub failures are
// reported as 502, 503 or 504 with a short message naming the API URL.
//
// [Server] serves a service as the hub expects it to be served, in every
// shape a hub is deployed in: on the service URL's address (or
// HUBAUTH_LISTEN), over TLS with client certificates under internal SSL,
// with slow and oversized requests cut off, and with a graceful shutdown.
// The hub client follows the hub the same way: https with the internal-SSL
// key pair, or a unix socket. Behind ingresses and proxies, the scheme the
// browser used (which decides whether cookies are Secure) is read from
// Forwarded, X-Scheme and X-Forwarded-Proto, as JupyterHub reads it.
//
// # Reading the code
//
// One file holds one idea. Start with authenticator.go (identify, then
// require), then cache.go (the bounded answer cache, with refresh ahead
// and stale-if-error; cacheindex.go finds every answer of a token) and
// hubclient.go (the hub's API); outage.go logs a failing hub; the
// request's result travels in context.go. The
// configuration is config.go (the struct and its checks) and settings.go
// (one row per environment variable). For browsers, oauth.go identifies by
// the login cookie (logincookie.go) and applies the cross-site request rule
// (csrf.go: the hub's XSRF token, xsrf.go, or Fetch Metadata, crossorigin.go);
// login.go is the login itself, with its state cookies (state.go), and
// handoff.go a login whose code is exchanged later, elsewhere
// ([OAuth.CallbackCode], [OAuth.ExchangeCode]: what the OpenID Connect
// provider in hubauth/oidc is built on). Every
// error knows its HTTP status (errors.go). server.go serves a service the
// way the hub expects.
package hubauth
