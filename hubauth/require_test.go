package hubauth

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRequireScopes(t *testing.T) {
	hub := newFakeHub(t)
	hub.addUser(adaToken, `{"name": "ada", "scopes": ["access:services!service=whoami", "admin:users"]}`)
	hub.addUser(bobToken, `{"name": "bob", "scopes": ["access:services!service=whoami", "admin:users!user=bob"]}`)
	hub.addUser("carl-token", `{"name": "carl", "scopes": ["read:users"]}`)
	a := newTestAuth(t, testConfig(hub.apiURL()), nil)

	for _, tc := range []struct {
		name   string
		scopes []string
		token  string
		status int
		msg    string
	}{
		{"unfiltered scope", []string{"admin:users"}, adaToken, 200, ""},
		{"unfiltered grants filtered", []string{"admin:users!user=bob"}, adaToken, 200, ""},
		{"filtered grants its own target", []string{"admin:users!user=bob"}, bobToken, 200, ""},
		{"filtered does not grant unfiltered", []string{"admin:users"}, bobToken, 403, "user bob may not use this page: it needs one of the scopes [admin:users]"},
		{"one of several", []string{"admin:groups", "admin:users!user=bob"}, bobToken, 200, ""},
		{"not admitted to the service at all", []string{"read:users"}, "carl-token", 403, "may not use this service"},
		{"no token", []string{"admin:users"}, "", 403, "no token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/services/whoami/admin", nil)
			if tc.token != "" {
				r.Header.Set("Authorization", "token "+tc.token)
			}
			status, body := serve(a.Middleware(RequireScopes(tc.scopes...)(echoUser)), r)
			require.Equal(t, tc.status, status, body)
			require.Contains(t, body, tc.msg)
		})
	}

	// Identify alone before it: callers not admitted get their refusal.
	r := httptest.NewRequest("GET", "/", nil)
	status, _ := serve(a.Identify(RequireScopes("admin:users")(echoUser)), r)
	require.Equal(t, 403, status)
	// Wired without Identify: a clear 500, never a panic.
	status, body := serve(RequireScopes("admin:users")(echoUser), r)
	require.Equal(t, 500, status)
	require.Contains(t, body, "need Identify")
}

func TestRequireFunc(t *testing.T) {
	hub := newFakeHub(t)
	hub.addUser(adaToken, adaModel) // groups: ["g"]
	a := newTestAuth(t, testConfig(hub.apiURL()), nil)
	for _, tc := range []struct {
		name   string
		check  func(*http.Request, *User) error
		status int
		msg    string
	}{
		{"allowed", func(*http.Request, *User) error { return nil }, 200, "ada"},
		{"own error is a 403 with its text", func(_ *http.Request, u *User) error {
			if !slices.Contains(u.Groups, "staff") {
				return errors.New("this page is for the staff group")
			}
			return nil
		}, 403, "this page is for the staff group"},
		{"per request", func(r *http.Request, u *User) error {
			if r.URL.Query().Get("user") != u.Name {
				return &ForbiddenError{User: u, Needed: []string{"admin:users"}, Target: "another user's page"}
			}
			return nil
		}, 403, "user ada may not use another user's page"},
		{"a hub failure keeps its status", func(*http.Request, *User) error {
			return &HubError{Message: "hub down", StatusCode: 0}
		}, 503, "hub down"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/services/whoami/page?user=bob", nil)
			r.Header.Set("Authorization", "token "+adaToken)
			status, body := serve(a.Middleware(RequireFunc(tc.check)(echoUser)), r)
			require.Equal(t, tc.status, status, body)
			require.Contains(t, body, tc.msg)
		})
	}
}
