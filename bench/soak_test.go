//go:build soak

package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hubauth-go/whoami/internal/hubtest"
)

// SoakConfig is what `make soak` may change, from the environment.
type SoakConfig struct {
	// Duration of the load (SOAK_SECONDS, default 600); the faults are
	// spread over it.
	Duration time.Duration
	// Out is the directory SOAK.md and soak.png are written to (SOAK_OUT,
	// default bench/ in the repository).
	Out string
	// BinDir holds whoami-api and whoami-oauth to soak (SOAK_BIN_DIR);
	// empty builds them from this checkout.
	BinDir string
	// Rate limits each busy connection (cached tokens, browsers) to this
	// many requests a second (SOAK_RATE, default 0: as fast as answered).
	Rate int
}

// SoakFromEnv reads and checks the soak's settings.
func SoakFromEnv() (SoakConfig, error) {
	c := SoakConfig{Duration: 600 * time.Second, Out: filepath.Join(hubtest.RepoRoot(), "bench")}
	if v := os.Getenv("SOAK_SECONDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 30 {
			return c, fmt.Errorf("SOAK_SECONDS: want a whole number of seconds, at least 30, got %q", v)
		}
		c.Duration = time.Duration(n) * time.Second
	}
	if v := os.Getenv("SOAK_OUT"); v != "" {
		c.Out = v
	}
	c.BinDir = os.Getenv("SOAK_BIN_DIR")
	if v := os.Getenv("SOAK_RATE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return c, fmt.Errorf("SOAK_RATE: want requests per second per connection (0: no limit), got %q", v)
		}
		c.Rate = n
	}
	return c, nil
}

// The mix: 64 connections in all.
const (
	tokenConns  = 30 // users with cached tokens, at whoami-api
	browserConn = 16 // logged-in browsers, one each, at the whoami-oauth replicas
	freshConns  = 6  // a new token every half second each, used at once
	junkConns   = 6  // tokens the hub never issued, 10 a second each
	loginConns  = 6  // new OAuth logins, one every 2 s each
	tokenUsers  = 64

	hubTimeout  = 4 * time.Second // HUBAUTH_HUB_TIMEOUT of the services
	cacheMaxAge = "15s"           // HUBAUTH_CACHE_MAX_AGE: answers are checked again all run long
	// cacheSize (HUBAUTH_CACHE_SIZE) is small enough for junk and fresh
	// tokens to fill the cache to its bound during the warm-up, so memory
	// that grows after it is a leak, not the cache filling.
	cacheSize = 1000
	slowDelay = 2 * time.Second // each hub API call while the hub is slow
	// hangLimit: a service request taking longer has hung past the hub
	// timeout (one hub call per request, plus room for a loaded machine).
	hangLimit = hubTimeout + 4*time.Second
	// callbackLimit: the OAuth callback makes two hub calls.
	callbackLimit = 2*hubTimeout + 4*time.Second
	hubPageLimit  = 30 * time.Second
)

// soakRig is everything a soak runs.
type soakRig struct {
	t        *testing.T
	cfg      SoakConfig
	hub      *hubtest.Hub
	rec      *Recorder
	apiURL   string // whoami-api, directly
	frontURL string // the two whoami-oauth replicas, behind the front
	front    *Front
	proxy    *hubtest.FaultProxy
	users    []string
	tokens   []string
	browsers []*Browser

	apiProc  *hubtest.Process
	replicaA *hubtest.Process
	replicaB atomic.Pointer[hubtest.Process]
	startB   func() *hubtest.Process
	exitedA  bool
	metrics  map[string]string // process name to its /metrics URL (the hook)

	samplesMu sync.Mutex
	samples   []usageSample

	logins atomic.Int64
	fresh  atomic.Int64

	loginTimesMu sync.Mutex
	loginTimes   []time.Time // when each new login completed

	killedBOutput string // what replica B wrote before it was killed

	revoked []*revokedProbe // one per hub stop
}

