package integration

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hubauth-go/whoami/internal/hubtest"
)

// What callers see while the hub fails, with services run beside a real
// hub that is stopped, restarted and slowed: callers a service knows keep
// their answers (tokens and logged-in browsers alike), a token the hub
// refuses is out under every hub session at once, and the outage is
// logged twice, not once per request.
func TestHubOutages(t *testing.T) {
	var slowHub *hubtest.FaultProxy
	slowOps := fmt.Sprintf("127.0.0.1:%d", hubtest.FreePort(t))
	hub, svcs := startServices(t, []svcSpec{
		// Answers last 2 s, so a stop outlasts them many times over.
		{name: "app", env: map[string]string{"HUBAUTH_CACHE_MAX_AGE": "2", "HUBAUTH_HUB_TIMEOUT": "3"}},
		// The same, with stale answers used for 8 s past their age only.
		{name: "short", env: map[string]string{"HUBAUTH_CACHE_MAX_AGE": "2", "HUBAUTH_HUB_TIMEOUT": "3", "HUBAUTH_STALE_IF_ERROR": "8"}},
		// Answers that last long, to see a revocation before they end.
		{name: "long", env: map[string]string{"HUBAUTH_CACHE_MAX_AGE": "60"}},
		// Calling the hub through a proxy that can make it slow; answers
		// are refreshed in the last 2 s of their 4.
		{name: "slow", env: map[string]string{"HUBAUTH_CACHE_MAX_AGE": "4", "HUBAUTH_HUB_TIMEOUT": "5", "HUBAUTH_METRICS_LISTEN": slowOps},
			api: func(h *hubtest.Hub) string {
				p, apiURL := h.StartFaultProxy(t)
				slowHub = p
				return apiURL
			}},
	}, "")
	hub.CreateUser(t, "ada")
	at := func(name string) string { return svcs[name].direct + "/services/" + name + "/" }

	t.Run("a token revoked through the hub's API is out under every session at once", func(t *testing.T) {
		token, id := newTokenWithID(t, hub, "ada")
		for _, session := range []string{"", "session-1", "session-2"} {
			r := getInSession(t, at("long"), token, session)
			require.Equal(t, 200, r.status, "session %q: %s", session, r.body)
		}
		r := get(t, at("app"), "token "+token)
		require.Equal(t, 200, r.status, r.body)
		cached := time.Now()

		require.Equal(t, http.StatusNoContent, hub.API(t, "DELETE", "/users/ada/tokens/"+id, nil, nil))
		// In a session the service never saw, the hub is asked, and refuses.
		requireJSONError(t, getInSession(t, at("long"), token, "session-3"), 403, "does not accept this token")
		// Every other session's answer (60 s of age left) is refused with it.
		for _, session := range []string{"", "session-1", "session-2"} {
			requireJSONError(t, getInSession(t, at("long"), token, session), 403, "does not accept this token")
		}
		// Where nothing asked the hub, within the answer's age (2 s).
		for get(t, at("app"), "token "+token).status != 403 {
			require.Less(t, time.Since(cached), 2*time.Second+3*time.Second, "still admitted well past the cache's max age")
			time.Sleep(100 * time.Millisecond)
		}
	})

	t.Run("a slow hub is not in a cached caller's latency", func(t *testing.T) {
		const delay = 2 * time.Second
		token, fresh := hub.NewToken(t, "ada", nil), hub.NewToken(t, "ada", nil)
		before := scrape(t, "http://"+slowOps+"/metrics")
		r := get(t, at("slow"), "token "+token)
		require.Equal(t, 200, r.status, r.body)
		// From here on the caller comes back every 100 ms, well within
		// its answer's age.
		slowHub.SetDelay(delay)
		defer slowHub.SetDelay(0)

		// Meanwhile, a token the service never saw waits for the slow hub.
		freshTook := make(chan time.Duration, 1)
		go func() {
			start := time.Now()
			r, err := client.Do(mustRequest(t, at("slow"), "token "+fresh))
			if err == nil {
				r.Body.Close()
			}
			freshTook <- time.Since(start)
		}()

		var slowest time.Duration
		for start := time.Now(); time.Since(start) < 10*time.Second; time.Sleep(100 * time.Millisecond) {
			began := time.Now()
			r := get(t, at("slow"), "token "+token)
			slowest = max(slowest, time.Since(began))
			require.Equal(t, 200, r.status, r.body)
			require.Contains(t, r.body, `"name": "ada"`)
		}
		require.GreaterOrEqual(t, <-freshTook, delay, "the hub really was slow")
		t.Logf("slowest cached answer with the hub at %s a call: %s", delay, slowest)
		require.Less(t, slowest, delay/2, "the cached caller never waited for the hub")
		after := scrape(t, "http://"+slowOps+"/metrics")
		refreshed := moved(before, after, `hubauth_cache_refreshes_total{result="answered"}`)[`hubauth_cache_refreshes_total{result="answered"}`]
		require.GreaterOrEqual(t, refreshed, 2.0, "the answer was checked with the hub again, in the background, several times")
	})

	t.Run("known callers ride out a hub stop; fresh tokens get 503", func(t *testing.T) {
		token := hub.NewToken(t, "ada", nil)
		fresh := hub.NewToken(t, "ada", nil) // not used before the stop
		junk := hubtest.RandomToken()
		b := newBrowser(t, "ada")
		requireModel(t, b.visit(svcs["app"].url), "ada") // logs in through the hub
		requireModel(t, b.get(at("app")), "ada")
		require.Equal(t, 200, get(t, at("app"), "token "+token).status)
		requireJSONError(t, get(t, at("app"), "token "+junk), 403, "does not accept this token")
		require.Equal(t, 200, get(t, at("short"), "token "+token).status)
		cachedShort := time.Now() // its answer's age ends 2 s later, its stale window 8 s after that

		hub.Stop(t)
		stopped := time.Now()
		var stale, failedFresh int
		const margin = 1500 * time.Millisecond // for a loaded machine
		for time.Since(stopped) < 7*time.Second || time.Since(cachedShort) < 2*time.Second+8*time.Second+margin+time.Second {
			r := get(t, at("app"), "token "+token)
			require.Equal(t, 200, r.status, "a cached token, %s into the stop: %s", time.Since(stopped), r.body)
			requireModel(t, b.get(at("app")), "ada")
			requireJSONError(t, get(t, at("app"), "token "+junk), 403, "does not accept this token")
			requireJSONError(t, get(t, at("app"), "token "+fresh), 503, "cannot reach JupyterHub API at "+hub.APIURL)
			failedFresh++

			since := time.Since(cachedShort)
			r = get(t, at("short"), "token "+token)
			switch {
			case since > 2*time.Second+8*time.Second+margin:
				requireJSONError(t, r, 503, "cannot reach JupyterHub API")
			case since < 2*time.Second+8*time.Second-margin:
				require.Equal(t, 200, r.status, "%s after it was cached: %s", since, r.body)
				if since > 2*time.Second+margin {
					stale++
				}
			}
			time.Sleep(250 * time.Millisecond)
		}
		require.Positive(t, stale, "the short window was seen open past the answer's age")

		hub.Restart(t)
		require.Equal(t, 200, get(t, at("app"), "token "+fresh).status, "fresh tokens work again")
		requireModel(t, b.get(at("app")), "ada")
		require.Equal(t, 200, get(t, at("short"), "token "+token).status)

		// The outage in the log: one line when it started, one when the
		// hub had answered for 5 s, with the summary; nothing per request.
		app := svcs["app"].proc
		require.Eventually(t, func() bool {
			_ = get(t, at("app"), "token "+hub.NewToken(t, "ada", nil)) // a call to the hub
			return strings.Contains(app.Output(), "JupyterHub API answers again")
		}, 30*time.Second, time.Second, "the end of the outage is logged")
		out := app.Output()
		require.Equal(t, 1, strings.Count(out, "JupyterHub API failing"), out)
		require.Equal(t, 1, strings.Count(out, "JupyterHub API answers again"), out)
		require.Contains(t, out, "error=\"cannot reach JupyterHub API at "+hub.APIURL)
		end := out[strings.Index(out, "JupyterHub API answers again"):]
		end = end[:strings.IndexByte(end, '\n')]
		require.Contains(t, end, fmt.Sprintf("failed_requests=503×%d ", failedFresh), "every fresh token's 503, counted: %s", end)
		m := regexp.MustCompile(`stale_answers=(\d+)`).FindStringSubmatch(end)
		require.NotNil(t, m, end)
		n, _ := strconv.Atoi(m[1])
		require.GreaterOrEqual(t, n, 2*failedFresh, "the cached token's and the browser's answers past their age: %s", end)
		for _, secret := range []string{token, fresh, junk} {
			require.NotContains(t, out, secret, "tokens never appear in logs")
		}
	})
}

// newTokenWithID issues a token for user and returns it with its id, by
// which the hub's API revokes it.
func newTokenWithID(t *testing.T, hub *hubtest.Hub, user string) (token, id string) {
	t.Helper()
	var answer struct {
		Token string `json:"token"`
		ID    string `json:"id"`
	}
	require.Equal(t, http.StatusCreated, hub.API(t, "POST", "/users/"+user+"/tokens", map[string]any{"note": "revoked"}, &answer))
	require.NotEmpty(t, answer.ID)
	return answer.Token, answer.ID
}

// mustRequest is a GET of url with the Authorization header value.
func mustRequest(t *testing.T, url, authorization string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", authorization)
	return req
}

// getInSession is get with a token header and, unless session is "", the
// hub's session cookie, which is part of the service's cache key.
func getInSession(t *testing.T, url, token, session string) response {
	t.Helper()
	req := mustRequest(t, url, "token "+token)
	if session != "" {
		req.AddCookie(&http.Cookie{Name: "jupyterhub-session-id", Value: session})
	}
	return send(t, req)
}
