package integration

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// -allowed-group admits only callers in one of the hub groups named, on
// top of the access scope: a browser's login or a token header of a user
// in the group reaches the app, one of a user with the access scope but
// not the group gets 403 and the app sees nothing.
func TestProxyAllowedGroup(t *testing.T) {
	rig := startProxyRig(t, "-allowed-group", "staff", "-allowed-group", "admins")
	hub, svc := rig.hub, rig.svc
	for _, g := range []string{"staff", "admins"} {
		require.Equal(t, 201, hub.API(t, "POST", "/groups/"+g, nil, nil), "create group %s", g)
	}
	for _, u := range []string{"ada", "bob"} {
		hub.CreateUser(t, u)
		hub.AddToGroup(t, "app-users", u) // both have the access scope
	}
	hub.AddToGroup(t, "staff", "ada")

	t.Run("a member of an allowed group", func(t *testing.T) {
		r := get(t, svc+"api", "token "+hub.NewToken(t, "ada", nil))
		require.Equal(t, 200, r.status, r.body)
		require.Equal(t, []string{"ada"}, parseAppView(t, r.body).Headers["X-Forwarded-User"])

		b := newBrowser(t, "ada")
		h := b.visit(svc + "page")
		require.Equal(t, 200, h.status, "%s: %s", h.url, h.body)
		require.Equal(t, []string{"ada"}, parseAppView(t, h.body).Headers["X-Forwarded-User"])
	})

	t.Run("a user with the access scope outside the groups", func(t *testing.T) {
		before := seenBy(t, rig.appAddr)
		r := get(t, svc+"api", "token "+hub.NewToken(t, "bob", nil))
		require.Equal(t, 403, r.status, r.body)
		require.Contains(t, r.body, "bob")
		require.Contains(t, r.body, "staff")

		b := newBrowser(t, "bob")
		h := b.visit(svc + "page")
		require.Equal(t, 403, h.status, "%s: %s", h.url, h.body)
		require.Equal(t, before, seenBy(t, rig.appAddr), "the app saw none of bob's requests")
	})

	t.Run("joining a group lets the user in once the cached answer ends", func(t *testing.T) {
		hub.AddToGroup(t, "admins", "bob")
		token := hub.NewToken(t, "bob", nil) // a new token: a new answer from the hub
		r := get(t, svc+"api", "token "+token)
		require.Equal(t, 200, r.status, r.body)
	})
}
