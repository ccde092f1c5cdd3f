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

// HubClient calls the hub's REST API. Build one per service with
// [NewHubClient]; it keeps connections to the hub alive between calls.
type HubClient struct {
	apiURL  string // as configured, for messages
	base    string // request URL prefix (a placeholder host for http+unix)
	http    *http.Client
	timeout time.Duration
}

// NewHubClient makes a client for cfg.APIURL, dialing the socket for
// http+unix (and unix+http) URLs, and, under internal SSL, presenting the
// service's key pair and trusting only the hub's CA bundle
// (cfg.SSLKeyFile, SSLCertFile, SSLClientCA). The OAuth code exchange uses
// the same client, so it goes the same way.
func NewHubClient(cfg Config) (*HubClient, error) {
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
	return &HubClient{
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

// UserForToken asks the hub who the token belongs to, without any cache.
// It returns [ErrInvalidToken] when the hub refuses the token, and a
// [*HubError] when the hub could not be asked or answered nonsense.
func (c *HubClient) UserForToken(ctx context.Context, token string) (*User, error) {
	if !plausibleToken(token) {
		return nil, ErrInvalidToken
	}
	endpoint := c.base + "/user"
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint, nil)
	if err != nil {
		return nil, &HubError{URL: endpoint, Message: fmt.Sprintf("bad JupyterHub API URL %s: %v", c.apiURL, err), Err: err}
	}
	req.Header.Set("Authorization", "token "+token)
	req.Header.Set("Accept", "application/json")

	resp, err := c.http.Do(req)
	if err != nil {
		return nil, c.transportError(endpoint, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxHubAnswer))
	if err != nil {
		return nil, c.transportError(endpoint, err)
	}

	switch {
	case resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusUnauthorized:
		// The request carried the caller's token, not ours: the hub is
		// saying the token is no good.
		return nil, ErrInvalidToken
	case resp.StatusCode != http.StatusOK:
		return nil, &HubError{
			URL:        endpoint,
			StatusCode: resp.StatusCode,
			Message: fmt.Sprintf("JupyterHub API at %s answered %d to GET /user%s",
				c.apiURL, resp.StatusCode, hubMessage(body)),
		}
	}
	u, err := ParseUser(body)
	if err != nil {
		return nil, &HubError{
			URL: endpoint, StatusCode: resp.StatusCode, Err: err,
			Message: fmt.Sprintf("JupyterHub API at %s gave an unusable answer to GET /user: %v", c.apiURL, err),
		}
	}
	return u, nil
}

func (c *HubClient) transportError(endpoint string, err error) *HubError {
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