// revokedProbe follows a token revoked through the hub's API just before
// a hub stop, at whoami-api, which had its answer cached: admitted while
// the hub is down (the trade HUBAUTH_STALE_IF_ERROR makes), it must be
// refused once the hub is back, and stay refused.
type revokedProbe struct {
	fault string
	token string
	// What whoami-api answered: right after the revocation (its answer
	// still within its age), and while the hub was down (until it was
	// started again).
	before, during map[int]int
	// refusedAfter is how long after the hub was back the token was
	// first refused; -1: not within the limit.
	refusedAfter time.Duration
	// admittedAfter counts 200s after that first refusal.
	admittedAfter int
}

type usageSample struct {
	at    time.Duration
	usage map[string]Usage
	load  float64 // the host's one-minute load average; -1: unknown
}

// TestSoak is `make soak`: a real hub, whoami-api and two whoami-oauth
// replicas run by the test, 64 connections of mixed callers for
// SOAK_SECONDS, the faults on their schedule, and the checks of issues 11
// and 16 (callers the services know ride out the hub's faults),
// written to SOAK.md with a plot. Any failed check fails the test.
func TestSoak(t *testing.T) {
	cfg, err := SoakFromEnv()
	require.NoError(t, err)
	r := &soakRig{t: t, cfg: cfg, metrics: map[string]string{}}
	r.setUp()
	r.run()
}

// binary is the command to soak: built from this checkout, or taken from
// SOAK_BIN_DIR (to soak a release build, or another branch's).
func (r *soakRig) binary(name string) string {
	if r.cfg.BinDir != "" {
		p := filepath.Join(r.cfg.BinDir, name)
		_, err := os.Stat(p)
		require.NoError(r.t, err, "SOAK_BIN_DIR")
		return p
	}
	return hubtest.Binary(r.t, name)
}

