package hubproxy

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// serve builds the proxy with opts (Upstream filled in) behind the token
// middleware and sends it req.
func serve(t *testing.T, up *recordingUpstream, opts Options, req *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	opts.Upstream = up.url(t)
	auth := testAuth(t)
	p, err := New(auth, opts)
	require.NoError(t, err)
	rec := httptest.NewRecorder()
	auth.Middleware(p).ServeHTTP(rec, req)
	return rec
}

func TestProxyHeaders(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		path    string
		headers map[string][]string
		check   func(t *testing.T, s seen)
	}{{
		name: "identity headers replace whatever the client sent, in any spelling",
		path: "/services/app/page",
		headers: map[string][]string{
			"X-Forwarded-User":         {"admin"},
			"X-Forwarded-Groups":       {"admins"},
			"X_Forwarded_User":         {"admin"},
			"x-forwarded-access-token": {"forged"},
			"X-Forwarded-User-Model":   {`{"name":"admin","admin":true}`},
			"X-Auth-Request-User":      {"admin"},
			"Remote-User":              {"admin"},
			"X-Real-Ip":                {"10.0.0.1"},
			"Forwarded":                {"for=10.0.0.1;proto=https"},
		},
		check: func(t *testing.T, s seen) {
			require.Equal(t, []string{"ada"}, s.Header.Values("X-Forwarded-User"))
			require.Equal(t, []string{"staff,ünï"}, s.Header.Values("X-Forwarded-Groups"))
			for name := range s.Header {
				n := strings.ToLower(strings.ReplaceAll(name, "_", "-"))
				require.NotContains(t, []string{"x-forwarded-access-token", "x-forwarded-user-model", "x-auth-request-user", "remote-user", "x-real-ip", "forwarded"}, n)
				require.NotContains(t, name, "_", "no underscore spelling survives")
			}
		},
	}, {
		name: "the model and the token only when asked",
		opts: Options{PassUserModel: true, PassAccessToken: true},
		path: "/services/app/",
		check: func(t *testing.T, s seen) {
			m := s.Header.Get(HeaderUserModel)
			for i := 0; i < len(m); i++ {
				require.Less(t, m[i], byte(0x80), "ASCII only")
			}
			var model map[string]any
			require.NoError(t, json.Unmarshal([]byte(m), &model))
			require.Equal(t, "ada", model["name"])
			require.Equal(t, []any{"staff", "ünï"}, model["groups"])
			require.Equal(t, adaToken, s.Header.Get(HeaderAccessToken))
			require.Empty(t, s.Header.Get("Authorization"), "the token travels only in the header asked for")
		},
	}, {
		name: "hub credentials are removed, the app's own kept byte for byte",
		opts: Options{},
		path: "/services/app/x?a=1&token=" + adaToken + "&b=%2F+x&tok%65n=again&_xsrf=keep",
		headers: map[string][]string{
			"Cookie": {"service-app=sealed; app-session=s1; _xsrf=abc; service-app-oauth-state=st; service-app-oauth-state-x1=st2; jupyterhub-session-id=sid; theme=dark=1"},
		},
		check: func(t *testing.T, s seen) {
			require.Empty(t, s.Header.Values("Authorization"))
			require.Equal(t, "a=1&b=%2F+x&_xsrf=keep", s.Query)
			require.Equal(t, []string{"app-session=s1; theme=dark=1"}, s.Header.Values("Cookie"))
		},
	}, {
		// ReverseProxy re-encodes a query it cannot parse, keeping only
		// what parses, so no two parsers can disagree about it.
		name: "an unparsable query loses its bad parts and its token",
		path: "/services/app/x?a=1&b=%zz&token=" + adaToken,
		check: func(t *testing.T, s seen) {
			require.Equal(t, "a=1", s.Query)
		},
	}, {
		name: "other Authorization schemes are the app's",
		path: "/services/app/",
		headers: map[string][]string{
			"Authorization": {"token " + adaToken, "Basic YWRhOnB3", "Bearer " + adaToken},
		},
		check: func(t *testing.T, s seen) {
			require.Equal(t, []string{"Basic YWRhOnB3"}, s.Header.Values("Authorization"))
		},
	}, {
		name: "KeepCredentials passes them on",
		opts: Options{KeepCredentials: true},
		path: "/services/app/?token=" + adaToken,
		headers: map[string][]string{
			"Cookie": {"_xsrf=abc; service-app=sealed"},
		},
		check: func(t *testing.T, s seen) {
			require.Equal(t, "token="+adaToken, s.Query)
			require.Equal(t, "token "+adaToken, s.Header.Get("Authorization"))
			require.Equal(t, "_xsrf=abc; service-app=sealed", s.Header.Get("Cookie"))
		},
	}, {
		name: "the prefix stripped, with X-Forwarded-Prefix, escapes kept",
		opts: Options{StripPrefix: true},
		path: "/services/app/a%2Fb/c?q=1",
		check: func(t *testing.T, s seen) {
			require.Equal(t, "/a/b/c", s.Path)
			require.Equal(t, "/a%2Fb/c", s.Raw)
			require.Equal(t, "/services/app", s.Header.Get(HeaderPrefix))
		},
	}, {
		name: "the bare prefix is the app's root",
		opts: Options{StripPrefix: true},
		path: "/services/app",
		check: func(t *testing.T, s seen) {
			require.Equal(t, "/", s.Path)
		},
	}, {
		name: "the prefix kept, and no X-Forwarded-Prefix",
		path: "/services/app/a/b",
		check: func(t *testing.T, s seen) {
			require.Equal(t, "/services/app/a/b", s.Path)
			require.Empty(t, s.Header.Get(HeaderPrefix))
		},
	}, {
		name: "untrusted forwarding headers describe only the connection",
		path: "/services/app/",
		headers: map[string][]string{
			"X-Forwarded-For":   {"10.9.9.9"},
			"X-Forwarded-Proto": {"https"},
			"X-Forwarded-Host":  {"evil.example"},
		},
		check: func(t *testing.T, s seen) {
			require.Equal(t, "192.0.2.1", s.Header.Get("X-Forwarded-For"))
			require.Equal(t, "http", s.Header.Get("X-Forwarded-Proto"))
			require.Equal(t, "hub.example.org", s.Header.Get("X-Forwarded-Host"))
		},
	}, {
		// What the hub's proxy appended is last; what a client sent
		// ahead of it is not taken.
		name: "trusted: what the proxy in front appended, never what the client sent",
		opts: Options{TrustForwarded: true},
		path: "/services/app/",
		headers: map[string][]string{
			"X-Forwarded-For":   {"203.0.113.7, 10.0.0.2"},
			"X-Forwarded-Proto": {"https,HTTP"},
			"X-Forwarded-Host":  {"public.example.org"},
		},
		check: func(t *testing.T, s seen) {
			require.Equal(t, "10.0.0.2, 192.0.2.1", s.Header.Get("X-Forwarded-For"))
			require.Equal(t, "http", s.Header.Get("X-Forwarded-Proto"))
			require.Equal(t, "hub.example.org", s.Header.Get("X-Forwarded-Host"), "the Host the request came with")
		},
	}, {
		name: "trusted but malformed forwarding headers are dropped",
		opts: Options{TrustForwarded: true},
		path: "/services/app/",
		headers: map[string][]string{
			"X-Forwarded-For":   {"10.0.0.2, <script>"},
			"X-Forwarded-Proto": {"javascript"},
			"X-Forwarded-Host":  {"evil.example/path"},
		},
		check: func(t *testing.T, s seen) {
			require.Equal(t, "192.0.2.1", s.Header.Get("X-Forwarded-For"))
			require.Equal(t, "http", s.Header.Get("X-Forwarded-Proto"))
			require.Equal(t, "hub.example.org", s.Header.Get("X-Forwarded-Host"))
		},
	}, {
		name: "the browser's Host reaches the app with PassHost",
		opts: Options{PassHost: true},
		path: "/services/app/",
		check: func(t *testing.T, s seen) {
			require.Equal(t, "hub.example.org", s.Host)
		},
	}, {
		name: "without PassHost the app gets its own address as Host",
		opts: Options{},
		path: "/services/app/",
		check: func(t *testing.T, s seen) {
			require.NotEqual(t, "hub.example.org", s.Host)
			require.True(t, strings.HasPrefix(s.Host, "127.0.0.1:"), s.Host)
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			up := newUpstream(t)
			req := httptest.NewRequest("GET", "http://hub.example.org"+tc.path, nil)
			for k, vs := range tc.headers {
				req.Header[k] = vs
			}
			if len(req.Header.Values("Authorization")) == 0 {
				req.Header.Set("Authorization", "token "+adaToken)
			}
			rec := serve(t, up, tc.opts, req)
			require.Equal(t, 200, rec.Code, rec.Body.String())
			require.Equal(t, "app page", rec.Body.String())
			tc.check(t, up.last(t))
		})
	}
}

