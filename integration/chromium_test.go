package integration

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/hubauth-go/whoami/internal/hubtest"
)

// chromiumPath is the browser TestWhoamiOAuthInChromium drives: $CHROMIUM,
// or Debian's package, which `make browser` installs.
func chromiumPath() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

// requireChromium skips the test when the browser is missing, or fails it
// when integration tests are required, as hubtest.Require does for the hub.
func requireChromium(t *testing.T) string {
	t.Helper()
	path := chromiumPath()
	if _, err := exec.LookPath(path); err == nil {
		return path
	}
	hubtest.SkipOrFail(t, fmt.Sprintf("the browser test needs Chromium at %s (or $CHROMIUM): run `make browser` to install Debian's chromium", path))
	return ""
}

// The login as a person does it: a real Chromium opens the service, is sent
// to the hub's login form, types a name, approves the service if the hub
// asks, and lands on the page it asked for, showing the JSON model.
func TestWhoamiOAuthInChromium(t *testing.T) {
	hubtest.Require(t)
	chromium := requireChromium(t)

	hub, svc := oauthHub(t, "")
	hub.CreateUser(t, "ada")
	hub.AddToGroup(t, "whoami", "ada")
	target := svc + "?from=browser"

	ctx := startChromium(t, chromium)

	require.NoError(t, chromiumLogin(ctx, target, "ada"), "log in on the hub's form")

	// After the login the hub either sends the browser straight back to the
	// service or first shows its authorize page; approve that once.
	if waitForPage(t, ctx, hub, target, "service", "authorize") == "authorize" {
		t.Logf("JupyterHub %s shows its authorize page: approving", hub.Version())
		require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(authorizeButton))), "approve on the authorize page")
		waitForPage(t, ctx, hub, target, "service")
	}

	location, err := chromedp.Run(ctx, chromedp.Location())
	require.NoError(t, err)
	require.Equal(t, target, location)
	body, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
	require.NoError(t, err)
	require.Contains(t, body, `"name": "ada"`)
	require.Contains(t, body, `"kind": "user"`)

	cookies, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{target}})
	require.NoError(t, err)
	var login *network.Cookie
	for _, c := range cookies.Cookies {
		if c.Name == "service-whoami-oauth" {
			login = c
		}
	}
	require.NotNil(t, login, "login cookie in the browser: %+v", cookies.Cookies)
	require.True(t, login.HTTPOnly, "the login cookie is HttpOnly")
	require.Equal(t, "/services/whoami-oauth/", login.Path)

	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	require.NoError(t, err)
	img, err := png.DecodeConfig(bytes.NewReader(shot))
	require.NoError(t, err, "the screenshot is a PNG")
	require.Positive(t, img.Width)
	require.Positive(t, img.Height)
	out := filepath.Join(t.TempDir(), "whoami-oauth.png")
	if os.Getenv("UPDATE_SCREENSHOT") == "1" {
		out = filepath.Join(hubtest.RepoRoot(), "docs", "whoami-oauth.png")
		require.NoError(t, os.MkdirAll(filepath.Dir(out), 0o755))
	}
	require.NoError(t, os.WriteFile(out, shot, 0o644))
	written, err := os.Stat(out)
	require.NoError(t, err)
	require.Positive(t, written.Size())
	t.Logf("screenshot (%dx%d) in %s", img.Width, img.Height, out)
}

// chromiumLogin opens url, which leads to the hub's login form, and logs
// in there as user with any password, as a person would.
func chromiumLogin(ctx context.Context, url, user string) error {
	return chromedp.Do(ctx,
		chromedp.Navigate(url),
		chromedp.WaitVisible(chromedp.CSS("#username_input")),
		chromedp.SendKeys(chromedp.CSS("#username_input"), user),
		chromedp.SendKeys(chromedp.CSS("#password_input"), "any password"),
		chromedp.Click(chromedp.CSS("#login_submit")),
	)
}

// browserTimeout bounds everything the browser does in one test.
const browserTimeout = 60 * time.Second

// startChromium starts a headless Chromium with a fresh profile and returns
// its chromedp context. When the test ends the browser is closed (killed if
// it does not close), and any process still using the profile is killed
// and fails the test.
func startChromium(t *testing.T, path string) context.Context {
	t.Helper()
	return startChromiumFor(t, path, browserTimeout)
}