func (r *soakRig) setUp() {
	t := r.t
	apiBin, oauthBin := r.binary("whoami-api"), r.binary("whoami-oauth")

	apiPort, portA, portB := hubtest.FreePort(t), hubtest.FreePort(t), hubtest.FreePort(t)
	replicaA := fmt.Sprintf("http://127.0.0.1:%d", portA)
	replicaB := fmt.Sprintf("http://127.0.0.1:%d", portB)
	front, err := NewFront(replicaA, replicaB)
	require.NoError(t, err)
	frontSrv := httptest.NewServer(front)
	t.Cleanup(frontSrv.Close)
	r.front = front
	r.frontURL = frontSrv.URL + "/services/whoami-oauth/"
	callback := frontSrv.URL + "/services/whoami-oauth/oauth_callback"
	apiBase := fmt.Sprintf("http://127.0.0.1:%d", apiPort)
	r.apiURL = apiBase + "/services/whoami-api/"

	apiToken, oauthToken := hubtest.RandomToken(), hubtest.RandomToken()
	r.hub = hubtest.Start(t, hubtest.Options{
		Services: []hubtest.Service{
			{Name: "whoami-api", URL: apiBase, APIToken: apiToken},
			// The hub's proxy routes the service to the front, the one
			// address of both replicas.
			{Name: "whoami-oauth", URL: frontSrv.URL, APIToken: oauthToken,
				OAuthClientID: "service-whoami-oauth", OAuthRedirectURI: callback},
		},
		Roles: []hubtest.Role{{Name: "soak-users", Groups: []string{"soak"},
			Scopes: []string{"access:services!service=whoami-api", "access:services!service=whoami-oauth"}}},
		Groups: []string{"soak"},
	})

	var proxiedAPI string
	r.proxy, proxiedAPI = r.hub.StartFaultProxy(t)

	common := func(name, token, serviceURL string) []string {
		metricsAddr := fmt.Sprintf("127.0.0.1:%d", hubtest.FreePort(t))
		r.metrics[name] = "http://" + metricsAddr + "/metrics"
		return []string{
			"JUPYTERHUB_API_TOKEN=" + token,
			"JUPYTERHUB_API_URL=" + proxiedAPI,
			"JUPYTERHUB_SERVICE_URL=" + serviceURL,
			"HUBAUTH_HUB_TIMEOUT=" + hubTimeout.String(),
			"HUBAUTH_CACHE_MAX_AGE=" + cacheMaxAge,
			"HUBAUTH_CACHE_SIZE=" + strconv.Itoa(cacheSize),
			// HOOK: the ops listener another change adds; until the
			// services have it, nothing listens there and goroutines are
			// reported as not measured.
			"HUBAUTH_METRICS_LISTEN=" + metricsAddr,
		}
	}
	apiEnv := append(common("whoami-api", apiToken, apiBase),
		"JUPYTERHUB_SERVICE_NAME=whoami-api", "JUPYTERHUB_SERVICE_PREFIX=/services/whoami-api/")
	r.apiProc = hubtest.StartProcess(t, apiBin, apiEnv, fmt.Sprintf("127.0.0.1:%d", apiPort))
	oauthEnv := func(name, serviceURL string) []string {
		return append(common(name, oauthToken, serviceURL),
			"JUPYTERHUB_SERVICE_NAME=whoami-oauth",
			"JUPYTERHUB_SERVICE_PREFIX=/services/whoami-oauth/",
			"JUPYTERHUB_CLIENT_ID=service-whoami-oauth",
			"JUPYTERHUB_OAUTH_CALLBACK_URL="+callback,
			"JUPYTERHUB_HOST="+r.hub.URL)
	}
	r.replicaA = hubtest.StartProcess(t, oauthBin, oauthEnv("whoami-oauth A", replicaA), fmt.Sprintf("127.0.0.1:%d", portA))
	envB := oauthEnv("whoami-oauth B", replicaB)
	r.startB = func() *hubtest.Process {
		return hubtest.StartProcess(t, oauthBin, envB, fmt.Sprintf("127.0.0.1:%d", portB))
	}
	r.replicaB.Store(r.startB())

	// Users: the token holders, and the browsers' users.
	var all []string
	for i := range tokenUsers {
		r.users = append(r.users, fmt.Sprintf("soak-u%02d", i))
	}
	all = append(all, r.users...)
	for i := range browserConn {
		all = append(all, fmt.Sprintf("soak-b%02d", i))
	}
	require.Equal(t, http.StatusCreated, r.hub.API(t, "POST", "/users", map[string]any{"usernames": all}, nil))
	r.hub.AddToGroup(t, "soak", all...)
	for _, u := range r.users {
		r.tokens = append(r.tokens, r.hub.NewToken(t, u, nil))
	}

	// The browsers log in through the hub, four at a time.
	r.browsers = make([]*Browser, browserConn)
	var wg sync.WaitGroup
	errs := make([]error, browserConn)
	sem := make(chan struct{}, 4)
	for i := range browserConn {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			b := NewBrowser(all[tokenUsers+i], 1, hubPageLimit)
			h, err := b.Visit(r.frontURL, nil)
			if err == nil && (h.Status != 200 || modelName(h.Body) != b.User) {
				err = fmt.Errorf("login of %s ended at %s with %d: %.200s", b.User, h.URL, h.Status, h.Body)
			}
			if err == nil && b.Cookie(r.frontURL, "service-whoami-oauth") == "" {
				err = fmt.Errorf("%s has no login cookie", b.User)
			}
			if err != nil {
				err = fmt.Errorf("%w; hops: %s", err, b.HopSummary())
			}
			errs[i] = err
			r.browsers[i] = b
		}()
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
}

