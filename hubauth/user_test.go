package hubauth

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseUser(t *testing.T) {
	u, err := ParseUser([]byte(adaModel))
	require.NoError(t, err)
	require.Equal(t, "ada", u.Name)
	require.Equal(t, "user", u.Kind)
	require.False(t, u.IsService())
	require.Equal(t, adaModel, string(u.JSON()), "kept byte for byte")
	raw, ok := u.Field("future_field")
	require.True(t, ok)
	require.JSONEq(t, `{"x": [1, 2.5]}`, string(raw))
	_, ok = u.Field("missing")
	require.False(t, ok)

	out, err := json.Marshal(struct{ U *User }{u})
	require.NoError(t, err)
	require.JSONEq(t, `{"U": `+adaModel+`}`, string(out))
}

func TestParseUserAddsKind(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"name": "svc", "admin": false}`, `{"kind": "user", "name": "svc", "admin": false}`},
		{` {"name":"a"} `, `{"kind": "user", "name":"a"}`},
	} {
		u, err := ParseUser([]byte(tc.in))
		require.NoError(t, err)
		require.Equal(t, "user", u.Kind)
		require.Equal(t, tc.want, string(u.JSON()))
		require.True(t, json.Valid(u.JSON()))
	}
}

func TestParseUserService(t *testing.T) {
	u, err := ParseUser([]byte(`{"kind": "service", "name": "cron", "scopes": ["access:services!service=whoami"], "session_id": "abc"}`))
	require.NoError(t, err)
	require.True(t, u.IsService())
	require.Equal(t, "abc", u.SessionID)
	require.Equal(t, []string{"access:services!service=whoami"}, u.Scopes)
}

func TestParseUserRejects(t *testing.T) {
	for _, in := range []string{``, `null`, `[]`, `"ada"`, `{}`, `{"name": ""}`, `{"name": 5}`, `{"name": "a", "admin": "yes"}`, `{"name": "a"} x`} {
		_, err := ParseUser([]byte(in))
		require.Error(t, err, in)
	}
}

// FuzzParseUser: hub answers are parsed without panics, and an accepted
// model stays valid JSON with a name and a kind.
func FuzzParseUser(f *testing.F) {
	f.Add([]byte(adaModel))
	f.Add([]byte(bobModel))
	f.Add([]byte(`{"name": "x"}`))
	f.Add([]byte(`{"name": "x", "kind": null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		u, err := ParseUser(data)
		if err != nil {
			return
		}
		require.NotEmpty(t, u.Name)
		require.True(t, json.Valid(u.JSON()), "%q", u.JSON())
		var m map[string]any
		require.NoError(t, json.Unmarshal(u.JSON(), &m))
		require.Contains(t, m, "kind")
	})
}

func TestUserDerivedComputesOncePerAnswer(t *testing.T) {
	type key struct{}
	u, err := ParseUser([]byte(`{"name": "ada"}`))
	require.NoError(t, err)
	calls := 0
	compute := func(u *User) any { calls++; return "for " + u.Name }
	require.Equal(t, "for ada", u.Derived(key{}, compute))
	require.Equal(t, "for ada", u.Derived(key{}, compute))
	require.Equal(t, 1, calls)
	type other struct{}
	require.Equal(t, "for ada", u.Derived(other{}, compute), "another key is computed separately")
	require.Equal(t, 2, calls)

	byHand := &User{Name: "bob"}
	require.Equal(t, "for bob", byHand.Derived(key{}, compute), "a User built by hand still works")
}
