package integration

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hubauth-go/whoami/internal/hubtest"
)

// proxyRig is a real hub with hubauth-proxy as its managed service "app",
// in front of testapp, which the test runs itself (so it can stop and
// start it, and ask it directly what it saw).
type proxyRig struct {
	hub       *hubtest.Hub
	svc       string // the service's public URL, through the hub's proxy
	proxyAddr string // where hubauth-proxy listens
	// forwardAuthAddr is the proxy's forward-auth listener, for an
	// ingress only (-forward-auth-listen).
	forwardAuthAddr string
	appAddr         string
	appBin          string
	proxyBin        string
	app             *hubtest.Process
}

func startProxyRig(t *testing.T, flags ...string) *proxyRig {
	t.Helper()
	hubtest.Require(t)
	r := &proxyRig{
		appBin:          buildTestApp(t),
		proxyBin:        hubtest.Binary(t, "hubauth-proxy"),
		appAddr:         fmt.Sprintf("127.0.0.1:%d", hubtest.FreePort(t)),
		proxyAddr:       fmt.Sprintf("127.0.0.1:%d", hubtest.FreePort(t)),
		forwardAuthAddr: fmt.Sprintf("127.0.0.1:%d", hubtest.FreePort(t)),
	}
	r.startApp(t)
	// testapp thinks it lives at "/".
	cmd := append([]string{r.proxyBin, "-upstream", "http://" + r.appAddr, "-strip-prefix",
		"-forward-auth-listen", r.forwardAuthAddr}, flags...)
	r.hub = hubtest.Start(t, hubtest.Options{
		Services: []hubtest.Service{{
			Name:        "app",
			URL:         "http://" + r.proxyAddr,
			Command:     cmd,
			Environment: map[string]string{"HUBAUTH_CACHE_MAX_AGE": "1"},
		}},
		Roles:  []hubtest.Role{{Name: "app-users", Scopes: []string{"access:services!service=app"}, Groups: []string{"app-users"}}},
		Groups: []string{"app-users"},
	})
	r.svc = r.hub.URL + "/services/app/"
	return r
}

func (r *proxyRig) startApp(t *testing.T) {
	t.Helper()
	r.app = hubtest.StartProcess(t, r.appBin, nil, r.appAddr, "-addr", r.appAddr)
}

// proxyPid is the pid of the hubauth-proxy the hub started.
func (r *proxyRig) proxyPid(t *testing.T) int {
	t.Helper()
	pids := processesRunning(r.proxyBin, "http://"+r.appAddr)
	require.Len(t, pids, 1, "one hubauth-proxy runs")
	return pids[0]
}