// schedule is when the faults happen, scaled to the run: the issue's
// 20 s hub stops, one minute of a slow hub and a replica killed, for a
// ten-minute run, and shorter ones (with floors) for shorter runs.
type schedule struct {
	warmUp, stop, slow, replicaDown time.Duration
	at                              [4]time.Duration // hub stop, slow, replica, hub stop
}

func scheduleFor(d time.Duration) schedule {
	scaled := func(full, floor time.Duration) time.Duration {
		return max(floor, time.Duration(float64(full)*d.Seconds()/600))
	}
	warmUp := max(15*time.Second, d/10)
	frac := func(f float64) time.Duration { return warmUp + time.Duration(f*float64(d-warmUp)) }
	return schedule{
		warmUp:      warmUp,
		stop:        scaled(20*time.Second, 4*time.Second),
		slow:        scaled(60*time.Second, 6*time.Second),
		replicaDown: scaled(10*time.Second, 3*time.Second),
		at:          [4]time.Duration{frac(0.05), frac(0.3), frac(0.5), frac(0.7)},
	}
}

func (r *soakRig) run() {
	t := r.t
	sch := scheduleFor(r.cfg.Duration)
	r.rec = NewRecorder(time.Now())
	for _, b := range r.browsers {
		r.rec.AddBrowser(b.User)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	start := func(n int, work func(ctx context.Context, i int)) {
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				work(ctx, i)
			}()
		}
	}
	start(tokenConns, r.tokenCaller)
	start(browserConn, r.browserCaller)
	start(freshConns, r.freshCaller)
	start(junkConns, r.junkCaller)
	start(loginConns, r.loginCaller)
	sampleCtx, stopSampling := context.WithCancel(context.Background())
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		r.sample(sampleCtx)
	}()

	since := func() time.Duration { return time.Since(r.rec.T0) }
	sleepUntil := func(at time.Duration) {
		if d := at - since(); d > 0 {
			time.Sleep(d)
		}
	}
	var lastEnd time.Duration
	next := func(planned time.Duration) {
		sleepUntil(max(planned, lastEnd+RecoveryGrace+time.Second))
	}
	faultDone := func(f *Fault) {
		r.rec.EndFault(f)
		lastEnd = since()
		t.Logf("%6.1fs  %s: over", lastEnd.Seconds(), f.Name)
	}
	stopHub := func(name string) {
		probe := r.revokeToken(name)
		f := r.rec.BeginFault(name)
		t.Logf("%6.1fs  %s", since().Seconds(), name)
		r.hub.Stop(t)
		stopProbing := r.probeRevoked(probe)
		time.Sleep(sch.stop)
		stopProbing()
		r.hub.Restart(t)
		faultDone(f)
		r.refusedOnceBack(probe)
	}

	next(sch.at[0])
	stopHub(fmt.Sprintf("hub stopped %ds (1)", int(sch.stop.Seconds())))

	next(sch.at[1])
	f := r.rec.BeginFault(fmt.Sprintf("hub API slowed to %s a call", slowDelay))
	t.Logf("%6.1fs  %s", since().Seconds(), f.Name)
	r.proxy.SetDelay(slowDelay)
	time.Sleep(sch.slow)
	r.proxy.SetDelay(0)
	faultDone(f)

	next(sch.at[2])
	f = r.rec.BeginFault("replica B killed (SIGKILL)")
	t.Logf("%6.1fs  %s", since().Seconds(), f.Name)
	b := r.replicaB.Load()
	require.NoError(t, syscall.Kill(b.Pid(), syscall.SIGKILL))
	for b.Running() {
		time.Sleep(10 * time.Millisecond)
	}
	r.killedBOutput = b.Output()
	time.Sleep(sch.replicaDown)
	_, cookiesB0 := r.front.Served(1)
	r.replicaB.Store(r.startB())
	faultDone(f)

	next(sch.at[3])
	stopHub(fmt.Sprintf("hub stopped %ds (2)", int(sch.stop.Seconds())))

	end := max(r.cfg.Duration, lastEnd+max(2*RecoveryGrace, r.cfg.Duration/10))
	sleepUntil(end)
	loadEnd := since() // measured up to here, before the callers hang up
	cancel()
	wg.Wait()
	stopSampling()
	<-sampled
	t.Logf("%6.1fs  load stopped", since().Seconds())
	_, cookiesB1 := r.front.Served(1)

	r.report(sch, loadEnd, cookiesB1-cookiesB0)
}