func TestProxyRefusals(t *testing.T) {
	tests := []struct {
		name   string
		path   string
		auth   string
		status int
	}{
		{"no token", "/services/app/", "", 403},
		{"a token the hub refuses", "/services/app/", "token nope-0123456789", 403},
		{"a user without the access scope", "/services/app/", "token " + bobToken, 403},
		{"outside the prefix", "/services/other/", "token " + adaToken, 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			up := newUpstream(t)
			req := httptest.NewRequest("GET", "http://hub.example.org"+tc.path, nil)
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			rec := serve(t, up, Options{}, req)
			require.Equal(t, tc.status, rec.Code, rec.Body.String())
			require.Zero(t, up.count(), "the upstream saw nothing")
		})
	}
}

func TestProxyWithoutMiddleware(t *testing.T) {
	up := newUpstream(t)
	p, err := New(testAuth(t), Options{Upstream: up.url(t)})
	require.NoError(t, err)
	rec := httptest.NewRecorder()
	p.ServeHTTP(rec, httptest.NewRequest("GET", "/services/app/", nil))
	require.Equal(t, 500, rec.Code)
	require.Contains(t, rec.Body.String(), "middleware")
	require.Zero(t, up.count())
}

func TestUpstreamDown(t *testing.T) {
	up := newUpstream(t)
	dead := up.url(t)
	up.Close() // nothing listens there any more

	tests := []struct {
		name   string
		ready  func() bool
		accept string
		status int
		body   string
		ctype  string
	}{
		{"a browser gets a page", nil, "text/html,application/xhtml+xml", 502, "<h1>502 Bad Gateway</h1>", "text/html; charset=utf-8"},
		{"a client gets JSON", nil, "", 502, `"status":502`, "application/json"},
		{"while starting it is 503", func() bool { return false }, "", 503, "still starting", "application/json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			auth := testAuth(t)
			p, err := New(auth, Options{Upstream: dead, Ready: tc.ready})
			require.NoError(t, err)
			req := httptest.NewRequest("GET", "http://hub.example.org/services/app/", nil)
			req.Header.Set("Authorization", "token "+adaToken)
			req.Header.Set("Accept", tc.accept)
			rec := httptest.NewRecorder()
			auth.Middleware(p).ServeHTTP(rec, req)
			require.Equal(t, tc.status, rec.Code)
			require.Contains(t, rec.Body.String(), tc.body)
			require.Equal(t, tc.ctype, rec.Header().Get("Content-Type"))
			require.NotContains(t, rec.Body.String(), adaToken)
		})
	}
}