// startChromiumFor is startChromium for a test whose browser work takes
// up to limit.
func startChromiumFor(t *testing.T, path string, limit time.Duration) context.Context {
	t.Helper()
	profile := t.TempDir()
	var output hubtest.LockedBuffer
	t.Cleanup(func() {
		left := waitProfileProcesses(profile, 3*time.Second)
		for _, pid := range left {
			if p, err := os.FindProcess(pid); err == nil {
				p.Kill()
			}
		}
		if len(left) > 0 {
			t.Errorf("Chromium processes %v outlived the browser; killed them", left)
		}
		if t.Failed() {
			t.Logf("Chromium output:\n%s", output.String())
		}
	})

	ctx, cancelTimeout := context.WithTimeout(context.Background(), limit)
	t.Cleanup(cancelTimeout)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox, // we may run as root, as in CI containers
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		// Only loopback is reachable here: nothing may try the network.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-proxy-server", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1000, 700),
		chromedp.CombinedOutput(&output),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc) // waits until the browser process has exited
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		// Close the browser politely, so it takes its helpers with it; the
		// cancel after it kills whatever did not close in time.
		closeCtx, cancel := context.WithTimeout(browserCtx, 10*time.Second)
		defer cancel()
		if err := chromedp.Cancel(closeCtx); err != nil && !errors.Is(err, context.Canceled) {
			t.Logf("closing Chromium: %v", err)
		}
		cancelBrowser()
	})
	// Start the browser now, so a broken install fails here, clearly.
	require.NoError(t, chromedp.Do(browserCtx), "start %s", path)
	return browserCtx
}

// authorizeButton is the submit button of the hub's authorize page:
// JupyterHub 5 and later render a <button>, 4.x an <input>.
const authorizeButton = "form button[type=submit], form input[type=submit]"

// pageState tells, in the page, where the login has got to: "service" once
// the browser shows the model of ada at the target URL, "authorize" on the
// hub's authorize page with its button, "" otherwise (still loading or on
// its way through redirects).
const pageState = `(() => {
	const text = document.body ? document.body.innerText : "";
	if (location.href === %q && text.includes('"name": "ada"')) return "service";
	if (location.pathname.endsWith("/oauth2/authorize") && document.readyState === "complete" &&
		document.querySelector(%q)) return "authorize";
	return "";
})()`

// waitForPage polls the page until its pageState is one of want, and
// returns that state. Evaluations can fail while a navigation replaces the
// page; those are retried.
func waitForPage(t *testing.T, ctx context.Context, hub *hubtest.Hub, target string, want ...string) string {
	t.Helper()
	js := fmt.Sprintf(pageState, target, authorizeButton)
	var last string
	var lastErr error
	for ctx.Err() == nil {
		state, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err == nil && slices.Contains(want, state) {
			return state
		}
		lastErr = err
		if loc, err := chromedp.Run(ctx, chromedp.Location()); err == nil {
			last = loc
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("browser never reached a page in %v (target %s); last at %s (%v)\nhub log:\n%s", want, target, last, lastErr, hub.LogTail())
	return ""
}

// waitProfileProcesses waits up to limit for the processes that use the
// Chromium profile dir to exit, and returns those still running.
func waitProfileProcesses(dir string, limit time.Duration) []int {
	deadline := time.Now().Add(limit)
	for {
		pids := profileProcesses(dir)
		if len(pids) == 0 || time.Now().After(deadline) {
			return pids
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// profileProcesses lists the processes started with --user-data-dir=dir:
// Chromium passes it to every helper it starts.
func profileProcesses(dir string) []int {
	return hubtest.Processes(func(p hubtest.ProcInfo) bool {
		return slices.Contains(p.Args, "--user-data-dir="+dir)
	})
}

// The README's way to a token, in the demo's own configuration: log in,
// press "Request new API token" on the hub's token page, and use the token
// with whoami-api as the README's curl line does.
func TestTokenPageTokenWorksWithWhoamiAPI(t *testing.T) {
	hubtest.Require(t)
	chromium := requireChromium(t)
	hub := demoHub(t)
	ctx := startChromium(t, chromium)

	require.NoError(t, chromiumLogin(ctx, hub.URL+"/hub/login?next=%2Fhub%2Ftoken", "grace"), "log in")
	// The page's script loads after the form shows; a click before it has
	// hooked the form submits it the plain way and reloads the page. Like
	// a person, try again.
	shown := false
	for try := 0; try < 5 && !shown; try++ {
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := chromedp.Do(wctx,
			chromedp.WaitVisible(chromedp.CSS("#request-token-form button[type=submit]")),
			chromedp.Click(chromedp.CSS("#request-token-form button[type=submit]")))
		cancel()
		require.NoError(t, err, "the token page's button")
		wctx, cancel = context.WithTimeout(ctx, 3*time.Second)
		shown = chromedp.Do(wctx, chromedp.WaitVisible(chromedp.CSS("#token-result"))) == nil
		cancel()
	}
	if !shown {
		body, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
		t.Fatalf("the token page showed no token:\n%.3000s\nhub log:\n%s", body, hub.LogTail())
	}
	token, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#token-result").innerText.trim()`))
	require.NoError(t, err)
	require.Len(t, token, 32, "a hub token: %q", token)

	r := get(t, hub.URL+"/services/whoami-api/", "token "+token)
	require.Equal(t, 200, r.status, r.body)
	require.Contains(t, r.body, "\n \"name\": \"grace\"")
}
