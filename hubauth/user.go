package hubauth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
)

// User is the hub's model of whoever made a request: a user or, when Kind
// is "service", another service.
//
// The typed fields are the ones services usually need. The whole model as
// the hub sent it is kept too ([User.JSON], [User.Field]), because the hub
// adds fields over time and a service that passes the model on should pass
// it on untouched.
type User struct {
	// Name is the user's or service's name.
	Name string
	// Kind is "user" or "service"; "user" when the hub left it out, as
	// JupyterHub's own client assumes.
	Kind string
	// Admin reports whether the hub made this user an admin.
	Admin bool
	// Groups are the user's group names (when the token may read them).
	Groups []string
	// Scopes are the token's scopes, already expanded by the hub.
	Scopes []string
	// SessionID is the hub login session the token belongs to, if any.
	SessionID string

	raw    json.RawMessage
	fields map[string]json.RawMessage
	// derived holds what Derived computed from this answer; set by
	// ParseUser, so a User built by hand simply recomputes.
	derived *sync.Map
}

// userJSON is the part of the model the typed fields come from.
type userJSON struct {
	Name      *string  `json:"name"`
	Kind      string   `json:"kind"`
	Admin     bool     `json:"admin"`
	Groups    []string `json:"groups"`
	Scopes    []string `json:"scopes"`
	SessionID *string  `json:"session_id"`
}

// ParseUser reads a model as returned by the hub's GET /hub/api/user.
// The model must be a JSON object with a string "name".
func ParseUser(data []byte) (*User, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return nil, fmt.Errorf("user model is not a JSON object: %w", err)
	}
	var typed userJSON
	if err := json.Unmarshal(data, &typed); err != nil {
		return nil, fmt.Errorf("user model has a field of the wrong type: %w", err)
	}
	if typed.Name == nil || *typed.Name == "" {
		return nil, errors.New("user model has no name")
	}
	u := &User{
		Name:    *typed.Name,
		Kind:    typed.Kind,
		Admin:   typed.Admin,
		Groups:  typed.Groups,
		Scopes:  typed.Scopes,
		fields:  fields,
		derived: new(sync.Map),
	}
	if u.Kind == "" {
		u.Kind = "user"
	}
	if typed.SessionID != nil {
		u.SessionID = *typed.SessionID
	}
	raw := bytes.TrimSpace(data)
	if _, ok := fields["kind"]; !ok {
		// Add "kind" as JupyterHub's client does, splicing it in so the
		// rest of the model keeps its exact bytes.
		u.Kind = "user"
		kind := json.RawMessage(`"user"`)
		fields["kind"] = kind
		spliced := []byte(`{"kind": "user"`)
		if rest := bytes.TrimSpace(raw[1:]); len(rest) > 0 && rest[0] != '}' {
			spliced = append(spliced, ',', ' ')
		}
		raw = append(spliced, raw[1:]...)
	} else {
		raw = bytes.Clone(raw)
	}
	u.raw = raw
	return u, nil
}

// JSON returns the model as the hub sent it (with "kind" added when it was
// missing). The caller must not modify it.
func (u *User) JSON() json.RawMessage { return u.raw }

// MarshalJSON writes the model as the hub sent it.
func (u *User) MarshalJSON() ([]byte, error) { return u.raw, nil }

// Field returns one field of the model as raw JSON, and whether it exists.
func (u *User) Field(name string) (json.RawMessage, bool) {
	v, ok := u.fields[name]
	return v, ok
}

// IsService reports whether the caller is a service rather than a user.
func (u *User) IsService() bool { return u.Kind == "service" }

// Derived returns what compute makes of u, computing it once per hub
// answer. Every request with a cached token gets the same *User, so a
// handler that renders the model (as whoami does, formatting it the way
// Python would) can do that work once per answer rather than once per
// request. key tells apart what different callers derive; like a context
// key, it should be a value of an unexported type. compute may run more
// than once when requests race for a new answer; one result is kept.
func (u *User) Derived(key any, compute func(*User) any) any {
	if u.derived == nil {
		return compute(u)
	}
	if v, ok := u.derived.Load(key); ok {
		return v
	}
	v, _ := u.derived.LoadOrStore(key, compute(u))
	return v
}
