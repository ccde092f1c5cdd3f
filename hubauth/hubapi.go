package hubauth

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// HubAPI sends a request to the hub's REST API ({JUPYTERHUB_API_URL}{path},
// e.g. path "/users/ada") with token, over the same connections (unix
// socket, TLS) the Authenticator uses. With the caller's own token
// ([TokenFromContext]) the service acts on the caller's behalf, with what
// that token may do: for an OAuth login, the scopes the service's
// oauth_client_allowed_scopes let it ask for.
//
// The caller reads and closes the response body. The request, body
// included, ends with ctx or after HUBAUTH_HUB_TIMEOUT, whichever is first;
// a status the hub answers is not an error. The token never appears in the
// error.
func (a *Authenticator) HubAPI(ctx context.Context, token, method, path string, body io.Reader) (*http.Response, error) {
	if !strings.HasPrefix(path, "/") {
		return nil, fmt.Errorf("hub API path %q must start with /", path)
	}
	ctx, cancel := context.WithTimeout(ctx, a.hub.timeout)
	req, err := http.NewRequestWithContext(ctx, method, a.hub.base+path, body)
	if err != nil {
		cancel()
		return nil, err
	}
	req.Header.Set("Authorization", "token "+token)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.hub.http.Do(req)
	if err != nil {
		cancel()
		return nil, a.hub.transportError(a.hub.base+path, err)
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
