package oidc

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAuthorizeRequests(t *testing.T) {
	p := newTestProvider(t, unreachableHub)
	good := goodAuthorize()
	for _, tc := range []struct {
		name   string
		method string
		query  url.Values
		page   int    // an error page with this status, no redirect
		error  string // an error sent back to the client
	}{
		{name: "no client_id", query: with(good, "client_id", ""), page: 400},
		{name: "unknown client", query: with(good, "client_id", "nobody"), page: 400},
		{name: "client_id twice", query: func() url.Values { q := with(good, "", ""); q["client_id"] = []string{"app", "spa"}; return q }(), page: 400},
		{name: "no redirect_uri", query: with(good, "redirect_uri", ""), page: 400},
		{name: "another client's redirect_uri", query: with(good, "redirect_uri", "https://spa.example.org/cb"), page: 400},
		{name: "a redirect_uri that only starts like the registered one", query: with(good, "redirect_uri", "https://app.example.org/cb/../evil"), page: 400},
		{name: "a redirect_uri that differs in case", query: with(good, "redirect_uri", "https://APP.example.org/cb"), page: 400},
		{name: "PUT", method: http.MethodPut, query: good, page: 405},
		{name: "a parameter twice", query: func() url.Values { q := with(good, "", ""); q["scope"] = []string{"openid", "openid"}; return q }(), error: "invalid_request"},
		{name: "implicit flow", query: with(good, "response_type", "id_token"), error: "unsupported_response_type"},
		{name: "no response_type", query: with(good, "response_type", ""), error: "unsupported_response_type"},
		{name: "form_post", query: with(good, "response_mode", "form_post"), error: "invalid_request"},
		{name: "no openid scope", query: with(good, "scope", "profile"), error: "invalid_scope"},
		{name: "a request object", query: with(good, "request", "eyJ..."), error: "request_not_supported"},
		{name: "request_uri", query: with(good, "request_uri", "https://x/"), error: "request_uri_not_supported"},
		{name: "plain PKCE", query: with(good, "code_challenge_method", "plain"), error: "invalid_request"},
		{name: "PKCE challenge without a method", query: with(good, "code_challenge_method", ""), error: "invalid_request"},
		{name: "PKCE method without a challenge", query: with(good, "code_challenge", ""), error: "invalid_request"},
		{name: "a short challenge", query: with(good, "code_challenge", "abc"), error: "invalid_request"},
		{name: "a challenge with a bad byte", query: with(good, "code_challenge", strings.Repeat("a", 42)+"="), error: "invalid_request"},
		{name: "a public client without PKCE", query: with(with(with(good, "client_id", "spa"), "redirect_uri", "https://spa.example.org/cb"), "code_challenge", ""),
			error: "invalid_request"},
		{name: "prompt=none", query: with(good, "prompt", "none"), error: "login_required"},
		{name: "a long nonce", query: with(good, "nonce", strings.Repeat("n", 2000)), error: "invalid_request"},
		{name: "a request too long in all", query: with(with(good, "nonce", strings.Repeat("n", 1000)), "state", strings.Repeat("s", 1000)), error: "invalid_request"},
		{name: "good", query: good},
		{name: "good, as long as it may be", query: func() url.Values {
			q := with(good, "state", strings.Repeat("s&<", 100))
			q = with(q, "nonce", "")
			n := maxAuthorizeURI - len(p.mustParse(t, q).encode()) - len("&nonce=")
			return with(q, "nonce", strings.Repeat("n", n))
		}()},
		{name: "good, as a form POST", method: http.MethodPost, query: good},
		{name: "without PKCE, for a confidential client", query: with(with(good, "code_challenge", ""), "code_challenge_method", "")},
		{name: "unknown scopes and prompts are ignored", query: with(with(good, "scope", "openid offline_access"), "prompt", "login consent")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			method := tc.method
			if method == "" {
				method = http.MethodGet
			}
			var w = serve(p, method, "/services/oidc/authorize?"+tc.query.Encode(), nil, "")
			if method == http.MethodPost {
				w = serve(p, method, "/services/oidc/authorize", nil, tc.query.Encode())
			}
			switch {
			case tc.page != 0:
				require.Equal(t, tc.page, w.Code, w.Body.String())
				require.Empty(t, w.Header().Get("Location"), "never a redirect")
				require.Equal(t, "text/html; charset=utf-8", w.Header().Get("Content-Type"))
				require.Equal(t, "default-src 'none'", w.Header().Get("Content-Security-Policy"))
			case tc.error != "":
				loc := location(t, w)
				require.Equal(t, tc.query.Get("redirect_uri"), loc.Scheme+"://"+loc.Host+loc.Path)
				require.Equal(t, tc.error, loc.Query().Get("error"))
				require.NotEmpty(t, loc.Query().Get("error_description"))
				require.Equal(t, testIssuer, loc.Query().Get("iss"))
				if len(tc.query.Get("state")) <= maxParam {
					require.Equal(t, tc.query.Get("state"), loc.Query().Get("state"))
				}
			default:
				loc := location(t, w)
				require.Equal(t, "/hub/api/oauth2/authorize", loc.Path, "on to the hub's login")
				require.Equal(t, "service-oidc", loc.Query().Get("client_id"))
				require.Equal(t, "S256", loc.Query().Get("code_challenge_method"))
				require.Contains(t, w.Header().Get("Set-Cookie"), "service-oidc-oauth-state=")
			}
		})
	}
}

