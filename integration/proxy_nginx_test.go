package integration

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"text/template"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hubauth-go/whoami/internal/hubtest"
)

// nginxPath is Debian's nginx, which `make nginx` installs, or $NGINX.
func nginxPath(t *testing.T) string {
	t.Helper()
	p := os.Getenv("NGINX")
	if p == "" {
		p = "/usr/sbin/nginx"
	}
	if _, err := exec.LookPath(p); err != nil {
		hubtest.SkipOrFail(t, fmt.Sprintf("the forward-auth test needs nginx at %s (or $NGINX): run `make nginx` to install Debian's", p))
	}
	return p
}

// nginxConf is the README's recipe for an app that nginx serves at /app/,
// outside the proxy's prefix, with the hub's login checked by
// auth_request against the proxy's forward-auth listener.
var nginxConf = template.Must(template.New("nginx").Parse(`
{{if .Root}}user root;{{end}}
daemon off;
worker_processes 1;
pid {{.Dir}}/nginx.pid;
error_log {{.Dir}}/error.log info;
events { worker_connections 64; }
http {
	access_log {{.Dir}}/access.log;
	client_body_temp_path {{.Dir}}/body;
	proxy_temp_path {{.Dir}}/proxy;
	fastcgi_temp_path {{.Dir}}/fastcgi;
	uwsgi_temp_path {{.Dir}}/uwsgi;
	scgi_temp_path {{.Dir}}/scgi;
	server {
		listen {{.Listen}};
		location /app/ {
			auth_request /_hubauth;
			auth_request_set $user $upstream_http_x_auth_request_user;
			auth_request_set $groups $upstream_http_x_auth_request_groups;
			auth_request_set $token $upstream_http_x_auth_request_access_token;
			proxy_set_header X-Forwarded-User $user;
			proxy_set_header X-Forwarded-Groups $groups;
			proxy_set_header X-Forwarded-Access-Token $token;
			error_page 401 = @sign_in;
			proxy_pass http://{{.App}};
		}
		location = /_hubauth {
			internal;
			proxy_pass http://{{.ForwardAuth}}/;
			proxy_pass_request_body off;
			proxy_set_header Content-Length "";
			proxy_set_header X-Original-Method $request_method;
			proxy_set_header X-Forwarded-Host $http_host;
		}
		location @sign_in {
			return 302 {{.SignIn}}?rd=$scheme://$http_host$request_uri;
		}
	}
}
`))

