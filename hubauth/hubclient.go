package hubauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// maxHubAnswer bounds how much of a hub answer is read. A user model is a
// few kilobytes; a user with thousands of groups or servers stays far below.
const maxHubAnswer = 8 << 20

// hubClient calls the hub's REST API: who a token belongs to, whether the
// hub is up, and any call a service makes with a caller's token. It keeps
// connections to the hub alive between calls, and reports every call to
// an Observer when one is set (observe).
type hubClient struct {
	apiURL  string // as configured, for messages
	base    string // request URL prefix (a placeholder host for http+unix)
	http    *http.Client
	timeout time.Duration
}

// newHubClient makes a client for cfg.APIURL, dialing the socket for
// http+unix (and unix+http) URLs, and, under internal SSL, presenting the
// service's key pair and trusting only the hub's CA bundle
// (cfg.SSLKeyFile, SSLCertFile, SSLClientCA). The OAuth code exchange uses
// the same client, so it goes the same way.
func newHubClient(cfg Config) (*hubClient, error) {
	ep, err := parseAPIURL(cfg.APIURL)
	if err != nil {
		return nil, fmt.Errorf("JUPYTERHUB_API_URL: %w", err)
	}
	tlsConf, err := cfg.hubTLS()
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if tlsConf != nil {
		tr.TLSClientConfig = tlsConf
	}
	// Every request to the service can mean a call to the hub; keep enough
	// idle connections that a busy service does not redial for each one.
	tr.MaxIdleConns = 256
	tr.MaxIdleConnsPerHost = 64
	tr.Proxy = nil // the hub API is internal: an HTTP_PROXY meant for the outside must not catch it
	if ep.unixSocket != "" {
		socket := ep.unixSocket
		dialer := &net.Dialer{Timeout: 5 * time.Second}
		tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			return dialer.DialContext(ctx, "unix", socket)
		}
	}
	timeout := cfg.HubTimeout
	if timeout <= 0 {
		timeout = DefaultHubTimeout
	}
	return &hubClient{
		apiURL:  cfg.APIURL,
		base:    ep.base,
		http:    &http.Client{Transport: tr, CheckRedirect: noRedirects},
		timeout: timeout,
	}, nil
}

// noRedirects keeps the token on the hub: the API never redirects, so a
// redirect means a wrong URL, and following it could send the token
// elsewhere.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// get sends GET {API}{path} with token ("" for none) and reads the answer,
// within the hub timeout.
func (c *hubClient) get(ctx context.Context, token, path string) (status int, body []byte, err error) {
	endpoint := c.base + path
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint, nil)
	if err != nil {
		return 0, nil, &HubError{URL: endpoint, Message: fmt.Sprintf("bad JupyterHub API URL %s: %v", c.apiURL, err), Err: err}
	}
	if token != "" {
		req.Header.Set("Authorization", "token "+token)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, c.transportError(endpoint, err)
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(io.LimitReader(resp.Body, maxHubAnswer))
	if err != nil {
		return 0, nil, c.transportError(endpoint, err)
	}
	return resp.StatusCode, body, nil
}

// userForToken asks the hub who the token belongs to, without any cache.
// It returns [ErrInvalidToken] when the hub refuses the token, and a
// [*HubError] when the hub could not be asked or answered nonsense.
func (c *hubClient) userForToken(ctx context.Context, token string) (*User, error) {
	if !plausibleToken(token) {
		return nil, ErrInvalidToken
	}
	status, body, err := c.get(ctx, token, "/user")
	switch {
	case err != nil:
		return nil, err
	case status == http.StatusForbidden || status == http.StatusUnauthorized:
		// The request carried the caller's token, not ours: the hub is
		// saying the token is no good.
		return nil, ErrInvalidToken
	case status != http.StatusOK:
		return nil, &HubError{URL: c.base + "/user", StatusCode: status,
			Message: fmt.Sprintf("JupyterHub API at %s answered %d to GET /user%s", c.apiURL, status, hubMessage(body))}
	}
	u, err := ParseUser(body)
	if err != nil {
		return nil, &HubError{URL: c.base + "/user", StatusCode: status, Err: err,
			Message: fmt.Sprintf("JupyterHub API at %s gave an unusable answer to GET /user: %v", c.apiURL, err)}
	}
	return u, nil
}

