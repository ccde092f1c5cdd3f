package hubauth

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
)

// Authenticator identifies the callers of one service through the hub and
// decides whether they may use it. It is safe for concurrent use; build one
// per service with [New].
type Authenticator struct {
	cfg    Config
	hub    *HubClient
	cache  *answerCache
	logger *slog.Logger
	obs    *Observer // nil: nothing observes (WithObserver)
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
	hub, err := NewHubClient(cfg)
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
	return a, nil
}

// Config returns the configuration the Authenticator was built with.
func (a *Authenticator) Config() Config { return a.cfg }

// UserForToken returns the hub's answer for token, from the cache when it
// is fresh. sessionID is the hub session the request belongs to (the
// jupyterhub-session-id cookie), "" if none; it keeps answers from one
// login session apart from another's.
func (a *Authenticator) UserForToken(ctx context.Context, sessionID, token string) (*User, error) {
	if !plausibleToken(token) {
		return nil, ErrInvalidToken
	}
	return a.cache.get(ctx, keyFor(sessionID, token), func(ctx context.Context) (*User, error) {
		return a.hub.UserForToken(ctx, token)
	})
}

// Allowed reports whether the hub's answer grants access to this service:
// one of the access scopes is granted by the user's scopes, or the service
// admits any user ([Config.AllowAnyUser]).
func (a *Authenticator) Allowed(u *User) bool {
	if len(a.cfg.AccessScopes) == 0 {
		return a.cfg.AllowAnyUser
	}
	_, ok := GrantedScope(u.Scopes, a.cfg.AccessScopes)
	return ok
}

// identity is what Identify found: the caller, or why there is none.
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

// check identifies token's owner and applies the access scopes.
func (a *Authenticator) check(ctx context.Context, sessionID, token string) (*User, error) {
	u, err := a.UserForToken(ctx, sessionID, token)
	if err == nil && !a.Allowed(u) {
		err = &ForbiddenError{User: u, Needed: a.cfg.AccessScopes}
	}
	return u, err
}

func withIdentity(r *http.Request, id *identity) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), contextKey{}, id))
}

func identityOf(r *http.Request) (*identity, bool) {
	id, ok := r.Context().Value(contextKey{}).(*identity)
	return id, ok
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

func (a *Authenticator) logRefusal(r *http.Request, err error) {
	attrs := []any{"method", r.Method, "path", r.URL.Path}
	var hubErr *HubError
	var forbidden *ForbiddenError
	switch {
	case errors.As(err, &hubErr):
		a.logger.Error("hub API failure", append(attrs, "status", hubErr.HTTPStatus(), "error", hubErr.Message)...)
	case errors.As(err, &forbidden):
		a.logger.Warn("caller lacks access", append(attrs, "kind", forbidden.User.Kind, "name", forbidden.User.Name)...)
	default:
		a.logger.Info("request refused", append(attrs, "reason", err.Error())...)
	}
}