// Real nginx with auth_request protects an app that is not under the
// proxy's prefix: a browser without a login is sent to log in at the hub,
// logs in there, and comes back to the app, which nginx hands the
// caller's name, groups and token; the sign-in's return URL cannot leave
// the allowed hosts; no answer a browser can fetch carries the token; a
// cross-origin POST through nginx is refused.
func TestProxyForwardAuthNginx(t *testing.T) {
	hubtest.OnlyOn(t, "6.1", "nginx's auth_request in front of an app: the hub's release changes nothing nginx sees")
	nginx := nginxPath(t)
	appBin := buildTestApp(t)
	proxyBin := hubtest.Binary(t, "hubauth-proxy")
	free := func() string { return fmt.Sprintf("127.0.0.1:%d", hubtest.FreePort(t)) }
	appAddr, proxyAddr, forwardAuthAddr, nginxAddr := free(), free(), free(), free()
	hubtest.StartProcess(t, appBin, nil, appAddr, "-addr", appAddr)
	hub := hubtest.Start(t, hubtest.Options{
		Services: []hubtest.Service{{
			Name: "app",
			URL:  "http://" + proxyAddr,
			Command: []string{proxyBin, "-upstream", "http://" + appAddr, "-pass-access-token",
				"-forward-auth-listen", forwardAuthAddr, "-cookie-path", "/", "-allowed-redirect-host", nginxAddr,
				"-auth-endpoint", "/services/app/_hubauth/auth"},
			OAuthNoConfirm: true,
		}},
		Roles:  []hubtest.Role{{Name: "app-users", Scopes: []string{"access:services!service=app"}, Groups: []string{"app-users"}}},
		Groups: []string{"app-users"},
	})
	hub.CreateUser(t, "ada")
	hub.AddToGroup(t, "app-users", "ada")
	hub.CreateUser(t, "bob")
	signIn := hub.URL + "/services/app/_hubauth/sign_in"

	dir := t.TempDir()
	conf := filepath.Join(dir, "nginx.conf")
	f, err := os.Create(conf)
	require.NoError(t, err)
	require.NoError(t, nginxConf.Execute(f, map[string]any{
		"Root": os.Getuid() == 0, "Dir": dir, "Listen": nginxAddr, "App": appAddr, "ForwardAuth": forwardAuthAddr, "SignIn": signIn,
	}))
	require.NoError(t, f.Close())
	hubtest.StartProcess(t, nginx, nil, nginxAddr, "-p", dir, "-c", conf, "-e", filepath.Join(dir, "error.log"))
	app := "http://" + nginxAddr + "/app/report?x=1"

	t.Run("a person in Chromium is sent to log in, and lands on the app", func(t *testing.T) {
		ctx := startChromium(t, requireChromium(t))
		require.NoError(t, chromiumLogin(ctx, app, "ada"), "nginx sends the browser to the hub's login form")
		var body string
		require.NoError(t, waitValue(ctx, fmt.Sprintf(`location.href === %q ? document.body.innerText : ""`, app), 30*time.Second, &body),
			"back on the app, through nginx")
		v := parseAppView(t, body)
		require.Equal(t, []string{"ada"}, v.Headers["X-Forwarded-User"])
	})

	t.Run("without a login nginx sends the browser to sign in", func(t *testing.T) {
		r := get(t, app, "")
		require.Equal(t, 302, r.status, r.body)
		require.Equal(t, signIn+"?rd="+app, r.header.Get("Location"))
	})

	b := newBrowser(t, "ada")
	var token string
	t.Run("a browser logs in through the hub and reaches the app", func(t *testing.T) {
		h := b.visit(app)
		require.Equal(t, 200, h.status, "%s: %s", h.url, h.body)
		require.Equal(t, app, h.url, "back where it started, on nginx")
		v := parseAppView(t, h.body)
		require.Equal(t, "/app/report", v.Path)
		require.Equal(t, []string{"ada"}, v.Headers["X-Forwarded-User"], "from the proxy's answer, through nginx")
		require.Equal(t, []string{"app-users"}, v.Headers["X-Forwarded-Groups"])
		require.Len(t, v.Headers["X-Forwarded-Access-Token"], 1)
		token = v.Headers["X-Forwarded-Access-Token"][0]
		require.NotEmpty(t, token)
		r := get(t, hub.APIURL+"/user", "token "+token)
		require.Equal(t, 200, r.status, "the app got ada's hub token: %s", r.body)
		require.Contains(t, r.body, `"name": "ada"`)
		for _, hop := range b.hops {
			requireNoToken(t, hop.header, token, hop.url)
		}
	})

	t.Run("no answer a browser can fetch carries the token", func(t *testing.T) {
		h := b.get(hub.URL + "/services/app/_hubauth/auth")
		require.Equal(t, 202, h.status, h.body)
		require.Equal(t, "ada", h.header.Get("X-Auth-Request-User"))
		requireNoToken(t, h.header, token, h.url)
		for _, u := range []string{app, hub.URL + "/services/app/page", signIn + "?rd=" + url.QueryEscape(app)} {
			h := b.get(u)
			require.Less(t, h.status, 500, u)
			requireNoToken(t, h.header, token, u)
		}
	})

	t.Run("the sign-in's return URL cannot leave the allowed hosts", func(t *testing.T) {
		for _, rd := range []string{"http://evil.example/", "http://127.0.0.1:1/app/", "//evil.example/", "http://" + nginxAddr + ".evil.example/"} {
			h := newBrowser(t, "ada").get(signIn + "?rd=" + url.QueryEscape(rd))
			require.Equal(t, 400, h.status, "%s: %s", rd, h.body)
			require.Empty(t, h.header.Get("Location"))
		}
	})

	t.Run("a user without access is refused by nginx", func(t *testing.T) {
		h := newBrowser(t, "bob").visit(app)
		require.Equal(t, 403, h.status, "%s: %s", h.url, h.body)
	})

	t.Run("a cross-origin POST through nginx is refused", func(t *testing.T) {
		h := b.do(http.MethodPost, app, url.Values{"a": {"1"}}, http.Header{
			"Origin": {"http://evil.example"}, "Sec-Fetch-Site": {"cross-site"}, "Sec-Fetch-Mode": {"no-cors"}})
		require.Equal(t, 403, h.status, h.body)
		h = b.do(http.MethodPost, app, url.Values{"a": {"1"}}, http.Header{
			"Origin": {"http://" + nginxAddr}, "Sec-Fetch-Site": {"same-origin"}, "Sec-Fetch-Mode": {"cors"}})
		require.Equal(t, 200, h.status, h.body)
		require.Equal(t, "POST", parseAppView(t, h.body).Method)
	})
}

// requireNoToken fails when any header carries token.
func requireNoToken(t *testing.T, h http.Header, token, where string) {
	t.Helper()
	for k, vs := range h {
		for _, v := range vs {
			require.False(t, strings.Contains(v, token), "%s: %s carries the token", where, k)
		}
	}
}
