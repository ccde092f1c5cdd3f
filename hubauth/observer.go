package hubauth

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// Observer is told what an Authenticator does, for metrics, traces or
// audit logs: how each request was decided, every call to the hub's API,
// the cache's hits, misses, evictions, stale answers and background
// refreshes, and the OAuth logins.
//
// Like net/http/httptrace.ClientTrace it is a struct of optional
// functions, one per event: set the ones you need, leave the rest nil. An
// Authenticator without an Observer (or with nil functions) pays one nil
// check per event and nothing else. Set it with [WithObserver]; the
// package hubauth/hubmetrics has one that counts in Prometheus metrics, so
// hubauth itself depends on no metrics library.
//
// The functions are called synchronously, on the goroutine of the request
// they describe (CacheRefresh on the refresh's own), and CacheEviction
// with the cache's lock held: they must be quick and must not block or
// call back into the Authenticator.
// Incrementing a counter or adding a span event is the intended use. They
// never see a token.
type Observer struct {
	// Request is called once for every request RequireAccess (or, for
	// OAuth services, RequireLogin) decides on, with the decision. The
	// caller and the reason are in the context: [FromContext].
	Request func(ctx context.Context, outcome Outcome)
	// HubCall is called after every HTTP request to the hub's API:
	// identifying a token, the OAuth code exchange, readiness checks.
	HubCall func(ctx context.Context, call HubCall)
	// CacheHit is called when a fresh answer was in the cache, so the hub
	// was not asked.
	CacheHit func()
	// CacheMiss is called when there was no fresh answer: the hub is
	// asked (or a call already under way for the same token is waited
	// for).
	CacheMiss func()
	// CacheEviction is called when the cache was full and its least
	// recently used answer went to make room. Answers that expire are not
	// evictions.
	CacheEviction func()
	// CacheStale is called when an answer past its age is used because
	// the hub cannot be asked (it cannot be reached, does not answer in
	// time, or fails with a 5xx): HUBAUTH_STALE_IF_ERROR. When the hub
	// was asked and failed, CacheMiss came first.
	CacheStale func()
	// CacheRefresh is called when a background refresh ends: the hub was
	// asked again about an answer in the last part of its age (or, while
	// the hub fails, past it) that callers kept using meanwhile. err is
	// nil when the hub's new answer replaced it, [ErrInvalidToken] when
	// the hub refused the token (every answer for it is gone), else the
	// hub's failure, which left the answer as it was.
	CacheRefresh func(err error)
	// LoginStarted is called when a browser is sent to the hub's
	// authorize page.
	LoginStarted func(ctx context.Context)
	// LoginFinished is called when the callback set the login cookie, or
	// handed the hub's code off ([OAuth.CallbackCode]).
	LoginFinished func(ctx context.Context)
	// LoginFailed is called when the callback could not finish a login,
	// with the reason.
	LoginFailed func(ctx context.Context, err error)
}

// WithObserver has the Authenticator report what it does to o (see
// [Observer]). A nil o is allowed and observes nothing.
func WithObserver(o *Observer) Option {
	return func(a *Authenticator) {
		a.obs = o
		a.cache.obs = o
		a.hub.observe(o)
	}
}

// Outcome is how a request was decided; the values are fit for a metric
// label.
type Outcome string

// The outcomes of a request.
const (
	// OutcomeAdmitted: the caller may use the service.
	OutcomeAdmitted Outcome = "admitted"
	// OutcomeNoToken: the request carried no credentials (an OAuth
	// service sends such browsers to log in).
	OutcomeNoToken Outcome = "no_token"
	// OutcomeRefused: the credentials were no good: a token the hub does
	// not accept, a login cookie that cannot be opened, a missing XSRF
	// token, a cookie request from another origin.
	OutcomeRefused Outcome = "refused"
	// OutcomeForbidden: the hub identified the caller, but no scope of
	// theirs grants access to the service.
	OutcomeForbidden Outcome = "forbidden"
	// OutcomeHubError: the hub could not be asked, or failed (a 5xx).
	OutcomeHubError Outcome = "hub_error"
)

// outcomeOf sorts the error [FromContext] returns into an Outcome; nil is
// [OutcomeAdmitted].
func outcomeOf(err error) Outcome {
	if err == nil {
		return OutcomeAdmitted // apart, so the admitted path allocates nothing
	}
	return outcomeOfError(err)
}

func outcomeOfError(err error) Outcome {
	var hubErr *HubError
	var forbidden *ForbiddenError
	switch {
	case errors.Is(err, ErrNoToken):
		return OutcomeNoToken
	case errors.As(err, &hubErr):
		return OutcomeHubError
	case errors.As(err, &forbidden):
		return OutcomeForbidden
	default:
		return OutcomeRefused
	}
}

// HubCall describes one HTTP request to the hub's API. It never holds a
// token.
type HubCall struct {
	// Method is the HTTP method, GET or POST.
	Method string
	// Path is the endpoint, relative to the API URL: "/user" (identifying
	// a token), "/oauth2/token" (the OAuth code exchange) or "/" (a
	// readiness check).
	Path string
	// Status is the hub's answer, 0 when there was none.
	Status int
	// Err says why there was no answer: the hub could not be reached, or
	// did not answer within the time limit (see [HubCall.Timeout]).
	Err error
	// Duration is how long the hub took to send the answer's headers, or
	// until the call failed.
	Duration time.Duration
}

// Timeout reports whether the call failed because the hub did not answer
// in time.
func (c HubCall) Timeout() bool {
	var to interface{ Timeout() bool }
	return errors.Is(c.Err, context.DeadlineExceeded) || (errors.As(c.Err, &to) && to.Timeout())
}

// The methods below are what the rest of the package calls. Each is a nil
// check that the compiler inlines, so an Authenticator without an Observer
// pays only that.

// requestDecided reports how the request r, already identified, is
// decided.
func (o *Observer) requestDecided(r *http.Request) {
	if o == nil || o.Request == nil {
		return
	}
	o.reportRequest(r)
}

func (o *Observer) reportRequest(r *http.Request) {
	_, err := FromContext(r.Context())
	o.Request(r.Context(), outcomeOf(err))
}

// call runs one of the Observer's functions without arguments, if set.
func call(f func()) {
	if f != nil {
		f()
	}
}

func (o *Observer) cacheHit() {
	if o != nil {
		call(o.CacheHit)
	}
}

func (o *Observer) cacheMiss() {
	if o != nil {
		call(o.CacheMiss)
	}
}

func (o *Observer) cacheEviction() {
	if o != nil {
		call(o.CacheEviction)
	}
}

func (o *Observer) cacheStale() {
	if o != nil {
		call(o.CacheStale)
	}
}

func (o *Observer) cacheRefreshed(err error) {
	if o != nil && o.CacheRefresh != nil {
		o.CacheRefresh(err)
	}
}

func (o *Observer) loginStarted(ctx context.Context) {
	if o != nil && o.LoginStarted != nil {
		o.LoginStarted(ctx)
	}
}

func (o *Observer) loginFinished(ctx context.Context) {
	if o != nil && o.LoginFinished != nil {
		o.LoginFinished(ctx)
	}
}

func (o *Observer) loginFailed(ctx context.Context, err error) {
	if o != nil && o.LoginFailed != nil {
		o.LoginFailed(ctx, err)
	}
}
