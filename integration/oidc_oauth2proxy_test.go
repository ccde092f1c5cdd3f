package integration

import (
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/hubauth-go/whoami/internal/hubtest"
)

// oauth2ProxyPath is the oauth2-proxy `make apps` builds from its Go
// module: $OAUTH2_PROXY (make test sets it), else the one in .tools/.
func oauth2ProxyPath(t *testing.T) string {
	t.Helper()
	path := os.Getenv("OAUTH2_PROXY")
	if path == "" {
		found, _ := filepath.Glob(filepath.Join(hubtest.RepoRoot(), ".tools", "oauth2-proxy-*", "oauth2-proxy"))
		if len(found) > 0 {
			path = found[len(found)-1]
		}
	}
	if _, err := os.Stat(path); path == "" || err != nil {
		hubtest.SkipOrFail(t, "the test needs oauth2-proxy, which is not built: run `make apps` (make test does)")
	}
	return path
}

// identityApp is the app behind oauth2-proxy: a page that shows who
// oauth2-proxy says is calling.
func identityApp(t *testing.T) *httptest.Server {
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!doctype html><title>the app</title><pre>user=%s\ngroups=%s\nemail=%s\n</pre>",
			html.EscapeString(r.Header.Get("X-Forwarded-User")), html.EscapeString(r.Header.Get("X-Forwarded-Groups")),
			html.EscapeString(r.Header.Get("X-Forwarded-Email")))
	}))
	t.Cleanup(app.Close)
	return app
}

// oauth2ProxyState tells where the browser is: "app" on the app's page
// behind oauth2-proxy, "authorize" on the hub's authorize page with its
// button, "login" on the hub's login form, "" on the way.
const oauth2ProxyState = `(() => {
	const text = document.body ? document.body.innerText : "";
	if (location.origin === %q && text.includes("user=")) return "app";
	if (document.readyState !== "complete") return "";
	if (location.pathname.endsWith("/oauth2/authorize") && document.querySelector(%q)) return "authorize";
	if (location.pathname.endsWith("/hub/login") && document.querySelector("#username_input")) return "login";
	return "";
})()`

// oauth2-proxy, built from its Go module, protects an app with the hub's
// users: configured by examples/oidc/oauth2-proxy.cfg (--provider=oidc and
// the issuer), it finds everything else in discovery. A person in Chromium opens the app, logs
// in on the hub's form, approves, and sees the app with their name,
// groups and email; then logs out through the provider's end-session
// endpoint and is back at the hub's login. Against one hub release:
// oauth2-proxy sees only the provider, which the release does not change.
func TestOIDCOAuth2ProxyInChromium(t *testing.T) {
	hubtest.Require(t)
	hubtest.OnlyOn(t, "6.1", "oauth2-proxy talks to hubauth-oidc only; the go-oidc tests cover every release")
	chromium := requireChromium(t)
	bin := oauth2ProxyPath(t)

	app := identityApp(t)
	proxyAddr := fmt.Sprintf("127.0.0.1:%d", hubtest.FreePort(t))
	proxyURL := "http://" + proxyAddr
	secret := hubtest.RandomToken()
	hub, issuer := oidcHub(t, map[string]string{"HUBAUTH_OIDC_EMAIL_TEMPLATE": "{name}@hub.test"}, oidcClient{
		ID: "oauth2-proxy", Secret: secret,
		RedirectURIs:           []string{proxyURL + "/oauth2/callback"},
		PostLogoutRedirectURIs: []string{proxyURL + "/oauth2/sign_out"},
	})
	hub.CreateUser(t, "ada")
	hub.AddToGroup(t, "staff", "ada")
	// examples/oidc/oauth2-proxy.cfg, with this test's addresses and
	// secrets on the command line (flags win over the file).
	hubtest.StartProcess(t, bin, nil, proxyAddr,
		"--config="+filepath.Join(hubtest.RepoRoot(), "examples", "oidc", "oauth2-proxy.cfg"),
		"--oidc-issuer-url="+issuer,
		"--client-secret="+secret,
		"--redirect-url="+proxyURL+"/oauth2/callback",
		"--http-address="+proxyAddr,
		"--upstream="+app.URL+"/",
		"--cookie-secret="+hubtest.RandomToken()[:32],
	)

	ctx := startChromium(t, chromium)
	js := func(origin string) string { return fmt.Sprintf(oauth2ProxyState, origin, authorizeButton) }
	wait := func(want ...string) string {
		t.Helper()
		var last string
		for deadline := time.Now().Add(45 * time.Second); time.Now().Before(deadline); time.Sleep(150 * time.Millisecond) {
			state, err := chromedp.Run(ctx, chromedp.Evaluate[string](js(proxyURL)))
			if err == nil && slices.Contains(want, state) {
				return state
			}
			if loc, err := chromedp.Run(ctx, chromedp.Location()); err == nil {
				last = loc
			}
		}
		body, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
		t.Fatalf("the browser never reached %v; last at %s:\n%.2000s\nhub log:\n%s", want, last, body, hub.LogTail())
		return ""
	}

	require.NoError(t, chromiumLogin(ctx, proxyURL+"/", "ada"), "the hub's login form, reached through oauth2-proxy and the provider")
	if wait("app", "authorize") == "authorize" {
		require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(authorizeButton))), "approve on the hub's authorize page")
		wait("app")
	}
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
	require.NoError(t, err)
	require.Contains(t, text, "user=ada\n")
	require.Contains(t, text, "groups=staff\n")
	require.Contains(t, text, "email=ada@hub.test\n")
	location, err := chromedp.Run(ctx, chromedp.Location())
	require.NoError(t, err)
	require.Equal(t, proxyURL+"/", location)

	// Logging out: the provider's end-session endpoint ends the hub
	// session and sends the browser to oauth2-proxy's sign-out, which
	// ends its own and sends it to the app, which is behind the hub's
	// login again.
	logout := issuer + "/logout?" + url.Values{"client_id": {"oauth2-proxy"}, "post_logout_redirect_uri": {proxyURL + "/oauth2/sign_out"}}.Encode()
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(logout)))
	wait("login")
}
