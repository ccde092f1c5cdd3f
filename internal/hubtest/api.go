package hubtest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"testing"
)

// API calls the hub's REST API as the rig's admin service: method on
// APIURL+path with body (JSON-encoded unless nil), decoding the answer into
// out when out is not nil. It returns the status; transport errors fail the
// test.
func (h *Hub) API(t testing.TB, method, path string, body, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatalf("encode %s %s body: %v", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, h.apiBase+path, rd)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	req.Header.Set("Authorization", "token "+h.AdminToken)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	c, err := h.apiClient()
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read answer: %v", method, path, err)
	}
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: decode answer %q: %v", method, path, raw, err)
		}
	}
	if resp.StatusCode >= 300 && out == nil {
		t.Logf("%s %s: %d %s", method, path, resp.StatusCode, raw)
	}
	return resp.StatusCode
}

// mustAPI is API that fails the test unless the status is want.
func (h *Hub) mustAPI(t testing.TB, want int, method, path string, body, out any) {
	t.Helper()
	if got := h.API(t, method, path, body, out); got != want {
		t.Fatalf("%s %s: want %d, got %d\nhub log:\n%s", method, path, want, got, h.LogTail())
	}
}

// CreateUser adds a user to the hub.
func (h *Hub) CreateUser(t testing.TB, name string) {
	t.Helper()
	h.mustAPI(t, http.StatusCreated, "POST", "/users/"+url.PathEscape(name), nil, nil)
}

// DeleteUser removes a user, with their tokens.
func (h *Hub) DeleteUser(t testing.TB, name string) {
	t.Helper()
	h.mustAPI(t, http.StatusNoContent, "DELETE", "/users/"+url.PathEscape(name), nil, nil)
}

// NewToken issues an API token for user. nil scopes give the token all the
// user's own permissions, as the hub's token page does.
func (h *Hub) NewToken(t testing.TB, user string, scopes []string) string {
	t.Helper()
	body := map[string]any{"note": "hubtest"}
	if scopes != nil {
		body["scopes"] = scopes
	}
	var answer struct {
		Token string `json:"token"`
	}
	h.mustAPI(t, http.StatusCreated, "POST", "/users/"+url.PathEscape(user)+"/tokens", body, &answer)
	if answer.Token == "" {
		t.Fatalf("hub issued no token for %s", user)
	}
	return answer.Token
}

// AddToGroup puts users in group.
func (h *Hub) AddToGroup(t testing.TB, group string, users ...string) {
	t.Helper()
	h.mustAPI(t, http.StatusOK, "POST", "/groups/"+url.PathEscape(group)+"/users", map[string]any{"users": users}, nil)
}

// RemoveFromGroup takes users out of group.
func (h *Hub) RemoveFromGroup(t testing.TB, group string, users ...string) {
	t.Helper()
	h.mustAPI(t, http.StatusOK, "DELETE", "/groups/"+url.PathEscape(group)+"/users", map[string]any{"users": users}, nil)
}
