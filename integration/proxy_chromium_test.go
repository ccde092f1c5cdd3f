package integration

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/hubauth-go/whoami/internal/hubtest"
)

// bokehState tells, in the page, how far the Bokeh dashboard has got:
// "" before it is the target page, "loading" until BokehJS has drawn the
// button (inside shadow roots, hence the walk), "ready" once it has,
// "clicked" once the server's answer to a click (sent over Bokeh's
// websocket, through the proxy) shows.
const bokehState = `(() => {
	if (location.href !== %q) return "";
	const walk = (root, out) => {
		for (const e of root.querySelectorAll("*")) { out.push(e); if (e.shadowRoot) walk(e.shadowRoot, out); }
		return out;
	};
	const all = walk(document, []);
	if (all.some(e => e.childElementCount === 0 && e.textContent.trim() === "1 click")) return "clicked";
	const button = all.find(e => e.tagName === "BUTTON" && e.textContent.trim() === "click me");
	if (!button) return "loading";
	if (%t) button.click();
	return "ready";
})()`

// A person in Chromium opens their Bokeh server: logs in on the hub's form,
// sees the dashboard drawn by BokehJS, clicks its button and sees the
// Python side's answer, which comes back over Bokeh's websocket through
// hubauth-proxy.
func TestProxyBokehInChromium(t *testing.T) {
	hubtest.Require(t)
	chromium := requireChromium(t)
	hub := startBokehServer(t, "ada")
	target := hub.URL + "/user/ada/app"
	ctx := startChromium(t, chromium)
	require.NoError(t, chromiumLogin(ctx, target, "ada"), "log in on the hub's form")

	clicked := false
	state, last := "", ""
	var lastErr error
	for deadline := time.Now().Add(45 * time.Second); time.Now().Before(deadline) && state != "clicked"; {
		click := state == "ready" && !clicked
		state, lastErr = chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(bokehState, target, click)))
		clicked = clicked || (click && state == "ready")
		if loc, err := chromedp.Run(ctx, chromedp.Location()); err == nil {
			last = loc
		}
		time.Sleep(200 * time.Millisecond)
	}
	require.Equal(t, "clicked", state, "the dashboard never answered a click (at %s, clicked=%v, %v)\nhub log:\n%s", last, clicked, lastErr, hub.LogTail())
	title, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.title`))
	require.NoError(t, err)
	require.Equal(t, "ada's dashboard", title)
}
