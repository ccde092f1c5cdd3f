package hubauth

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// Ping asks the hub's API for its version (GET {API}/, which the hub
// answers without a token) and returns it. It is the cheapest real call
// there is, which makes it the readiness check of a service: an error
// means the hub could not be reached, did not answer within the hub
// timeout, or answered something that is not JupyterHub's API (a wrong
// JUPYTERHUB_API_URL). The error is a [*HubError] naming the API URL. Ping
// never sends a token.
func (c *HubClient) Ping(ctx context.Context) (version string, err error) {
	endpoint := c.base + "/"
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint, nil)
	if err != nil {
		return "", &HubError{URL: endpoint, Message: fmt.Sprintf("bad JupyterHub API URL %s: %v", c.apiURL, err), Err: err}
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return "", c.transportError(endpoint, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return "", c.transportError(endpoint, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", &HubError{URL: endpoint, StatusCode: resp.StatusCode,
			Message: fmt.Sprintf("JupyterHub API at %s answered %d to GET /%s", c.apiURL, resp.StatusCode, hubMessage(body))}
	}
	var answer struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(body, &answer); err != nil || answer.Version == "" {
		return "", &HubError{URL: endpoint, StatusCode: resp.StatusCode, Err: err,
			Message: fmt.Sprintf("JupyterHub API at %s gave no version at GET /: is JUPYTERHUB_API_URL the hub's API?", c.apiURL)}
	}
	return answer.Version, nil
}

// Hub returns the client the Authenticator calls the hub with, for
// readiness checks ([HubClient.Ping]) and calls of the service's own.
func (a *Authenticator) Hub() *HubClient { return a.hub }
