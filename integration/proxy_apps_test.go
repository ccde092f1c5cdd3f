package integration

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/hubauth-go/whoami/internal/hubtest"
)

// appCase is one of the apps people put behind a hub, as a person uses it
// in Chromium: state tells how far the page has got ("" while it loads,
// "ready" once it is drawn and the test has acted, "done" once the app's
// answer to that shows), and acts (clicks, types) when act is true.
type appCase struct {
	name  string
	state string // JavaScript: a function of (act bool) returning the state
}

var proxyApps = []appCase{
	{"streamlit", `(act) => {
		const h1 = [...document.querySelectorAll("h1")].find(e => e.textContent.includes("ada's Streamlit app"));
		const button = [...document.querySelectorAll("button")].find(e => e.textContent.trim() === "Click me");
		if (!h1 || !button) return "";
		if (/(^|\s)1 click(\s|$)/.test(document.body.innerText)) return "done";
		if (act) button.click();
		return "ready";
	}`},
	{"dash", `(act) => {
		const h1 = document.querySelector("#title");
		const button = document.querySelector("#button");
		if (!h1 || !button || h1.textContent !== "ada's Dash app") return "";
		if ((document.querySelector("#clicks") || {}).textContent === "1 click") return "done";
		if (act) button.click();
		return "ready";
	}`},
	{"gradio", `(act) => {
		const name = document.querySelector("#name textarea, #name input");
		const out = document.querySelector("#greeting textarea, #greeting input");
		const button = document.querySelector("button#greet, #greet button, #greet");
		if (!name || !out || !button) return "";
		if (out.value === "Hello Grace, from ada's Gradio app!") return "done";
		if (act) {
			name.value = "Grace";
			name.dispatchEvent(new Event("input", {bubbles: true}));
			button.click();
		}
		return "ready";
	}`},
}

// appsInstalled skips (or, under make test, fails) without the apps.
func appsInstalled(t *testing.T) {
	t.Helper()
	for _, bin := range []string{"streamlit", "gradio", "python"} {
		p := filepath.Join(hubtest.RepoRoot(), ".venv-apps", "bin", bin)
		if _, err := os.Stat(p); err != nil {
			hubtest.SkipOrFail(t, fmt.Sprintf("the app tests need %s: run `make apps`", p))
		}
	}
}