// A url-encoded post that hubauth's XSRF check parsed still reaches the
// app with its fields.
func TestFormBodyRestored(t *testing.T) {
	up := newUpstream(t)
	req := httptest.NewRequest("POST", "http://hub.example.org/services/app/form", strings.NewReader("a=1&b=two+words&_xsrf=x"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "token "+adaToken)
	rec := serve(t, up, Options{}, req)
	require.Equal(t, 200, rec.Code, rec.Body.String())
	got, err := url.ParseQuery(up.last(t).Body)
	require.NoError(t, err)
	require.Equal(t, url.Values{"a": {"1"}, "b": {"two words"}, "_xsrf": {"x"}}, got)
}

func TestNewRefusesBadOptions(t *testing.T) {
	mustURL := func(s string) *url.URL {
		u, err := url.Parse(s)
		require.NoError(t, err)
		return u
	}
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"no upstream", Options{}, "no upstream"},
		{"not http", Options{Upstream: mustURL("ftp://127.0.0.1:9000")}, "want an http or https URL"},
		{"no host", Options{Upstream: mustURL("http:///x")}, "has no host"},
		{"a query", Options{Upstream: mustURL("http://127.0.0.1:9000/?a=1")}, "query"},
		{"credentials", Options{Upstream: mustURL("http://u:secret@127.0.0.1:9000/")}, "credentials"},
		{"a bad port", Options{Upstream: mustURL("http://127.0.0.1:99999/")}, "bad port"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(testAuth(t), tc.opts)
			require.ErrorContains(t, err, tc.want)
			require.NotContains(t, err.Error(), "secret")
		})
	}
}