// mustParse is a request that passes parseAuthorize.
func (p *Provider) mustParse(t *testing.T, q url.Values) *authRequest {
	t.Helper()
	req, e := p.parseAuthorize(q)
	require.Nil(t, e)
	return req
}

// The hub's login comes back to the callback, which seals the hub's code
// with the request into the client's code and sends the browser to the
// client: no hub call, nothing kept.
func TestCallbackSealsTheHubsCode(t *testing.T) {
	p := newTestProvider(t, unreachableHub)
	w := serve(p, http.MethodGet, "/services/oidc/authorize?"+goodAuthorize().Encode(), nil, "")
	hubState := location(t, w).Query().Get("state")
	cookie := w.Result().Cookies()[0]
	browser := http.Header{"Cookie": {cookie.Name + "=" + cookie.Value}}

	w = serve(p, http.MethodGet, "/services/oidc/oauth_callback?code=hub-code&state="+url.QueryEscape(hubState), browser, "")
	loc := location(t, w)
	require.Equal(t, "https://app.example.org/cb", loc.Scheme+"://"+loc.Host+loc.Path)
	require.Equal(t, "st", loc.Query().Get("state"))
	require.Equal(t, testIssuer, loc.Query().Get("iss"))
	code := loc.Query().Get("code")
	require.NotContains(t, code, "hub-code", "sealed, not in the clear")
	var cc codeContents
	require.NoError(t, p.codes.open(code, &cc))
	require.Equal(t, "hub-code", cc.HubCode)
	require.Equal(t, "app", cc.Client)
	require.Equal(t, "https://app.example.org/cb", cc.RedirectURI)
	require.Equal(t, "n0", cc.Nonce)
	require.Equal(t, []string{"openid", "profile", "groups"}, cc.Scopes)
	require.Equal(t, goodAuthorize().Get("code_challenge"), cc.Challenge)
	require.NotEmpty(t, cc.HubVerifier)
	require.Contains(t, w.Header().Get("Set-Cookie"), "Max-Age=0", "the login's state cookie is cleared")

	t.Run("the hub's refusal goes back to the client", func(t *testing.T) {
		w := serve(p, http.MethodGet, "/services/oidc/authorize?"+goodAuthorize().Encode(), nil, "")
		st := location(t, w).Query().Get("state")
		c := w.Result().Cookies()[0]
		w = serve(p, http.MethodGet, "/services/oidc/oauth_callback?error=access_denied&state="+url.QueryEscape(st),
			http.Header{"Cookie": {c.Name + "=" + c.Value}}, "")
		loc := location(t, w)
		require.Equal(t, "access_denied", loc.Query().Get("error"))
		require.Equal(t, "st", loc.Query().Get("state"))
	})
	t.Run("a callback that is not this browser's gets a page", func(t *testing.T) {
		for _, q := range []string{"", "?code=c", "?code=c&state=" + url.QueryEscape(hubState), "?state=%ff"} {
			w := serve(p, http.MethodGet, "/services/oidc/oauth_callback"+q, nil, "")
			require.Equal(t, http.StatusBadRequest, w.Code, q)
			require.Empty(t, w.Header().Get("Location"), q)
		}
	})
}
