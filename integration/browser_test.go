package integration

import (
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// browser is an HTTP client with a cookie jar that goes through the hub's
// pages as a person would: it follows redirects one at a time (keeping
// each hop for the test to look at), logs in on the hub's login form and
// approves the hub's authorize page.
type browser struct {
	t        *testing.T
	client   *http.Client
	jar      *cookiejar.Jar
	user     string
	hops     []hop // every response of the last visit, in order
	maxHops  int
	approved int // authorize pages submitted
	// before, when set, is called with the URL of every request before it
	// is sent and may send it elsewhere: to another replica, or after
	// restarting one.
	before func(url string) string
}

type hop struct {
	url    string
	status int
	header http.Header
	body   string
}

func newBrowser(t *testing.T, user string) *browser {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &browser{
		t:   t,
		jar: jar,
		client: &http.Client{
			Jar:     jar,
			Timeout: 30 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		},
		user:    user,
		maxHops: 20,
	}
}

// do sends one request, follows nothing, and records the answer.
func (b *browser) do(method, rawURL string, form url.Values, header http.Header) hop {
	b.t.Helper()
	if b.before != nil {
		rawURL = b.before(rawURL)
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, rawURL, body)
	require.NoError(b.t, err)
	for k, v := range header {
		req.Header[k] = v
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.client.Do(req)
	require.NoError(b.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(b.t, err)
	h := hop{url: rawURL, status: resp.StatusCode, header: resp.Header, body: string(raw)}
	b.hops = append(b.hops, h)
	return h
}

// get is one GET, no redirects followed.
func (b *browser) get(rawURL string) hop {
	b.t.Helper()
	b.hops = nil
	return b.do(http.MethodGet, rawURL, nil, nil)
}

// visit GETs rawURL and follows redirects and the hub's login and
// authorize forms until a page that is none of those, which it returns.
func (b *browser) visit(rawURL string) hop {
	b.t.Helper()
	b.hops = nil
	h := b.do(http.MethodGet, rawURL, nil, nil)
	for range b.maxHops {
		switch {
		case h.status >= 300 && h.status < 400:
			next := resolve(b.t, h.url, h.header.Get("Location"))
			h = b.do(http.MethodGet, next, nil, nil)
		case h.status == 200 && strings.Contains(h.body, `name="username"`):
			action, fields := parseForm(b.t, h)
			fields.Set("username", b.user)
			fields.Set("password", "any password")
			h = b.do(http.MethodPost, action, fields, nil)
		case h.status == 200 && strings.Contains(h.url, "/oauth2/authorize") && strings.Contains(h.body, `name="scopes"`):
			action, fields := parseForm(b.t, h)
			b.approved++
			h = b.do(http.MethodPost, action, fields, nil)
		default:
			return h
		}
	}
	b.t.Fatalf("more than %d hops from %s", b.maxHops, rawURL)
	return h
}

// login logs in at the hub, without visiting any service.
func (b *browser) login(hubURL string) {
	b.t.Helper()
	h := b.visit(hubURL + "/hub/login")
	require.Equal(b.t, 200, h.status, "after logging in at the hub: %s", h.url)
	require.Contains(b.t, b.cookieNames(hubURL+"/hub/"), "jupyterhub-session-id")
}

// cookieNames lists the names of the cookies the jar would send to rawURL.
func (b *browser) cookieNames(rawURL string) []string {
	u, err := url.Parse(rawURL)
	require.NoError(b.t, err)
	var names []string
	for _, c := range b.jar.Cookies(u) {
		names = append(names, c.Name)
	}
	return names
}

// cookie returns the value of the named cookie the jar would send to
// rawURL, or "".
func (b *browser) cookie(rawURL, name string) string {
	u, err := url.Parse(rawURL)
	require.NoError(b.t, err)
	for _, c := range b.jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// setCookie puts a cookie in the jar as if the server at rawURL had set it.
func (b *browser) setCookie(rawURL string, c *http.Cookie) {
	u, err := url.Parse(rawURL)
	require.NoError(b.t, err)
	b.jar.SetCookies(u, []*http.Cookie{c})
}

// setCookiesOf returns the Set-Cookie headers of the hops whose URL
// contains part, parsed.
func (b *browser) setCookiesOf(part string) []*http.Cookie {
	var out []*http.Cookie
	for _, h := range b.hops {
		if strings.Contains(h.url, part) {
			out = append(out, (&http.Response{Header: h.header}).Cookies()...)
		}
	}
	return out
}

var (
	formRe  = regexp.MustCompile(`(?is)<form[^>]*\baction="([^"]*)"`)
	inputRe = regexp.MustCompile(`(?is)<input\b[^>]*>`)
	attrRe  = regexp.MustCompile(`(?is)\b(type|name|value)="([^"]*)"`)
)

// parseForm reads the first form of a hub page: where it posts, and its
// hidden fields.
func parseForm(t *testing.T, h hop) (string, url.Values) {
	t.Helper()
	m := formRe.FindStringSubmatch(h.body)
	require.NotNil(t, m, "no form on %s", h.url)
	action := resolve(t, h.url, html.UnescapeString(m[1]))
	fields := url.Values{}
	for _, input := range inputRe.FindAllString(h.body, -1) {
		attrs := map[string]string{}
		for _, a := range attrRe.FindAllStringSubmatch(input, -1) {
			attrs[strings.ToLower(a[1])] = html.UnescapeString(a[2])
		}
		if attrs["type"] == "hidden" && attrs["name"] != "" {
			fields.Add(attrs["name"], attrs["value"])
		}
	}
	return action, fields
}

func resolve(t *testing.T, base, ref string) string {
	t.Helper()
	b, err := url.Parse(base)
	require.NoError(t, err)
	r, err := url.Parse(ref)
	require.NoError(t, err, "location %q", ref)
	return b.ResolveReference(r).String()
}
