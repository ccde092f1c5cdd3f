package hubauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// recorder is an Observer that remembers everything it is told.
type recorder struct {
	mu       sync.Mutex
	outcomes []Outcome
	calls    []HubCall
	cache    map[string]int // hit, miss, eviction
	logins   []string       // started, finished, failed
	loginErr []error
}

func (rec *recorder) observer() *Observer {
	rec.cache = map[string]int{}
	// Called with the cache's lock held; this lock is ours.
	count := func(e string) func() {
		return func() {
			rec.mu.Lock()
			defer rec.mu.Unlock()
			rec.cache[e]++
		}
	}
	login := func(e string, err error) {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		rec.logins = append(rec.logins, e)
		rec.loginErr = append(rec.loginErr, err)
	}
	return &Observer{
		Request: func(ctx context.Context, o Outcome) {
			rec.mu.Lock()
			defer rec.mu.Unlock()
			rec.outcomes = append(rec.outcomes, o)
		},
		HubCall: func(ctx context.Context, c HubCall) {
			rec.mu.Lock()
			defer rec.mu.Unlock()
			rec.calls = append(rec.calls, c)
		},
		CacheHit:      count("hit"),
		CacheMiss:     count("miss"),
		CacheEviction: count("eviction"),
		LoginStarted:  func(context.Context) { login("started", nil) },
		LoginFinished: func(context.Context) { login("finished", nil) },
		LoginFailed:   func(_ context.Context, err error) { login("failed", err) },
	}
}

func (rec *recorder) reset() {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.outcomes, rec.calls, rec.logins, rec.loginErr = nil, nil, nil, nil
	clear(rec.cache)
}

func TestObserverRequestsHubCallsAndCache(t *testing.T) {
	hub := newFakeHub(t)
	hub.addUser(adaToken, adaModel)
	hub.addUser(bobToken, bobModel)
	rec := &recorder{}
	a, err := New(testConfig(hub.apiURL()), WithObserver(rec.observer()))
	require.NoError(t, err)
	h := a.Middleware(echoUser)
	request := func(auth string) int {
		r := httptest.NewRequest(http.MethodGet, "/services/whoami/", nil)
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		code, _ := serve(h, r)
		return code
	}

	for _, tc := range []struct {
		name     string
		auth     string
		status   int
		outcome  Outcome
		calls    []int // statuses of the hub calls made, in order
		hit      int
		miss     int
		hubFails bool
	}{
		{"first time: a miss and a hub call", "token " + adaToken, 200, OutcomeAdmitted, []int{200}, 0, 1, false},
		{"again: a hit, no hub call", "token " + adaToken, 200, OutcomeAdmitted, nil, 1, 0, false},
		{"no token: no lookup at all", "", 403, OutcomeNoToken, nil, 0, 0, false},
		{"refused token", "token " + hubtestToken(1), 403, OutcomeRefused, []int{403}, 0, 1, false},
		{"refused token again: remembered", "token " + hubtestToken(1), 403, OutcomeRefused, nil, 1, 0, false},
		{"implausible token: refused without a lookup", "token a\x01b", 403, OutcomeRefused, nil, 0, 0, false},
		{"forbidden", "token " + bobToken, 403, OutcomeForbidden, []int{200}, 0, 1, false},
		{"hub failing", "token " + hubtestToken(2), 502, OutcomeHubError, []int{500}, 0, 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec.reset()
			if tc.hubFails {
				hub.fail(500, `{"message": "boom"}`)
				defer hub.fail(0, "")
			}
			require.Equal(t, tc.status, request(tc.auth))
			require.Equal(t, []Outcome{tc.outcome}, rec.outcomes)
			require.Len(t, rec.calls, len(tc.calls))
			for i, c := range rec.calls {
				require.Equal(t, tc.calls[i], c.Status)
				require.Equal(t, "GET", c.Method)
				require.Equal(t, "/user", c.Path, "relative to the API URL")
				require.NoError(t, c.Err)
				require.Positive(t, c.Duration)
				require.False(t, c.Timeout())
			}
			require.Equal(t, tc.hit, rec.cache["hit"], "hits")
			require.Equal(t, tc.miss, rec.cache["miss"], "misses")
			require.Zero(t, rec.cache["eviction"])
		})
	}

	t.Run("identify alone decides nothing", func(t *testing.T) {
		rec.reset()
		r := httptest.NewRequest(http.MethodGet, "/services/whoami/", nil)
		serve(a.Identify(echoOrAnonymous), r)
		require.Empty(t, rec.outcomes)
	})
}

var echoOrAnonymous = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	if u := UserFromContext(r.Context()); u != nil {
		_, _ = w.Write([]byte(u.Name))
	}
})

// hubtestToken is a plausible token the fake hub does not know.
func hubtestToken(n int) string { return fmt.Sprintf("%032x", n) }

func TestObserverCacheEviction(t *testing.T) {
	hub := newFakeHub(t)
	hub.addUser(adaToken, adaModel)
	hub.addUser(bobToken, bobModel)
	rec := &recorder{}
	cfg := testConfig(hub.apiURL())
	cfg.CacheSize = 1
	a, err := New(cfg, WithObserver(rec.observer()))
	require.NoError(t, err)
	ctx := context.Background()
	_, err = a.UserForToken(ctx, "", adaToken)
	require.NoError(t, err)
	require.Zero(t, rec.cache["eviction"])
	_, err = a.UserForToken(ctx, "", bobToken)
	require.NoError(t, err)
	require.Equal(t, 1, rec.cache["eviction"], "ada's answer made room for bob's")
	require.Equal(t, 2, rec.cache["miss"])
	require.Len(t, rec.calls, 2)
}

