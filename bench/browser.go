package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Browser is an HTTP client with a cookie jar that goes through the hub's
// pages as a person would: it follows redirects one at a time, logs in on
// the hub's login form (the rig's hub admits any user with any password)
// and approves the hub's authorize page. It is how the benchmark and the
// soak get real login cookies from the real hub.
//
// Unlike the integration tests' browser it returns errors instead of
// failing a test, so load goroutines can use it, and it records every hop
// so the soak can judge each answer.
type Browser struct {
	User   string
	Client *http.Client
	Jar    *cookiejar.Jar
	// Hops are the answers of the last Visit or Get, in order.
	Hops []Hop
	// Timeout bounds each hop.
	Timeout time.Duration
}

// Hop is one request and its answer. Err is set (and Status is 0) when no
// answer came.
type Hop struct {
	Method  string
	URL     string
	Start   time.Time
	Latency time.Duration
	Status  int
	Header  http.Header
	Body    string
	Err     error
}

// NewBrowser is a browser for user with an empty jar. Its transport keeps
// at most conns connections per host open.
func NewBrowser(user string, conns int, timeout time.Duration) *Browser {
	jar, _ := cookiejar.New(nil) // never fails without options
	return &Browser{
		User: user,
		Jar:  jar,
		Client: &http.Client{
			Jar:       jar,
			Transport: LoopbackTransport(conns),
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		},
		Timeout: timeout,
	}
}

// Do sends one request, follows nothing, and records the answer.
func (b *Browser) Do(method, rawURL string, form url.Values, timeout time.Duration) Hop {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	h := Hop{Method: method, URL: rawURL, Start: time.Now()}
	req, err := http.NewRequest(method, rawURL, body)
	if err != nil {
		h.Err = err
		b.Hops = append(b.Hops, h)
		return h
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if timeout == 0 {
		timeout = b.Timeout
	}
	c := *b.Client
	c.Timeout = timeout
	resp, err := c.Do(req)
	if err == nil {
		var raw []byte
		raw, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		h.Status, h.Header, h.Body = resp.StatusCode, resp.Header, string(raw)
	}
	h.Err = err
	h.Latency = time.Since(h.Start)
	b.Hops = append(b.Hops, h)
	return h
}

// Get is one GET, no redirects followed.
func (b *Browser) Get(rawURL string) Hop {
	b.Hops = b.Hops[:0]
	return b.Do(http.MethodGet, rawURL, nil, 0)
}

// Visit GETs rawURL and follows redirects and the hub's login and
// authorize forms until a page that is none of those, which it returns.
// timeoutFor, if not nil, gives each hop's time limit from its URL.
func (b *Browser) Visit(rawURL string, timeoutFor func(string) time.Duration) (Hop, error) {
	b.Hops = b.Hops[:0]
	limit := func(u string) time.Duration {
		if timeoutFor != nil {
			return timeoutFor(u)
		}
		return 0
	}
	h := b.Do(http.MethodGet, rawURL, nil, limit(rawURL))
	for range 20 {
		if h.Err != nil {
			return h, h.Err
		}
		switch {
		case h.Status >= 300 && h.Status < 400:
			next, err := resolve(h.URL, h.Header.Get("Location"))
			if err != nil {
				return h, err
			}
			h = b.Do(http.MethodGet, next, nil, limit(next))
		case h.Status == 200 && strings.Contains(h.Body, `name="username"`):
			action, fields, err := parseForm(h)
			if err != nil {
				return h, err
			}
			fields.Set("username", b.User)
			fields.Set("password", "any password")
			h = b.Do(http.MethodPost, action, fields, limit(action))
		case h.Status == 200 && strings.Contains(h.URL, "/oauth2/authorize") && strings.Contains(h.Body, `name="scopes"`):
			action, fields, err := parseForm(h)
			if err != nil {
				return h, err
			}
			h = b.Do(http.MethodPost, action, fields, limit(action))
		default:
			return h, nil
		}
	}
	return h, fmt.Errorf("more than 20 hops from %s", rawURL)
}

// Cookie returns the value of the named cookie the jar would send to
// rawURL, or "".
func (b *Browser) Cookie(rawURL, name string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	for _, c := range b.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// CookieHeader is the Cookie header the jar would send to rawURL: every
// cookie a browser holds for the page, as it sends them on a page load.
func (b *Browser) CookieHeader(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	var parts []string
	for _, c := range b.Jar.Cookies(u) {
		parts = append(parts, c.Name+"="+c.Value)
	}
	return strings.Join(parts, "; ")
}

// HopSummary lists the last visit's hops, for error messages: each URL
// (without its query, which may hold codes) and status.
func (b *Browser) HopSummary() string {
	var parts []string
	for _, h := range b.Hops {
		u, _, _ := strings.Cut(h.URL, "?")
		parts = append(parts, fmt.Sprintf("%s %s -> %d %s", h.Method, u, h.Status, h.Header.Get("Location")))
	}
	return strings.Join(parts, "; ")
}

// modelName is the "name" of a JSON user model, or "".
func modelName(body string) string {
	var m struct {
		Name string `json:"name"`
	}
	if json.Unmarshal([]byte(body), &m) != nil {
		return ""
	}
	return m.Name
}

// CloseIdle closes the browser's idle connections.
func (b *Browser) CloseIdle() { b.Client.CloseIdleConnections() }

// LoopbackTransport is an HTTP transport that keeps at most conns
// connections per host and dials only 127.0.0.1: the soak and the benchmark
// never send a request off the machine.
func LoopbackTransport(conns int) *http.Transport {
	d := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Transport{
		Proxy:               nil,
		MaxConnsPerHost:     conns,
		MaxIdleConnsPerHost: conns,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			if host != "127.0.0.1" {
				return nil, fmt.Errorf("refusing to dial %s: only 127.0.0.1", addr)
			}
			return d.DialContext(ctx, network, addr)
		},
	}
}

var (
	formRe  = regexp.MustCompile(`(?is)<form[^>]*\baction="([^"]*)"`)
	inputRe = regexp.MustCompile(`(?is)<input\b[^>]*>`)
	attrRe  = regexp.MustCompile(`(?is)\b(type|name|value)="([^"]*)"`)
)

// parseForm reads the first form of a hub page: where it posts, and its
// hidden fields.
func parseForm(h Hop) (string, url.Values, error) {
	m := formRe.FindStringSubmatch(h.Body)
	if m == nil {
		return "", nil, fmt.Errorf("no form on %s", h.URL)
	}
	action := h.URL // a form without an action posts to its page
	if a := html.UnescapeString(m[1]); a != "" {
		var err error
		if action, err = resolve(h.URL, a); err != nil {
			return "", nil, err
		}
	}
	fields := url.Values{}
	for _, input := range inputRe.FindAllString(h.Body, -1) {
		attrs := map[string]string{}
		for _, a := range attrRe.FindAllStringSubmatch(input, -1) {
			attrs[strings.ToLower(a[1])] = html.UnescapeString(a[2])
		}
		if attrs["type"] == "hidden" && attrs["name"] != "" {
			fields.Add(attrs["name"], attrs["value"])
		}
	}
	return action, fields, nil
}

func resolve(base, ref string) (string, error) {
	if ref == "" {
		return "", errors.New("redirect without a Location")
	}
	b, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	r, err := url.Parse(ref)
	if err != nil {
		return "", fmt.Errorf("location %q: %w", ref, err)
	}
	return b.ResolveReference(r).String(), nil
}