func TestProxyService(t *testing.T) {
	rig := startProxyRig(t, "-pass-user-model", "-auth-endpoint", "/_hubauth/auth")
	require.NotEmpty(t, rig.forwardAuthAddr)
	hub, svc := rig.hub, rig.svc
	for _, u := range []string{"ada", "bob"} {
		hub.CreateUser(t, u)
	}
	hub.AddToGroup(t, "app-users", "ada")
	adaToken := hub.NewToken(t, "ada", nil)
	bobToken := hub.NewToken(t, "bob", nil)
	b := newBrowser(t, "ada")

	t.Run("a browser logs in through the hub and gets the app's page", func(t *testing.T) {
		h := b.visit(svc + "page?x=1")
		require.Equal(t, 200, h.status, "%s: %s", h.url, h.body)
		require.Equal(t, svc+"page?x=1", h.url)
		v := parseAppView(t, h.body)
		require.Equal(t, "/page", v.Path, "the prefix is stripped")
		require.Equal(t, "x=1", v.Query)
		require.Equal(t, []string{"ada"}, v.Headers["X-Forwarded-User"])
		require.Equal(t, []string{"app-users"}, v.Headers["X-Forwarded-Groups"])
		require.Equal(t, []string{"/services/app"}, v.Headers["X-Forwarded-Prefix"])
		require.Equal(t, []string{"http"}, v.Headers["X-Forwarded-Proto"])
		require.Equal(t, []string{strings.TrimPrefix(hub.URL, "http://")}, v.Headers["X-Forwarded-Host"], "the browser's host, from the hub's proxy")
		var model map[string]any
		require.NoError(t, json.Unmarshal([]byte(v.Headers["X-Forwarded-User-Model"][0]), &model))
		require.Equal(t, "ada", model["name"])
		require.Equal(t, "user", model["kind"])
		for _, c := range v.Headers["Cookie"] {
			require.NotContains(t, c, "service-app=", "the login cookie stays with the proxy")
			require.NotContains(t, c, "_xsrf=")
		}
		require.NotEmpty(t, b.cookie(svc, "service-app"), "the browser holds the login cookie")
	})

	t.Run("a browser's own form post reaches the app whole; another origin's is refused", func(t *testing.T) {
		form := url.Values{"a": {"1"}, "b": {"two words"}}
		before := seenBy(t, rig.appAddr)
		for _, h := range []http.Header{
			{"Sec-Fetch-Site": {"cross-site"}, "Sec-Fetch-Mode": {"navigate"}, "Origin": {"http://evil.example"}},
			{"Sec-Fetch-Site": {"same-site"}, "Sec-Fetch-Mode": {"cors"}, "Origin": {"http://127.0.0.1:1"}},
			{"Origin": {"http://evil.example"}},
		} {
			h := b.do(http.MethodPost, svc+"form", form, h)
			requireJSONError(t, response{h.status, h.header, h.body}, 403, "cross-origin request refused")
		}
		require.Equal(t, before, seenBy(t, rig.appAddr), "the app saw none of them")
		require.Empty(t, b.cookie(svc, "_xsrf"), "the proxy needs no XSRF token from the page, and sets none")

		same := http.Header{"Sec-Fetch-Site": {"same-origin"}, "Sec-Fetch-Mode": {"cors"}, "Origin": {hub.URL}}
		h := b.do(http.MethodPost, svc+"form", form, same)
		require.Equal(t, 200, h.status, h.body)
		v := parseAppView(t, h.body)
		require.Equal(t, "POST", v.Method)
		require.Equal(t, []string{"ada"}, v.Headers["X-Forwarded-User"])

		h = b.do(http.MethodPost, svc+"upload", form, same)
		require.Equal(t, 200, h.status, h.body)
		sum := sha256.Sum256([]byte(form.Encode()))
		require.Contains(t, h.body, hex.EncodeToString(sum[:]), "the form reaches the app byte for byte")
	})

	t.Run("the app sees the browser's host, whatever a client forges", func(t *testing.T) {
		hubHost := strings.TrimPrefix(hub.URL, "http://")
		r := rawGetBody(t, hub.URL, "/services/app/page", "Authorization: token "+adaToken,
			"X-Forwarded-Host: evil.example", "X-Forwarded-Proto: https", "X-Forwarded-For: 203.0.113.9")
		require.Equal(t, 200, r.status, r.body)
		v := parseAppView(t, r.body)
		require.Equal(t, hubHost, v.Host, "the Host the browser sent")
		require.Equal(t, []string{hubHost}, v.Headers["X-Forwarded-Host"])
		require.Equal(t, []string{"http"}, v.Headers["X-Forwarded-Proto"], "what the hub's proxy appended, not the client's https")
		require.Equal(t, []string{"127.0.0.1, 127.0.0.1"}, v.Headers["X-Forwarded-For"], "the address the hub's proxy saw, then the hub's proxy's own")
	})

	t.Run("the login cookie opens a websocket from the app's own page only", func(t *testing.T) {
		cookie := "service-app=" + b.cookie(svc, "service-app")
		ws, status := dialWebsocket(t, svc+"ws", http.Header{"Cookie": {cookie}, "Origin": {hub.URL}, "Sec-Fetch-Site": {"same-origin"}})
		require.Equal(t, 101, status)
		ws.send(t, "mine")
		_, got := ws.recv(t)
		require.Equal(t, "mine", string(got))
		before := seenBy(t, rig.appAddr)
		for _, h := range []http.Header{
			{"Cookie": {cookie}, "Origin": {"http://evil.example"}},
			{"Cookie": {cookie}, "Origin": {"http://127.0.0.1:1"}, "Sec-Fetch-Site": {"same-site"}},
		} {
			_, status = dialWebsocket(t, svc+"ws", h)
			require.Equal(t, 403, status, "%v", h["Origin"])
		}
		require.Equal(t, before, seenBy(t, rig.appAddr), "the app saw neither")
	})

	t.Run("a token header gets through and is not passed on", func(t *testing.T) {
		r := get(t, svc+"api/thing", "token "+adaToken)
		require.Equal(t, 200, r.status, r.body)
		v := parseAppView(t, r.body)
		require.Equal(t, "/api/thing", v.Path)
		require.Equal(t, []string{"ada"}, v.Headers["X-Forwarded-User"])
		require.Empty(t, v.Headers["Authorization"])
		require.NotContains(t, r.body, adaToken)
	})

	t.Run("a user without the scope gets 403 and the app sees nothing", func(t *testing.T) {
		before := seenBy(t, rig.appAddr)
		r := get(t, svc+"page", "token "+bobToken)
		requireJSONError(t, r, 403, "may not use this service")
		r = get(t, svc+"page", "token not-a-real-token-0000")
		require.Equal(t, 403, r.status)
		r = get(t, svc+"page", "")
		require.Equal(t, 302, r.status, "a browser without a login is sent to the hub")
		require.Equal(t, before, seenBy(t, rig.appAddr), "the app saw none of those")
	})

	t.Run("spoofed identity and credentials never reach the app", func(t *testing.T) {
		req, err := http.NewRequest("GET", svc+"page?token="+adaToken+"&keep=1&tok%65n=x", nil)
		require.NoError(t, err)
		req.Header["X-Forwarded-User"] = []string{"mallory"}
		req.Header["X_Forwarded_User"] = []string{"mallory"}
		req.Header["X-Forwarded-Groups"] = []string{"mallory-group"}
		req.Header["X-Forwarded-Access-Token"] = []string{"forged"}
		req.Header["X-Forwarded-User-Model"] = []string{`{"name":"mallory","mallory":true}`}
		req.Header["X-Auth-Request-User"] = []string{"mallory"}
		req.Header["Remote-User"] = []string{"mallory"}
		req.Header.Set("Authorization", "token "+adaToken)
		req.Header.Set("Cookie", "_xsrf=apps-own; app-own=kept; service-app-oauth-state=x")
		resp, err := client.Do(req)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, 200, resp.StatusCode, string(body))
		v := parseAppView(t, string(body))
		require.Equal(t, []string{"ada"}, v.Headers["X-Forwarded-User"])
		require.Equal(t, []string{"app-users"}, v.Headers["X-Forwarded-Groups"], "her real groups, from the hub")
		for name, vals := range v.Headers {
			n := strings.ToLower(strings.ReplaceAll(name, "_", "-"))
			require.NotContains(t, []string{"x-forwarded-access-token", "x-auth-request-user", "remote-user"}, n)
			require.NotContains(t, name, "_", "no underscore spelling reaches the app: %s", name)
			for _, val := range vals {
				require.NotContains(t, val, "mallory")
				require.NotContains(t, val, "forged")
				require.NotContains(t, val, adaToken)
			}
		}
		require.Equal(t, "keep=1", v.Query)
		require.Equal(t, []string{"_xsrf=apps-own; app-own=kept"}, v.Headers["Cookie"], "_xsrf is the app's: the proxy sets none")
	})

	t.Run("hostile paths and headers never get a 5xx", func(t *testing.T) {
		auth := "Authorization: token " + adaToken
		for _, tc := range []struct {
			path    string
			headers []string
		}{
			{"/services/app/%2e%2e/%2e%2e/hub/api", nil},
			{"/services/app/../../hub/admin", nil},
			{"/services/app/a%00b", nil},
			{"/services/app/?%zz=1&token=x", nil},
			{"/services/app/", []string{"Cookie: service-app=" + strings.Repeat("A", 3000)}},
			{"/services/app/", []string{"Cookie: ;;;=;_xsrf"}},
			{"/services/app/", []string{"X-Forwarded-Proto: javascript", "X-Forwarded-Host: a b"}},
			{"/services/app/", []string{"X-Forwarded-For: <script>"}},
		} {
			status := rawGet(t, hub.URL, tc.path, append([]string{auth}, tc.headers...)...)
			require.Less(t, status, 500, "%s %v", tc.path, tc.headers)
		}
	})

	t.Run("a websocket echoes through the proxy", func(t *testing.T) {
		ws, status := dialWebsocket(t, svc+"ws", http.Header{"Authorization": {"token " + adaToken}})
		require.Equal(t, 101, status)
		for _, msg := range []string{"hello", strings.Repeat("x", 70000)} {
			ws.send(t, msg)
			op, got := ws.recv(t)
			require.Equal(t, byte(1), op)
			require.Equal(t, msg, string(got))
		}
		_, status = dialWebsocket(t, svc+"ws", http.Header{"Authorization": {"token " + bobToken}})
		require.Equal(t, 403, status, "no upgrade without access")
	})

	t.Run("server-sent events arrive one by one", func(t *testing.T) {
		req, err := http.NewRequest("GET", svc+"sse", nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "token "+adaToken)
		resp, err := client.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, 200, resp.StatusCode)
		require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
		sc := bufio.NewScanner(resp.Body)
		var delays []time.Duration
		for sc.Scan() {
			data, ok := strings.CutPrefix(sc.Text(), "data: ")
			if !ok {
				continue
			}
			sent, err := strconv.ParseInt(data, 10, 64)
			require.NoError(t, err)
			delays = append(delays, time.Since(time.Unix(0, sent)))
		}
		require.Len(t, delays, 5)
		t.Logf("each event's delay from the app's write to the client's read: %v", delays)
		for i, d := range delays {
			// The app sends one every 300 ms; a buffered stream would hold
			// the first for 1.2 s.
			require.Less(t, d, 250*time.Millisecond, "event %d waited %s", i, d)
		}
	})

	t.Run("a 100 MB upload streams in bounded memory", func(t *testing.T) {
		pid := rig.proxyPid(t)
		before := peakRSS(t, pid)
		const size = 100 << 20
		h := sha256.New()
		body := io.TeeReader(io.LimitReader(mrand.NewChaCha8([32]byte{1}), size), h)
		req, err := http.NewRequest("POST", svc+"upload", body)
		require.NoError(t, err)
		req.ContentLength = size
		req.Header.Set("Authorization", "token "+adaToken)
		req.Header.Set("Content-Type", "application/octet-stream")
		start := time.Now()
		resp, err := client.Do(req)
		require.NoError(t, err)
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		took := time.Since(start)
		require.Equal(t, 200, resp.StatusCode, string(raw))
		var got struct {
			Bytes  int64  `json:"bytes"`
			SHA256 string `json:"sha256"`
		}
		require.NoError(t, json.Unmarshal(raw, &got))
		require.EqualValues(t, size, got.Bytes)
		require.Equal(t, hex.EncodeToString(h.Sum(nil)), got.SHA256)
		after := peakRSS(t, pid)
		t.Logf("100 MB in %s; the proxy's peak RSS %d MB before, %d MB after", took.Round(time.Millisecond), before>>20, after>>20)
		require.Less(t, after-before, int64(24<<20), "the proxy's peak memory grew by %d MB for a 100 MB upload", (after-before)>>20)
	})

	t.Run("forward auth: names only where a browser can fetch it, the model on the ingress's own listener", func(t *testing.T) {
		r := get(t, "http://"+rig.proxyAddr+"/_hubauth/auth", "token "+adaToken)
		require.Equal(t, 202, r.status, r.body)
		require.Equal(t, "ada", r.header.Get("X-Forwarded-User"))
		require.Equal(t, "ada", r.header.Get("X-Auth-Request-User"))
		require.Equal(t, "app-users", r.header.Get("X-Auth-Request-Groups"))
		require.Empty(t, r.header.Get("X-Forwarded-User-Model"), "the model only on the ingress's listener")
		ingress := "http://" + rig.forwardAuthAddr + "/auth"
		r = get(t, ingress, "token "+adaToken)
		require.Equal(t, 202, r.status, r.body)
		require.Equal(t, "ada", r.header.Get("X-Auth-Request-User"))
		require.Contains(t, r.header.Get("X-Forwarded-User-Model"), `"name":"ada"`)
		r = get(t, ingress, "")
		require.Equal(t, 401, r.status)
		require.Empty(t, r.header.Get("X-Forwarded-User"))
		r = get(t, ingress, "token "+bobToken)
		require.Equal(t, 403, r.status)

		// The browser's login cookie works there too, as nginx passes it on.
		req, err := http.NewRequest("GET", ingress, nil)
		require.NoError(t, err)
		req.Header.Set("Cookie", "service-app="+b.cookie(svc, "service-app"))
		resp, err := client.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, 202, resp.StatusCode)
		require.Equal(t, "ada", resp.Header.Get("X-Forwarded-User"))
	})

	t.Run("an app that is down gets a 502 page, and the proxy carries on", func(t *testing.T) {
		_ = rig.app.Stop() // "signal: terminated"
		require.False(t, rig.app.Running())
		req, err := http.NewRequest("GET", svc+"page", nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "token "+adaToken)
		req.Header.Set("Accept", "text/html,application/xhtml+xml")
		start := time.Now()
		resp, err := client.Do(req)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Less(t, time.Since(start), 5*time.Second, "no hang")
		require.Equal(t, 502, resp.StatusCode)
		require.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
		require.Contains(t, string(body), "not answering")
		r := get(t, svc+"page", "token "+adaToken)
		requireJSONError(t, r, 502, "not answering")

		rig.startApp(t)
		r = get(t, svc+"page", "token "+adaToken)
		require.Equal(t, 200, r.status, "the app is back: %s", r.body)
	})
}