// pace sleeps so that a loop runs at most rate times a second (0: no
// limit); it returns false when ctx is done.
func pace(ctx context.Context, next *time.Time, every time.Duration) bool {
	if every <= 0 {
		return ctx.Err() == nil
	}
	*next = next.Add(every)
	d := time.Until(*next)
	if d < -time.Second { // fell behind: do not burst to catch up
		*next = time.Now()
	}
	if d <= 0 {
		return ctx.Err() == nil
	}
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

func (r *soakRig) busyEvery() time.Duration {
	if r.cfg.Rate == 0 {
		return 0
	}
	return time.Second / time.Duration(r.cfg.Rate)
}

// call sends one GET with an Authorization token (when token is not
// empty) and returns the answer.
func call(ctx context.Context, c *http.Client, u, token string) (Answer, string) {
	a := Answer{Start: time.Now()}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if token != "" {
		req.Header.Set("Authorization", "token "+token)
	}
	resp, err := c.Do(req)
	var body []byte
	if err == nil {
		body, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		a.Status = resp.StatusCode
	}
	a.Latency = time.Since(a.Start)
	a.Err = err
	return a, string(body)
}

// judgeModel marks a as good when it is a 200 naming want, and as naming
// the wrong user when it is a 200 naming anyone else.
func judgeModel(a *Answer, body, want string) {
	if a.Err != nil || a.Status != http.StatusOK {
		return
	}
	got := modelName(body)
	if got == want {
		a.Good = true
		return
	}
	a.WrongUser = true
	a.Detail += fmt.Sprintf(": answered for %q, sent by %q", got, want)
}

func (r *soakRig) tokenCaller(ctx context.Context, i int) {
	c := &http.Client{Transport: LoopbackTransport(1), Timeout: hangLimit}
	defer c.CloseIdleConnections()
	rng := rand.New(rand.NewPCG(uint64(i), 1))
	next := time.Now()
	for pace(ctx, &next, r.busyEvery()) {
		k := rng.IntN(len(r.tokens))
		a, body := call(ctx, c, r.apiURL, r.tokens[k])
		if ctx.Err() != nil {
			return
		}
		a.Class, a.Detail, a.Known = "cached token", "GET whoami-api with "+r.users[k]+"'s token", true
		judgeModel(&a, body, r.users[k])
		r.rec.Record(a)
	}
}

func (r *soakRig) browserCaller(ctx context.Context, i int) {
	b := r.browsers[i]
	defer b.CloseIdle()
	next := time.Now()
	for pace(ctx, &next, r.busyEvery()) {
		h := b.Get(r.frontURL)
		if ctx.Err() != nil {
			return
		}
		a := Answer{Class: "logged-in browser", Known: true, Browser: b.User, Start: h.Start, Latency: h.Latency,
			Status: h.Status, Err: h.Err, Detail: "GET whoami-oauth with " + b.User + "'s login cookie"}
		if h.Err == nil && h.Status >= 300 && h.Status < 400 {
			a.LostLogin = true
			a.Detail += ": sent to log in again (" + h.Header.Get("Location") + ")"
		}
		judgeModel(&a, h.Body, b.User)
		r.rec.Record(a)
	}
}

// adminClient creates tokens through the hub's REST API (not through the
// fault proxy: it is the hub's own API, not a service's call).
var adminClient = &http.Client{Transport: LoopbackTransport(8), Timeout: hubPageLimit}

func (r *soakRig) newToken(ctx context.Context, user string) (string, Answer) {
	a := Answer{Class: "token creation (hub REST API)", Start: time.Now(), HubPage: true,
		Detail: "POST /users/" + user + "/tokens"}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, r.hub.APIURL+"/users/"+user+"/tokens",
		strings.NewReader(`{"note": "soak"}`))
	req.Header.Set("Authorization", "token "+r.hub.AdminToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := adminClient.Do(req)
	var answer struct {
		Token string `json:"token"`
	}
	if err == nil {
		a.Status = resp.StatusCode
		err = json.NewDecoder(resp.Body).Decode(&answer)
		resp.Body.Close()
	}
	a.Latency, a.Err = time.Since(a.Start), err
	a.Good = err == nil && a.Status == http.StatusCreated && answer.Token != ""
	return answer.Token, a
}

func (r *soakRig) freshCaller(ctx context.Context, i int) {
	c := &http.Client{Transport: LoopbackTransport(1), Timeout: hangLimit}
	defer c.CloseIdleConnections()
	rng := rand.New(rand.NewPCG(uint64(i), 2))
	next := time.Now()
	for pace(ctx, &next, 500*time.Millisecond) {
		k := rng.IntN(len(r.users))
		token, a := r.newToken(ctx, r.users[k])
		if ctx.Err() != nil {
			return
		}
		r.rec.Record(a)
		if !a.Good {
			continue
		}
		r.fresh.Add(1)
		// Used at once, a few times, at both services.
		for j, u := range []string{r.apiURL, r.apiURL, r.frontURL, r.apiURL} {
			a, body := call(ctx, c, u, token)
			if ctx.Err() != nil {
				return
			}
			a.Class = "fresh token"
			a.Detail = fmt.Sprintf("GET %s with a new token of %s (use %d)", u, r.users[k], j+1)
			judgeModel(&a, body, r.users[k])
			r.rec.Record(a)
		}
	}
}

func (r *soakRig) junkCaller(ctx context.Context, i int) {
	c := &http.Client{Transport: LoopbackTransport(1), Timeout: hangLimit}
	defer c.CloseIdleConnections()
	next := time.Now()
	for pace(ctx, &next, 100*time.Millisecond) {
		u := r.apiURL
		if i%3 == 2 {
			u = r.frontURL
		}
		a, _ := call(ctx, c, u, hubtest.RandomToken())
		if ctx.Err() != nil {
			return
		}
		a.Class, a.Detail = "junk token", "GET "+u+" with a token the hub never issued"
		a.Good = a.Err == nil && a.Status == http.StatusForbidden
		r.rec.Record(a)
	}
}

// loginCaller completes a new OAuth login every 2 s: a new browser, the
// hub's login form, the authorize page, the service's callback.
func (r *soakRig) loginCaller(ctx context.Context, i int) {
	rng := rand.New(rand.NewPCG(uint64(i), 3))
	front, _ := url.Parse(r.frontURL)
	limit := func(u string) time.Duration {
		switch {
		case strings.Contains(u, "/oauth_callback"):
			return callbackLimit
		case strings.HasPrefix(u, "http://"+front.Host+"/"):
			return hangLimit
		}
		return hubPageLimit
	}
	next := time.Now()
	for n := 0; pace(ctx, &next, 2*time.Second); n++ {
		user := r.users[rng.IntN(len(r.users))]
		b := NewBrowser(user, 1, hubPageLimit)
		start := time.Now()
		target := fmt.Sprintf("%spage-%d-%d?x=1", r.frontURL, i, n)
		h, err := b.Visit(target, limit)
		b.CloseIdle()
		if ctx.Err() != nil {
			return
		}
		a := Answer{Class: "new OAuth login", Start: start, Latency: time.Since(start), Status: h.Status, Err: err, Steps: len(b.Hops),
			Detail: fmt.Sprintf("login of %s, last at %s", user, withoutQuery(h.URL))}
		a.HubPage = !strings.HasPrefix(h.URL, "http://"+front.Host+"/")
		if err == nil && h.URL != target {
			a.Detail += " (not where the login started)"
		} else {
			judgeModel(&a, h.Body, user)
		}
		if a.Good {
			r.logins.Add(1)
			r.loginTimesMu.Lock()
			r.loginTimes = append(r.loginTimes, time.Now())
			r.loginTimesMu.Unlock()
		}
		r.rec.Record(a)
	}
}

// revokeToken issues a token, has whoami-api cache its answer, and
// revokes it through the hub's API, just before the hub stops.
func (r *soakRig) revokeToken(fault string) *revokedProbe {
	t := r.t
	p := &revokedProbe{fault: fault, before: map[int]int{}, during: map[int]int{}, refusedAfter: -1}
	user := r.users[0]
	var answer struct {
		Token string `json:"token"`
		ID    string `json:"id"`
	}
	require.Equal(t, http.StatusCreated, r.hub.API(t, "POST", "/users/"+user+"/tokens", map[string]any{"note": "soak: revoked"}, &answer))
	p.token = answer.Token
	a, body := call(context.Background(), adminClient, r.apiURL, p.token)
	require.Equal(t, http.StatusOK, a.Status, "the token to revoke, before: %s", body)
	require.Equal(t, http.StatusNoContent, r.hub.API(t, "DELETE", "/users/"+user+"/tokens/"+answer.ID, nil, nil))
	a, _ = call(context.Background(), adminClient, r.apiURL, p.token)
	p.before[a.Status]++
	return p
}

// probeRevoked calls whoami-api with the revoked token twice a second
// until the returned func is called.
func (r *soakRig) probeRevoked(p *revokedProbe) (stop func()) {
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		for {
			a, _ := call(context.Background(), adminClient, r.apiURL, p.token)
			p.during[a.Status]++
			select {
			case <-done:
				return
			case <-time.After(500 * time.Millisecond):
			}
		}
	}()
	return func() {
		close(done)
		<-stopped
	}
}

