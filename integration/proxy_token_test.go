package integration

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// With -pass-access-token the app can call the hub as the user: a browser
// logged in by cookie hands the app the hub token sealed in its login
// cookie (hubauth.TokenFromContext), a token-header caller its own; the
// hub says each token is the caller's.
func TestProxyPassAccessToken(t *testing.T) {
	rig := startProxyRig(t, "-pass-access-token")
	hub, svc := rig.hub, rig.svc
	hub.CreateUser(t, "ada")
	hub.AddToGroup(t, "app-users", "ada")
	adaToken := hub.NewToken(t, "ada", nil)

	ownerOf := func(t *testing.T, token string) string {
		t.Helper()
		r := get(t, hub.APIURL+"/user", "token "+token)
		require.Equal(t, 200, r.status, "the hub accepts the token the app was given: %s", r.body)
		var m struct{ Name string }
		require.NoError(t, json.Unmarshal([]byte(r.body), &m))
		return m.Name
	}

	t.Run("a browser's login passes the token inside its cookie", func(t *testing.T) {
		b := newBrowser(t, "ada")
		h := b.visit(svc + "page")
		require.Equal(t, 200, h.status, "%s: %s", h.url, h.body)
		v := parseAppView(t, h.body)
		got := v.Headers["X-Forwarded-Access-Token"]
		require.Len(t, got, 1, "the app is handed the caller's token")
		require.NotEqual(t, adaToken, got[0], "it is the OAuth token of this login, not another of ada's")
		require.Equal(t, "ada", ownerOf(t, got[0]))
		require.Empty(t, v.Headers["Authorization"])
	})

	t.Run("a token header is passed as the access token, not as Authorization", func(t *testing.T) {
		r := get(t, svc+"api", "token "+adaToken)
		require.Equal(t, 200, r.status, r.body)
		v := parseAppView(t, r.body)
		require.Equal(t, []string{adaToken}, v.Headers["X-Forwarded-Access-Token"])
		require.Empty(t, v.Headers["Authorization"])
	})

	t.Run("a refused caller's token reaches nothing", func(t *testing.T) {
		before := seenBy(t, rig.appAddr)
		r := get(t, svc+"api", "token not-a-real-token-0123456789")
		require.Equal(t, 403, r.status, r.body)
		require.Equal(t, before, seenBy(t, rig.appAddr))
	})
}
