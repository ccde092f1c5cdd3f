package integration

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
)

// hubauth-oidc as a hub-managed service, with applications that log users
// in through it with coreos/go-oidc and golang.org/x/oauth2, each login a
// browser going through the real hub's login and consent pages. On every
// hub release.
func TestOIDCGoClient(t *testing.T) {
	app := newRelyingParty(t, "go-app", "go-app-secret-0123456789", oauth2.AuthStyleInHeader)
	post := newRelyingParty(t, "go-post", "go-post-secret-0123456789", oauth2.AuthStyleInParams)
	public := newRelyingParty(t, "go-public", "", oauth2.AuthStyleInParams)
	science := newRelyingParty(t, "go-science", "go-science-secret-012345", oauth2.AuthStyleInHeader)
	scienceClient := science.client()
	scienceClient.AllowedGroups = []string{"science"}
	hub, issuer := oidcHub(t, nil, app.client(), post.client(), public.client(), scienceClient)
	for _, rp := range []*relyingParty{app, post, public, science} {
		rp.issuer = issuer
	}
	hub.CreateUser(t, "ada")
	hub.CreateUser(t, "bob")
	hub.AddToGroup(t, "science", "ada")

	t.Run("discovery", func(t *testing.T) {
		r := get(t, issuer+"/.well-known/openid-configuration", "")
		require.Equal(t, 200, r.status, r.body)
		var d map[string]any
		require.NoError(t, json.Unmarshal([]byte(r.body), &d))
		require.Equal(t, issuer, d["issuer"])
		for k, path := range map[string]string{"authorization_endpoint": "/authorize", "token_endpoint": "/token",
			"userinfo_endpoint": "/userinfo", "jwks_uri": "/jwks", "end_session_endpoint": "/logout"} {
			require.Equal(t, issuer+path, d[k], k)
		}
		require.Contains(t, d["id_token_signing_alg_values_supported"], "RS256")
		require.Equal(t, []any{"S256"}, d["code_challenge_methods_supported"])
		jwks := get(t, issuer+"/jwks", "")
		require.Equal(t, 200, jwks.status)
		require.Contains(t, jwks.body, `"kty":"RSA"`)
		require.NotContains(t, jwks.body, `"d":`, "only public halves")
	})

	var ada rpResult
	t.Run("a login with client_secret_basic: id_token and userinfo", func(t *testing.T) {
		b := newBrowser(t, "ada")
		ada = requireLoggedIn(t, app, b.visit(app.URL+"/login"), "ada")
		require.Equal(t, issuer, ada.Claims["iss"])
		require.Equal(t, "go-app", ada.Claims["aud"])
		require.Equal(t, []any{"science"}, ada.Claims["groups"])
		require.Equal(t, []any{"science"}, ada.UserInfo["groups"])
		require.NotNil(t, ada.Claims["auth_time"])
		// Every redirect went through the provider and the hub, none
		// elsewhere.
		for _, h := range b.hops {
			u, err := url.Parse(h.url)
			require.NoError(t, err)
			require.Equal(t, "127.0.0.1", u.Hostname())
		}

		t.Run("the same browser logs in again without a form", func(t *testing.T) {
			b.approved = 0
			requireLoggedIn(t, app, b.visit(app.URL+"/login"), "ada")
		})
	})

	t.Run("client_secret_post, and a public client with PKCE", func(t *testing.T) {
		requireLoggedIn(t, post, newBrowser(t, "ada").visit(post.URL+"/login"), "ada")
		requireLoggedIn(t, public, newBrowser(t, "bob").visit(public.URL+"/login"), "bob")
	})

	t.Run("a public client without PKCE is sent back with an error", func(t *testing.T) {
		h := newBrowser(t, "ada").visit(public.URL + "/login?pkce=off")
		require.Equal(t, http.StatusForbidden, h.status, h.body)
		require.Contains(t, h.body, "provider error: invalid_request")
		require.Contains(t, h.body, "PKCE")
	})

	t.Run("a code works once", func(t *testing.T) {
		require.NotEmpty(t, ada.Code)
		status, body, _ := tokenRequest(t, issuer+"/token", "go-app", "go-app-secret-0123456789", url.Values{
			"grant_type": {"authorization_code"}, "code": {ada.Code}, "redirect_uri": {app.URL + "/callback"},
			"code_verifier": {ada.Verifier},
		})
		require.Equal(t, http.StatusBadRequest, status, body)
		require.Equal(t, "invalid_grant", body["error"])
		require.Contains(t, body["error_description"], "used already", "the hub refused its code")
	})

	t.Run("allowed_groups", func(t *testing.T) {
		requireLoggedIn(t, science, newBrowser(t, "ada").visit(science.URL+"/login"), "ada")
		h := newBrowser(t, "bob").visit(science.URL + "/login")
		require.Equal(t, http.StatusBadGateway, h.status, h.body)
		require.Contains(t, h.body, "invalid_grant")
		require.Contains(t, h.body, "allowed_groups")
	})

	t.Run("unknown clients and redirect URIs get a page, never a redirect", func(t *testing.T) {
		for _, q := range []url.Values{
			{"client_id": {"nobody"}, "redirect_uri": {app.URL + "/callback"}, "response_type": {"code"}, "scope": {"openid"}},
			{"client_id": {"go-app"}, "redirect_uri": {"https://evil.example/callback"}, "response_type": {"code"}, "scope": {"openid"}},
			{"client_id": {"go-app"}, "redirect_uri": {app.URL + "/callback/"}, "response_type": {"code"}, "scope": {"openid"}},
			{"client_id": {"go-app"}, "response_type": {"code"}, "scope": {"openid"}},
			{"client_id": {"go-app", "go-post"}, "redirect_uri": {app.URL + "/callback"}},
		} {
			r := get(t, issuer+"/authorize?"+q.Encode(), "")
			require.Equal(t, http.StatusBadRequest, r.status, "%v: %s", q, r.body)
			require.Empty(t, r.header.Get("Location"), "%v", q)
			require.Contains(t, r.header.Get("Content-Type"), "text/html")
		}
	})

	t.Run("other faults go back to the client", func(t *testing.T) {
		for q, want := range map[string]string{
			"response_type=token&scope=openid":                                                                      "unsupported_response_type",
			"response_type=code&scope=profile":                                                                      "invalid_scope",
			"response_type=code&scope=openid&code_challenge=short&code_challenge_method=S256":                       "invalid_request",
			"response_type=code&scope=openid&code_challenge_method=plain&code_challenge=" + strings.Repeat("a", 43): "invalid_request",
			"response_type=code&scope=openid&prompt=none":                                                           "login_required",
			"response_type=code&scope=openid&request=x":                                                             "request_not_supported",
		} {
			r := get(t, issuer+"/authorize?client_id=go-app&state=s1&redirect_uri="+url.QueryEscape(app.URL+"/callback")+"&"+q, "")
			require.Equal(t, http.StatusFound, r.status, "%s: %s", q, r.body)
			loc, err := url.Parse(r.header.Get("Location"))
			require.NoError(t, err)
			require.Equal(t, app.URL+"/callback", loc.Scheme+"://"+loc.Host+loc.Path, q)
			require.Equal(t, want, loc.Query().Get("error"), q)
			require.Equal(t, "s1", loc.Query().Get("state"), q)
			require.Equal(t, issuer, loc.Query().Get("iss"), q)
		}
	})

	t.Run("token endpoint refusals", func(t *testing.T) {
		r := get(t, issuer+"/token", "")
		require.Equal(t, http.StatusMethodNotAllowed, r.status)
		require.Contains(t, r.body, `"error":"invalid_request"`)
		good := url.Values{"grant_type": {"authorization_code"}, "code": {"x"}, "redirect_uri": {app.URL + "/callback"}}
		status, body, header := tokenRequest(t, issuer+"/token", "go-app", "wrong", good)
		require.Equal(t, http.StatusUnauthorized, status, body)
		require.Equal(t, "invalid_client", body["error"])
		require.Contains(t, header.Get("WWW-Authenticate"), "Basic")
		status, body, _ = tokenRequest(t, issuer+"/token", "go-app", "go-app-secret-0123456789", good)
		require.Equal(t, http.StatusBadRequest, status)
		require.Equal(t, "invalid_grant", body["error"])
		status, body, _ = tokenRequest(t, issuer+"/token", "go-app", "go-app-secret-0123456789", url.Values{"grant_type": {"password"}})
		require.Equal(t, http.StatusBadRequest, status)
		require.Equal(t, "unsupported_grant_type", body["error"])
	})

	t.Run("end session: the hub's logout, then back to the client", func(t *testing.T) {
		b := newBrowser(t, "ada")
		res := requireLoggedIn(t, app, b.visit(app.URL+"/login"), "ada")
		q := url.Values{"id_token_hint": {res.IDToken}, "post_logout_redirect_uri": {app.URL + "/bye"}, "state": {"s2"}}
		page := b.get(issuer + "/logout?" + q.Encode())
		require.Equal(t, http.StatusOK, page.status, page.body)
		require.Contains(t, page.body, `data-hub="/hub/logout"`)
		require.Contains(t, page.body, `data-next="`+app.URL+`/bye?state=s2"`)
		// What the page's script does: the hub's logout, as a same-origin
		// fetch with the browser's cookies.
		b.do(http.MethodGet, hub.URL+"/hub/logout", nil, http.Header{
			"Sec-Fetch-Mode": {"no-cors"}, "Sec-Fetch-Site": {"same-origin"}, "Sec-Fetch-Dest": {"empty"}})
		require.Eventually(t, func() bool {
			status, _ := userinfoStatus(t, issuer+"/userinfo", res.AccessToken)
			return status == http.StatusUnauthorized
		}, 30*time.Second, 200*time.Millisecond, "the hub revoked the session's tokens")
		b.visit(app.URL + "/login")
		require.Contains(t, b.hops[len(b.hops)-1].url, app.URL+"/callback", "logged in again: %v", b.hops)
		loggedInAgain := false
		for _, h := range b.hops {
			loggedInAgain = loggedInAgain || strings.Contains(h.body, `name="username"`)
		}
		require.True(t, loggedInAgain, "the hub asked for the login form again")

		bad := b.get(issuer + "/logout?client_id=go-app&post_logout_redirect_uri=" + url.QueryEscape("https://evil.example/"))
		require.Equal(t, http.StatusBadRequest, bad.status)
		require.Empty(t, bad.header.Get("Location"))
	})

	t.Run("userinfo refuses once the hub token is gone", func(t *testing.T) {
		status, header := userinfoStatus(t, issuer+"/userinfo", "not-a-token")
		require.Equal(t, http.StatusUnauthorized, status)
		require.Contains(t, header.Get("WWW-Authenticate"), `error="invalid_token"`)
		r := get(t, issuer+"/userinfo", "")
		require.Equal(t, http.StatusUnauthorized, r.status)
		require.Equal(t, `Bearer realm="`+issuer+`"`, r.header.Get("WWW-Authenticate"))

		hub.CreateUser(t, "cy")
		cy := requireLoggedIn(t, app, newBrowser(t, "cy").visit(app.URL+"/login"), "cy")
		status, _ = userinfoStatus(t, issuer+"/userinfo", cy.AccessToken)
		require.Equal(t, http.StatusOK, status)
		hub.DeleteUser(t, "cy")
		require.Eventually(t, func() bool {
			status, _ := userinfoStatus(t, issuer+"/userinfo", cy.AccessToken)
			return status == http.StatusUnauthorized
		}, 30*time.Second, 200*time.Millisecond, "refused within the cache's max age (1 s here)")
	})
}