// The forward-auth endpoint on the proxy's own port answers with the name
// and groups only; the one for the ingress's own listener adds the token
// and model the options pass. Both use oauth2-proxy's names too.
func TestForwardAuth(t *testing.T) {
	auth := testAuth(t)
	p, err := New(auth, Options{Upstream: &url.URL{Scheme: "http", Host: "127.0.0.1:1"}, PassAccessToken: true, PassUserModel: true})
	require.NoError(t, err)
	tests := []struct {
		name   string
		auth   string
		status int
		user   string
	}{
		{"an admitted caller", "token " + adaToken, 202, "ada"},
		{"no credentials", "", 401, ""},
		{"a refused token", "token nope-0123456789", 401, ""},
		{"no access scope", "token " + bobToken, 403, ""},
	}
	for _, ingress := range []bool{false, true} {
		h := auth.Identify(p.ForwardAuth())
		if ingress {
			h = p.IngressAuth(auth.Identify)
		}
		for _, tc := range tests {
			t.Run(fmt.Sprintf("%s, ingress listener %v", tc.name, ingress), func(t *testing.T) {
				req := httptest.NewRequest("GET", "http://127.0.0.1/_hubauth/auth", nil)
				if tc.auth != "" {
					req.Header.Set("Authorization", tc.auth)
				}
				req.Header.Set("X-Forwarded-User", "forged")
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				require.Equal(t, tc.status, rec.Code, rec.Body.String())
				require.Equal(t, tc.user, rec.Header().Get(HeaderUser))
				require.Equal(t, tc.user, rec.Header().Get(HeaderAuthUser))
				require.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
				if tc.user != "" {
					require.Equal(t, "staff,ünï", rec.Header().Get(HeaderGroups))
					require.Equal(t, "staff,ünï", rec.Header().Get(HeaderAuthGroups))
				}
				if tc.user != "" && ingress {
					require.Equal(t, adaToken, rec.Header().Get(HeaderAccessToken))
					require.Equal(t, adaToken, rec.Header().Get(HeaderAuthAccessToken))
					require.Contains(t, rec.Header().Get(HeaderUserModel), `"name":"ada"`)
					return
				}
				for k, vs := range rec.Header() {
					for _, v := range vs {
						require.NotContains(t, v, adaToken, "%s carries the token", k)
					}
				}
				require.Empty(t, rec.Header().Get(HeaderUserModel))
			})
		}
	}
}

// Only callers in an allowed group reach the app, or pass forward auth.
func TestAllowedGroups(t *testing.T) {
	up := newUpstream(t)
	auth := testAuth(t)
	for _, tc := range []struct {
		groups []string
		want   int
	}{
		{nil, 200},
		{[]string{"staff"}, 200},
		{[]string{"other", "staff"}, 200},
		{[]string{"other"}, 403},
	} {
		p, err := New(auth, Options{Upstream: up.url(t), AllowedGroups: tc.groups})
		require.NoError(t, err)
		for _, h := range []http.Handler{auth.Middleware(p), p.IngressAuth(auth.Identify)} {
			req := httptest.NewRequest("GET", "http://hub.example.org/services/app/", nil)
			req.Header.Set("Authorization", "token "+adaToken)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			want := tc.want
			if want == 200 && rec.Code == 202 {
				want = 202 // the forward-auth answer
			}
			require.Equal(t, want, rec.Code, "%v: %s", tc.groups, rec.Body.String())
			if want == 403 {
				require.Contains(t, rec.Body.String(), "other")
			}
		}
	}
}