// refusedOnceBack calls whoami-api with the revoked token, the hub back,
// until it is refused (for at most 10 s), and a few times more.
func (r *soakRig) refusedOnceBack(p *revokedProbe) {
	r.revoked = append(r.revoked, p)
	back := time.Now()
	for time.Since(back) < 10*time.Second {
		a, _ := call(context.Background(), adminClient, r.apiURL, p.token)
		if a.Status == http.StatusForbidden {
			p.refusedAfter = time.Since(back)
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if p.refusedAfter < 0 {
		return
	}
	for range 5 {
		time.Sleep(200 * time.Millisecond)
		if a, _ := call(context.Background(), adminClient, r.apiURL, p.token); a.Status == http.StatusOK {
			p.admittedAfter++
		}
	}
}

// withoutQuery drops a URL's query, which may hold a login code or state.
func withoutQuery(u string) string {
	u, _, _ = strings.Cut(u, "?")
	return u
}

// sample reads the services' usage once a second.
func (r *soakRig) sample(ctx context.Context) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		s := usageSample{at: time.Since(r.rec.T0), usage: map[string]Usage{}, load: -1}
		if l, ok := loadAverage(); ok {
			s.load = l
		}
		for name, p := range map[string]*hubtest.Process{
			"whoami-api": r.apiProc, "whoami-oauth A": r.replicaA, "whoami-oauth B": r.replicaB.Load(),
		} {
			if !p.Running() {
				if name == "whoami-oauth A" {
					r.exitedA = true
				}
				continue
			}
			if u, err := ReadUsage(p.Pid(), r.metrics[name]); err == nil {
				s.usage[name] = u
			}
		}
		r.samplesMu.Lock()
		r.samples = append(r.samples, s)
		r.samplesMu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
