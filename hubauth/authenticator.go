package hubauth

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
)

// Authenticator identifies the callers of one service through the hub and
// decides whether they may use it. It is safe for concurrent use; build one
// per service with [New].
//
// A request's token goes to the answer cache (cache.go), which asks the
// hub (hubclient.go) only when it has no fresh answer, and keeps answering
// callers it knows while the hub fails; the answer's scopes are then held
// against the service's access scopes (scopes.go). A failing hub is
// logged once when it starts and once when it ends (outage.go).
type Authenticator struct {
	cfg    Config
	hub    *hubClient
	cache  *answerCache
	logger *slog.Logger
	obs    *Observer // nil: nothing observes (WithObserver)
	outage *outageLog
}

// Option changes how [New] builds an Authenticator.
type Option func(*Authenticator)

// WithLogger sets where the Authenticator logs hub failures and refused
// callers. Tokens are never logged. The default discards everything.
func WithLogger(l *slog.Logger) Option {
	return func(a *Authenticator) { a.logger = l }
}

// New builds an Authenticator from a validated configuration.
func New(cfg Config, opts ...Option) (*Authenticator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	hub, err := newHubClient(cfg)
	if err != nil {
		return nil, err
	}
	a := &Authenticator{
		cfg:    cfg,
		hub:    hub,
		cache:  newAnswerCache(cfg.CacheMaxAge, cfg.CacheSize),
		logger: slog.New(slog.DiscardHandler),
	}
	for _, opt := range opts {
		opt(a)
	}
	a.cache.refreshBefore = refreshWindow(cfg.CacheMaxAge, a.hub.timeout)
	a.cache.staleFor = cfg.StaleIfError
	a.cache.fetch = a.askHub
	a.outage = newOutageLog(a.logger, cfg.StaleIfError)
	a.cache.outage = a.outage
	return a, nil
}

// Config returns the configuration the Authenticator was built with.
func (a *Authenticator) Config() Config { return a.cfg }

// UserForToken returns the hub's answer for token, from the cache when it
// is fresh. sessionID is the hub session the request belongs to (the
// jupyterhub-session-id cookie), "" if none; it keeps answers from one
// login session apart from another's.
//
// While the hub cannot be reached, does not answer in time or fails with a
// 5xx, a cached answer past its age is returned for up to
// [Config.StaleIfError] more; a token the cache has no answer for gets the
// hub's failure, a [*HubError].
func (a *Authenticator) UserForToken(ctx context.Context, sessionID, token string) (*User, error) {
	if !plausibleToken(token) {
		return nil, ErrInvalidToken
	}
	return a.cache.get(ctx, sessionID, token)
}

// askHub asks the hub who token belongs to, for the cache, and tells the
// outage log how the call went.
func (a *Authenticator) askHub(ctx context.Context, token string) (*User, error) {
	u, err := a.hub.userForToken(ctx, token)
	a.outage.hubCall(err)
	return u, err
}

// allowed reports whether the hub's answer grants access to this service:
// one of the access scopes is granted by the user's scopes, or the service
// admits any user ([Config.AllowAnyUser]).
func (a *Authenticator) allowed(u *User) bool {
	if len(a.cfg.AccessScopes) == 0 {
		return a.cfg.AllowAnyUser
	}
	_, ok := grantedScope(u.Scopes, a.cfg.AccessScopes)
	return ok
}

// check identifies token's owner and applies the access scopes.
func (a *Authenticator) check(ctx context.Context, sessionID, token string) (*User, error) {
	u, err := a.UserForToken(ctx, sessionID, token)
	if err == nil && !a.allowed(u) {
		err = &ForbiddenError{User: u, Needed: a.cfg.AccessScopes}
	}
	return u, err
}

// Identify finds who sent the request and stores the answer in its context
// for [FromContext], [UserFromContext] and [Authenticator.RequireAccess].
// It never answers the request itself: a handler may serve anonymous
// callers differently, or use RequireAccess to turn them away.
func (a *Authenticator) Identify(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, a.identify(r))
	})
}

func (a *Authenticator) identify(r *http.Request) *http.Request {
	if _, ok := identityOf(r); ok {
		return r
	}
	token := tokenFrom(r, a.cfg.AllowTokenInURL)
	if token == "" {
		return withIdentity(r, &identity{err: ErrNoToken})
	}
	return a.identifyToken(r, token)
}

// identifyToken stores who token belongs to, and whether they may use the
// service, in the request's context.
func (a *Authenticator) identifyToken(r *http.Request, token string) *http.Request {
	id := &identity{token: token}
	id.user, id.err = a.check(r.Context(), sessionID(r), token)
	return withIdentity(r, id)
}

// RequireAccess lets the request through only when its caller may use this
// service; otherwise it answers with [WriteError]: 403 for no token, a
// refused token, or missing scopes; 5xx when the hub failed. It runs
// Identify first when that has not been done.
func (a *Authenticator) RequireAccess(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = a.identify(r)
		a.obs.requestDecided(r)
		if _, err := FromContext(r.Context()); err != nil {
			a.logRefusal(r, err)
			WriteError(w, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Middleware is Identify followed by RequireAccess: the one call most
// services need.
//
//	mux.Handle("/services/whoami/", auth.Middleware(whoami))
func (a *Authenticator) Middleware(next http.Handler) http.Handler {
	return a.RequireAccess(next)
}

// HubAPI sends a request to the hub's REST API ({JUPYTERHUB_API_URL}{path},
// e.g. path "/users/ada") with token, over the same connections (unix
// socket, TLS) the Authenticator uses. With the caller's own token
// ([TokenFromContext]) the service acts on the caller's behalf, with what
// that token may do: for an OAuth login, the scopes the service's
// oauth_client_allowed_scopes let it ask for.
//
// The caller reads and closes the response body. The request, body
// included, ends with ctx or after HUBAUTH_HUB_TIMEOUT, whichever is first;
// a status the hub answers is not an error. The token never appears in the
// error.
func (a *Authenticator) HubAPI(ctx context.Context, token, method, path string, body io.Reader) (*http.Response, error) {
	return a.hub.do(ctx, token, method, path, body)
}

// Ready reports whether the hub's API answers: it asks for the hub's
// version (GET {API}/, which the hub answers without a token), the
// cheapest real call there is, which makes it the readiness check of a
// service. The error is a [*HubError] naming the API URL: the hub could
// not be reached, did not answer within the hub timeout, or answered
// something that is not JupyterHub's API (a wrong JUPYTERHUB_API_URL).
func (a *Authenticator) Ready(ctx context.Context) error {
	_, err := a.hub.ping(ctx)
	return err
}

func (a *Authenticator) logRefusal(r *http.Request, err error) {
	attrs := []any{"method", r.Method, "path", r.URL.Path}
	var hubErr *HubError
	var forbidden *ForbiddenError
	switch {
	case errors.As(err, &hubErr):
		// Counted, and logged when the hub starts failing and when it
		// answers again: not a line for each of the requests an outage
		// fails.
		a.outage.requestFailed(hubErr)
	case errors.As(err, &forbidden) && forbidden.User != nil:
		a.logger.Warn("caller lacks access", append(attrs, "kind", forbidden.User.Kind, "name", forbidden.User.Name)...)
	default:
		a.logger.Info("request refused", append(attrs, "reason", err.Error())...)
	}
}