// A proxy whose activity URL holds a password (an operator's mistake, or
// a hub behind basic auth) never prints it: each failed report is logged
// with the URL's password masked. The proxy runs outside the hub here, as
// an external service, since the hub gives services no activity URL and
// logs the command lines of those it starts.
func TestProxyActivityPasswordNeverPrinted(t *testing.T) {
	const password = "s3cret-activity-pw"
	token := hubtest.RandomToken()
	proxyAddr := fmt.Sprintf("127.0.0.1:%d", hubtest.FreePort(t))
	appAddr := fmt.Sprintf("127.0.0.1:%d", hubtest.FreePort(t))
	hubtest.StartProcess(t, buildTestApp(t), nil, appAddr, "-addr", appAddr)
	hub := hubtest.Start(t, hubtest.Options{
		Services: []hubtest.Service{{Name: "app", URL: "http://" + proxyAddr, APIToken: token}},
		Roles:    []hubtest.Role{{Name: "app-users", Users: []string{"ada"}, Scopes: []string{"access:services!service=app"}}},
	})
	proxy := hubtest.StartProcess(t, hubtest.Binary(t, "hubauth-proxy"), []string{
		"JUPYTERHUB_API_TOKEN=" + token,
		"JUPYTERHUB_API_URL=" + hub.APIURL,
		"JUPYTERHUB_SERVICE_NAME=app",
		"JUPYTERHUB_SERVICE_URL=http://" + proxyAddr,
		"JUPYTERHUB_SERVICE_PREFIX=/services/app/",
		// The port is closed: every report fails.
		"JUPYTERHUB_ACTIVITY_URL=http://activity-user:" + password + "@127.0.0.1:1/hub/api/users/ada/activity",
		"JUPYTERHUB_ACTIVITY_INTERVAL=1",
	}, proxyAddr, "-upstream", "http://"+appAddr)
	r := get(t, hub.URL+"/services/app/page", "token "+hub.NewToken(t, "ada", nil))
	require.Equal(t, 200, r.status, r.body)
	require.Eventually(t, func() bool {
		return strings.Count(proxy.Output(), "could not report activity to the hub") >= 2
	}, 20*time.Second, 200*time.Millisecond, "the failed reports are logged, and tried again\n%s", proxy.Output())
	require.Contains(t, proxy.Output(), "activity-user:xxxxx@127.0.0.1:1", "the URL is logged, its password masked")
	require.NotContains(t, proxy.Output(), password)
}