// ping asks the hub's API for its version (GET {API}/, which the hub
// answers without a token). It never sends a token.
func (c *hubClient) ping(ctx context.Context) (version string, err error) {
	status, body, err := c.get(ctx, "", "/")
	if err != nil {
		return "", err
	}
	if status != http.StatusOK {
		return "", &HubError{URL: c.base + "/", StatusCode: status,
			Message: fmt.Sprintf("JupyterHub API at %s answered %d to GET /%s", c.apiURL, status, hubMessage(body))}
	}
	var answer struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(body, &answer); err != nil || answer.Version == "" {
		return "", &HubError{URL: c.base + "/", StatusCode: status, Err: err,
			Message: fmt.Sprintf("JupyterHub API at %s gave no version at GET /: is JUPYTERHUB_API_URL the hub's API?", c.apiURL)}
	}
	return answer.Version, nil
}

// do sends any request to the API with token; see [Authenticator.HubAPI].
func (c *hubClient) do(ctx context.Context, token, method, path string, body io.Reader) (*http.Response, error) {
	if !strings.HasPrefix(path, "/") {
		return nil, fmt.Errorf("hub API path %q must start with /", path)
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		cancel()
		return nil, err
	}
	req.Header.Set("Authorization", "token "+token)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		cancel()
		return nil, c.transportError(c.base+path, err)
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// cancelOnClose ends a request's context when its body is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

func (c *hubClient) transportError(endpoint string, err error) *HubError {
	var netErr net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout()) {
		return &HubError{URL: endpoint, Err: err, Timeout: true,
			Message: fmt.Sprintf("JupyterHub API at %s did not answer within %s", c.apiURL, c.timeout)}
	}
	return &HubError{URL: endpoint, Err: err,
		Message: fmt.Sprintf("cannot reach JupyterHub API at %s: %s", c.apiURL, rootCause(err))}
}

// rootCause drops the "Get <url>:" wrapping of a client error, which would
// only repeat the URL.
func rootCause(err error) string {
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		err = urlErr.Err
	}
	return err.Error()
}

// hubMessage extracts the hub's own explanation from an error body: the
// JSON "message" (or OAuth "error_description"/"error"), else a short
// excerpt of the text.
func hubMessage(body []byte) string {
	var m struct {
		Message          string `json:"message"`
		ErrorDescription string `json:"error_description"`
		Error            string `json:"error"`
	}
	if json.Unmarshal(body, &m) == nil {
		for _, s := range []string{m.Message, m.ErrorDescription, m.Error} {
			if s != "" {
				return ": " + excerpt(s)
			}
		}
		return ""
	}
	if s := strings.TrimSpace(string(body)); s != "" && !strings.HasPrefix(s, "<") {
		return ": " + excerpt(s)
	}
	return ""
}

func excerpt(s string) string {
	const n = 200
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}

// observe has every request the client sends reported to o.HubCall, by
// wrapping its transport (which the OAuth code exchange shares). Without
// an Observer the transport stays as it was.
func (c *hubClient) observe(o *Observer) {
	if t, ok := c.http.Transport.(*observedTransport); ok {
		c.http.Transport = t.next // WithObserver given twice: the last wins
	}
	if o == nil || o.HubCall == nil {
		return
	}
	basePath := ""
	if u, err := url.Parse(c.base); err == nil {
		basePath = strings.TrimSuffix(u.Path, "/")
	}
	client := *c.http // the client is the hubClient's own, but copy rather than change it in place
	next := client.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	client.Transport = &observedTransport{next: next, obs: o, basePath: basePath}
	c.http = &client
}

// observedTransport times each request to the hub and reports it.
type observedTransport struct {
	next     http.RoundTripper
	obs      *Observer
	basePath string // the API URL's path, trimmed from reported paths
}

func (t *observedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	call := HubCall{
		Method:   req.Method,
		Path:     strings.TrimPrefix(req.URL.Path, t.basePath),
		Err:      err,
		Duration: time.Since(start),
	}
	if call.Path == "" {
		call.Path = "/"
	}
	if resp != nil {
		call.Status = resp.StatusCode
	}
	t.obs.HubCall(req.Context(), call)
	return resp, err
}