func TestObserverHubTimeout(t *testing.T) {
	hub := newFakeHub(t)
	hub.setDelay(time.Second)
	rec := &recorder{}
	cfg := testConfig(hub.apiURL())
	cfg.HubTimeout = 50 * time.Millisecond
	a, err := New(cfg, WithObserver(rec.observer()))
	require.NoError(t, err)
	r := httptest.NewRequest(http.MethodGet, "/services/whoami/", nil)
	r.Header.Set("Authorization", "token "+adaToken)
	code, _ := serve(a.Middleware(echoUser), r)
	require.Equal(t, http.StatusGatewayTimeout, code)
	require.Equal(t, []Outcome{OutcomeHubError}, rec.outcomes)
	require.Len(t, rec.calls, 1)
	require.Zero(t, rec.calls[0].Status)
	require.Error(t, rec.calls[0].Err)
	require.True(t, rec.calls[0].Timeout())
}

func TestObserverOAuthLogins(t *testing.T) {
	hub := newFakeHub(t)
	hub.addUser("hub-issued-token", adaModel)
	hub.token = func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"access_token": "hub-issued-token", "token_type": "Bearer"}`))
	}
	rec := &recorder{}
	a, err := New(oauthConfig(hub.apiURL()), WithObserver(rec.observer()))
	require.NoError(t, err)
	o, err := NewOAuth(a)
	require.NoError(t, err)
	f := &flow{t: t, h: o.Middleware(echoUser), cookies: map[string]*http.Cookie{}}

	state, _ := stateOf(t, f.do("GET", "/services/whoami/page", nil))
	require.Equal(t, []string{"started"}, rec.logins)
	require.Equal(t, []Outcome{OutcomeNoToken}, rec.outcomes, "sent to log in: no credentials")

	rec.reset()
	w := f.do("GET", "/services/whoami/oauth_callback?code=c&state="+url.QueryEscape(state), nil)
	require.Equal(t, http.StatusFound, w.Code, w.Body.String())
	require.Equal(t, []string{"finished"}, rec.logins)
	require.Empty(t, rec.outcomes, "the callback is a login step, not a request decided by the middleware")
	require.Len(t, rec.calls, 2, "the code exchange and identifying its token")
	require.Equal(t, "POST", rec.calls[0].Method)
	require.Equal(t, "/oauth2/token", rec.calls[0].Path)
	require.Equal(t, 200, rec.calls[0].Status)
	require.Equal(t, "/user", rec.calls[1].Path)

	rec.reset()
	w = f.do("GET", "/services/whoami/page", nil)
	require.Equal(t, 200, w.Code)
	require.Equal(t, []Outcome{OutcomeAdmitted}, rec.outcomes)
	require.Equal(t, 1, rec.cache["hit"])

	rec.reset()
	w = f.do("GET", "/services/whoami/oauth_callback?error=access_denied", nil)
	require.Equal(t, http.StatusBadRequest, w.Code)
	require.Equal(t, []string{"failed"}, rec.logins)
	var loginErr *loginError
	require.ErrorAs(t, rec.loginErr[0], &loginErr)
}

func TestWithObserverNilAndTwice(t *testing.T) {
	hub := newFakeHub(t)
	hub.addUser(adaToken, adaModel)
	first, second := &recorder{}, &recorder{}
	for _, opts := range [][]Option{
		{WithObserver(nil)},
		{WithObserver(&Observer{})},
		{WithObserver(first.observer()), WithObserver(second.observer())},
	} {
		a, err := New(testConfig(hub.apiURL()), opts...)
		require.NoError(t, err)
		r := httptest.NewRequest(http.MethodGet, "/services/whoami/", nil)
		r.Header.Set("Authorization", "token "+adaToken)
		code, body := serve(a.Middleware(echoUser), r)
		require.Equal(t, 200, code)
		require.Equal(t, "ada", body)
	}
	require.Empty(t, first.outcomes, "the last WithObserver wins")
	require.Empty(t, first.calls)
	require.Len(t, second.outcomes, 1)
	require.Len(t, second.calls, 1, "each hub call reported once, not once per WithObserver")
}

func TestOutcomeOfErrors(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want Outcome
	}{
		{nil, OutcomeAdmitted},
		{ErrNoToken, OutcomeNoToken},
		{ErrInvalidToken, OutcomeRefused},
		{ErrLoginCookie, OutcomeRefused},
		{ErrXSRF, OutcomeRefused},
		{&ForbiddenError{User: &User{Name: "bob"}}, OutcomeForbidden},
		{&HubError{Message: "down"}, OutcomeHubError},
		{fmt.Errorf("wrapped: %w", &HubError{Message: "down"}), OutcomeHubError},
		{context.Canceled, OutcomeRefused},
		{errors.New("anything else"), OutcomeRefused},
	} {
		require.Equal(t, tc.want, outcomeOf(tc.err), "%v", tc.err)
	}
}