// Streamlit, Dash and Gradio, from PyPI and unmodified, behind hubauth-proxy
// with only their own base-path settings, each as a hub-managed service and
// as a user's (named) server: a person logs in through the hub's form in
// Chromium, the page renders (module scripts, CSS, fonts, and for
// Streamlit a websocket, all fetched with the login cookie), and an
// interaction changes what the app shows (a click through Streamlit's
// websocket, a Dash callback POST, Gradio's queue). Then a page of
// another origin on the same site, whose requests carry the login cookie,
// tries a POST and a websocket: the proxy refuses both.
func TestProxyAppsInChromium(t *testing.T) {
	hubtest.OnlyOn(t, "6.1", "Streamlit, Dash and Gradio behind the proxy: the hub's release changes nothing the apps or the browser see")
	appsInstalled(t)
	chromium := requireChromium(t)
	bin := hubtest.Binary(t, "hubauth-proxy")
	ports := []string{fmt.Sprint(hubtest.FreePort(t)), fmt.Sprint(hubtest.FreePort(t)), fmt.Sprint(hubtest.FreePort(t))}
	hub := hubtest.Start(t, hubtest.Options{
		ConfigFiles: []string{filepath.Join(hubtest.RepoRoot(), "examples", "proxy-apps", "jupyterhub_config.py")},
		Env:         []string{"PROXY_BIN_DIR=" + filepath.Dir(bin), "APPS_PORTS=" + strings.Join(ports, ",")},
		Roles:       []hubtest.Role{{Name: "rig-servers", Scopes: []string{"servers", "read:servers"}, Services: []string{"hubtest-admin"}}},
	})
	hub.CreateUser(t, "ada")
	for _, app := range proxyApps {
		status := hub.API(t, "POST", "/users/ada/servers/"+app.name, nil, nil)
		require.Contains(t, []int{201, 202}, status, "start ada's %s server", app.name)
	}
	require.Eventually(t, func() bool {
		servers := userServers(t, hub, "ada").Servers
		for _, app := range proxyApps {
			if s, ok := servers[app.name]; !ok || !s.Ready {
				return false
			}
		}
		return true
	}, 150*time.Second, time.Second, "ada's three servers become ready\nhub log:\n%s", hub.LogTail())

	ctx := startChromiumFor(t, chromium, 5*time.Minute) // six apps, one browser
	var consoleMu sync.Mutex
	var console []string
	require.NoError(t, chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*log.EventEntryAdded); ok {
			consoleMu.Lock()
			console = append(console, e.Entry.Text)
			consoleMu.Unlock()
		}
	}))
	_, err := chromedp.Call(ctx, log.Enable, cdp.Empty{})
	require.NoError(t, err)
	require.NoError(t, chromiumLogin(ctx, hub.URL+"/hub/login", "ada"), "log in on the hub's form")
	require.NoError(t, waitFor(ctx, `location.pathname.startsWith("/hub/") && !location.pathname.startsWith("/hub/login")`, 30*time.Second),
		"logged in at the hub")

	other := otherOriginPage(t)
	for _, app := range proxyApps {
		for _, prefix := range []string{"/services/" + app.name + "/", "/user/ada/" + app.name + "/"} {
			t.Run(app.name+" at "+prefix, func(t *testing.T) {
				target := hub.URL + prefix
				require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(target)))
				state := driveApp(t, ctx, app, 60*time.Second)
				if state != "done" {
					loc, _ := chromedp.Run(ctx, chromedp.Location())
					text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText.slice(0, 2000) : ""`))
					consoleMu.Lock()
					defer consoleMu.Unlock()
					t.Fatalf("%s at %s reached %q, not done (at %s)\npage: %s\nconsole: %s\nhub log:\n%s",
						app.name, prefix, state, loc, text, strings.Join(console, "\n"), hub.LogTail())
				}

				// Another origin of the same site (another port on
				// 127.0.0.1): the browser sends the login cookie with its
				// requests, and the proxy must refuse them.
				post := prefix + "cross-origin-post-" + app.name
				ws := prefix + "cross-origin-ws-" + app.name
				page := fmt.Sprintf("%s/?post=%s&ws=%s", other, hub.URL+post, strings.Replace(hub.URL, "http:", "ws:", 1)+ws)
				require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(page)))
				var got string
				require.NoError(t, waitValue(ctx, `window.results && window.results.post && window.results.ws ? JSON.stringify(window.results) : ""`, 20*time.Second, &got))
				require.Contains(t, got, `"ws":"error"`, "the cross-origin websocket did not open")
				require.Eventually(t, func() bool {
					l := hub.Log()
					return refusedCrossOrigin(l, "POST", post) && refusedCrossOrigin(l, "GET", ws)
				}, 10*time.Second, 200*time.Millisecond, "the proxy refused the POST and the websocket as cross-origin, with the login cookie")
			})
		}
	}
}

// refusedCrossOrigin reports whether the log has the proxy's refusal of
// method path as a cross-origin request: the browser sent the login
// cookie (else it would be "not logged in") and the proxy said no.
func refusedCrossOrigin(log, method, path string) bool {
	return regexp.MustCompile(`method=` + method + ` path=` + regexp.QuoteMeta(path) + ` reason="cross-origin request refused`).MatchString(log)
}

// driveApp polls the app's state, acting once it is ready, until it is
// done or limit passes; it returns the last state.
func driveApp(t *testing.T, ctx context.Context, app appCase, limit time.Duration) string {
	t.Helper()
	state, acted := "", false
	for deadline := time.Now().Add(limit); time.Now().Before(deadline) && state != "done"; time.Sleep(250 * time.Millisecond) {
		act := state == "ready" && !acted
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf("(%s)(%t)", app.state, act)))
		if err != nil {
			continue // the page is being replaced
		}
		if act && s == "ready" {
			acted = true
		}
		state = s
	}
	return state
}

// waitFor polls a JavaScript condition until it is true or limit passes.
func waitFor(ctx context.Context, cond string, limit time.Duration) error {
	var ok bool
	return waitValue(ctx, cond, limit, &ok)
}

// waitValue polls a JavaScript expression until it gives a value that is
// not the zero value, into out.
func waitValue[T comparable](ctx context.Context, expr string, limit time.Duration, out *T) error {
	var zero T
	var last error
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
		if err == nil && v != zero {
			*out = v
			return nil
		}
		last = err
	}
	return fmt.Errorf("%s: no value after %s (%v)", expr, limit, last)
}

// otherOriginPage serves a page at another origin of the same site (a
// port of its own on 127.0.0.1), which sends a POST with credentials to
// ?post= and opens a websocket to ?ws=, and records in window.results
// what came of each: the requests a hostile page on a neighbouring port
// could make with the user's login cookie.
func otherOriginPage(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<!doctype html><html><body><h1>another origin</h1><script>
const q = new URLSearchParams(location.search);
window.results = {};
fetch(q.get("post"), {method: "POST", mode: "no-cors", credentials: "include", body: "action=delete"})
	.then(() => { window.results.post = "sent"; }, () => { window.results.post = "failed"; });
const ws = new WebSocket(q.get("ws"));
ws.onopen = () => { window.results.ws = "open"; };
ws.onerror = () => { window.results.ws = "error"; };
</script></body></html>`)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
