package hubauth

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Observer is told what an Authenticator does, for metrics, traces or
// audit logs: how each request was decided, every call to the hub's API,
// the cache's hits, misses and evictions, and the OAuth logins.
//
// Like net/http/httptrace.ClientTrace it is a struct of optional
// functions: set the ones you need, leave the rest nil. An Authenticator
// without an Observer (or with nil functions) pays one nil check per
// event and nothing else. Set it with [WithObserver]; the package
// hubauth/hubmetrics has one that counts in Prometheus metrics, so
// hubauth itself depends on no metrics library.
//
// The functions are called synchronously, on the goroutine of the request
// they describe, and Cache with the cache's lock held: they must be quick
// and must not block or call back into the Authenticator. Incrementing a
// counter or adding a span event is the intended use. They never see a
// token.
type Observer struct {
	// Request is called once for every request RequireAccess (or, for
	// OAuth services, RequireLogin) decides on, with the decision. The
	// caller and the reason are in the context: [FromContext].
	Request func(ctx context.Context, outcome Outcome)
	// HubCall is called after every HTTP request to the hub's API:
	// identifying a token, the OAuth code exchange, readiness checks.
	HubCall func(ctx context.Context, call HubCall)
	// Cache is called for every cache lookup (a hit or a miss) and every
	// answer pushed out of the full cache (an eviction).
	Cache func(event CacheEvent)
	// Login is called when an OAuth login starts (the browser is sent to
	// the hub), finishes (the login cookie is set) or fails at the
	// callback; err says why it failed, and is nil otherwise.
	Login func(ctx context.Context, event LoginEvent, err error)
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
	// token.
	OutcomeRefused Outcome = "refused"
	// OutcomeForbidden: the hub identified the caller, but no scope of
	// theirs grants access to the service.
	OutcomeForbidden Outcome = "forbidden"
	// OutcomeHubError: the hub could not be asked, or failed (a 5xx).
	OutcomeHubError Outcome = "hub_error"
)

// Outcomes lists every Outcome, for metrics that start each at zero.
func Outcomes() []Outcome {
	return []Outcome{OutcomeAdmitted, OutcomeNoToken, OutcomeRefused, OutcomeForbidden, OutcomeHubError}
}

// OutcomeOf sorts the error [FromContext] returns into an Outcome; nil is
// [OutcomeAdmitted].
func OutcomeOf(err error) Outcome {
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

// CacheEvent is what happened in the cache of hub answers.
type CacheEvent string

// The cache events.
const (
	// CacheHit: a fresh answer was there; the hub was not asked.
	CacheHit CacheEvent = "hit"
	// CacheMiss: no fresh answer; the hub is asked (or a call already
	// under way for the same token is waited for).
	CacheMiss CacheEvent = "miss"
	// CacheEviction: the cache was full and its least recently used
	// answer went to make room. Answers that expire are not evictions.
	CacheEviction CacheEvent = "eviction"
)

// LoginEvent is a step of an OAuth login.
type LoginEvent string

// The steps of an OAuth login.
const (
	// LoginStarted: a browser was sent to the hub's authorize page.
	LoginStarted LoginEvent = "started"
	// LoginFinished: the callback set the login cookie.
	LoginFinished LoginEvent = "finished"
	// LoginFailed: the callback could not finish the login.
	LoginFailed LoginEvent = "failed"
)

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
	o.Request(r.Context(), OutcomeOf(err))
}

func (o *Observer) cache(e CacheEvent) {
	if o == nil || o.Cache == nil {
		return
	}
	o.Cache(e)
}

func (o *Observer) login(ctx context.Context, e LoginEvent, err error) {
	if o == nil || o.Login == nil {
		return
	}
	o.Login(ctx, e, err)
}

// observe has every request the client sends reported to o.HubCall, by
// wrapping its transport (which the OAuth code exchange shares). Without
// an Observer the transport stays as it was.
func (c *HubClient) observe(o *Observer) {
	if t, ok := c.http.Transport.(*observedTransport); ok {
		c.http.Transport = t.next // WithObserver given twice: the last wins
	}
	if o == nil || o.HubCall == nil {
		return
	}
	basePath := ""
	if u, err := url.Parse(c.base); err == nil {
		basePath = strings.TrimSuffix(u.Path, "/")
	}
	client := *c.http // the client is the HubClient's own, but copy rather than change it in place
	next := client.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	client.Transport = &observedTransport{next: next, obs: o, basePath: basePath}
	c.http = &client
}

// observedTransport times each request to the hub and reports it.
type observedTransport struct {
	next     http.RoundTripper
	obs      *Observer
	basePath string // the API URL's path, trimmed from reported paths
}

func (t *observedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	call := HubCall{
		Method:   req.Method,
		Path:     strings.TrimPrefix(req.URL.Path, t.basePath),
		Err:      err,
		Duration: time.Since(start),
	}
	if call.Path == "" {
		call.Path = "/"
	}
	if resp != nil {
		call.Status = resp.StatusCode
	}
	t.obs.HubCall(req.Context(), call)
	return resp, err
}