// The ingress's listener judges the browser's request as the ingress
// describes it: nginx's sub-request is a GET, the browser's was a POST
// from another origin.
func TestIngressAuthSeesTheBrowsersMethod(t *testing.T) {
	auth := testAuth(t)
	p, err := New(auth, Options{Upstream: &url.URL{Scheme: "http", Host: "127.0.0.1:1"}})
	require.NoError(t, err)
	var method, host string
	h := p.IngressAuth(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			method, host = r.Method, r.Host
			auth.Identify(next).ServeHTTP(w, r)
		})
	})
	req := httptest.NewRequest("GET", "http://127.0.0.1:4181/auth", nil)
	req.Header.Set("X-Original-Method", "post")
	req.Header.Set("X-Forwarded-Host", "app.example.org")
	req.Header.Set("Authorization", "token "+adaToken)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	require.Equal(t, 202, rec.Code)
	require.Equal(t, "POST", method)
	require.Equal(t, "app.example.org", host)
	req.Header.Set("X-Original-Method", "P O S T")
	req.Header.Set("X-Forwarded-Host", "a b")
	h.ServeHTTP(httptest.NewRecorder(), req)
	require.Equal(t, "GET", method, "a method that is no method is ignored")
	require.Equal(t, "127.0.0.1:4181", host)
}

// An app on a unix socket: the proxy reaches it there, and only there.
func TestUnixSocketUpstream(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "app.sock")
	ln, err := net.Listen("unix", sock)
	require.NoError(t, err)
	var gotHost string
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotHost = r.Host
		fmt.Fprint(w, "over the socket "+r.URL.Path)
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })

	u, err := url.Parse("unix:" + sock)
	require.NoError(t, err)
	require.NoError(t, CheckUpstream(u))
	auth := testAuth(t)
	p, err := New(auth, Options{Upstream: u, PassHost: true})
	require.NoError(t, err)
	req := httptest.NewRequest("GET", "http://hub.example.org/services/app/x", nil)
	req.Header.Set("Authorization", "token "+adaToken)
	rec := httptest.NewRecorder()
	auth.Middleware(p).ServeHTTP(rec, req)
	require.Equal(t, 200, rec.Code, rec.Body.String())
	require.Equal(t, "over the socket /services/app/x", rec.Body.String())
	require.Equal(t, "hub.example.org", gotHost)

	for _, bad := range []string{"unix:relative.sock", "unix://host/x.sock", "unix:/x.sock?q=1"} {
		u, err := url.Parse(bad)
		require.NoError(t, err)
		require.Error(t, CheckUpstream(u), bad)
	}
}

func TestASCIIJSON(t *testing.T) {
	in := `{"name":"zoë 🐍","x":"<&>"}`
	out := asciiJSON([]byte(in))
	require.Equal(t, `{"name":"zo\u00eb \ud83d\udc0d","x":"<&>"}`, out)
	var a, b any
	require.NoError(t, json.Unmarshal([]byte(in), &a))
	require.NoError(t, json.Unmarshal([]byte(out), &b))
	require.Equal(t, a, b)
}

func TestStreamsWithoutBuffering(t *testing.T) {
	// The upstream answers only after reading the whole body; a proxy
	// that buffered would not matter here, but one that did not stream the
	// answer would hold the first event until the last.
	events := make(chan struct{})
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "data: one\n\n")
		w.(http.Flusher).Flush()
		<-events
		_, _ = io.WriteString(w, "data: two\n\n")
	}))
	defer up.Close()
	u, _ := url.Parse(up.URL)
	auth := testAuth(t)
	p, err := New(auth, Options{Upstream: u})
	require.NoError(t, err)
	front := httptest.NewServer(auth.Middleware(p))
	defer front.Close()
	req, _ := http.NewRequest("GET", front.URL+"/services/app/sse", nil)
	req.Header.Set("Authorization", "token "+adaToken)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	buf := make([]byte, 64)
	n, err := resp.Body.Read(buf)
	require.NoError(t, err)
	require.Equal(t, "data: one\n\n", string(buf[:n]), "the first event arrives before the second is sent")
	close(events)
	rest, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, "data: two\n\n", string(rest))
}
