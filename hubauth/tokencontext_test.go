package hubauth

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"
)

// echoToken answers with the caller's own hub token, as a handler acting
// for the caller would use it.
var echoToken = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	_, _ = w.Write([]byte("token=" + TokenFromContext(r.Context())))
})

func TestTokenFromContext(t *testing.T) {
	hub := newFakeHub(t)
	hub.addUser(adaToken, adaModel)
	hub.addUser(bobToken, bobModel)
	var logs bytes.Buffer
	a := newTestAuth(t, testConfig(hub.apiURL()), &logs)

	for _, tc := range []struct {
		name, target, header, want string
	}{
		{"header token", "/", "token " + adaToken, "token=" + adaToken},
		{"bearer", "/", "Bearer " + adaToken, "token=" + adaToken},
		{"websocket ?token=", "/?token=" + adaToken, "", "token=" + adaToken},
		{"caller without access", "/", "token " + bobToken, "token="},
		{"refused token", "/", "token nope", "token="},
		{"no token", "/", "", "token="},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, tc.target, nil)
			if tc.header != "" {
				r.Header.Set("Authorization", tc.header)
			}
			if tc.name == "websocket ?token=" {
				r.Header.Set("Sec-Fetch-Mode", "websocket")
			}
			// Identify alone: the handler runs for everyone and sees a
			// token only for callers who were admitted.
			_, body := serve(a.Identify(echoToken), r)
			require.Equal(t, tc.want, body)
		})
	}
	require.NotContains(t, logs.String(), adaToken)
	require.NotContains(t, logs.String(), bobToken)

	// Outside the middleware there is none.
	require.Empty(t, TokenFromContext(httptest.NewRequest("GET", "/", nil).Context()))
}

// The token sealed in the login cookie is the caller's too.
func TestTokenFromContextLoginCookie(t *testing.T) {
	hub := newFakeHub(t)
	hub.addUser("hub-issued-token", adaModel)
	hub.token = func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"access_token": "hub-issued-token", "token_type": "Bearer"}`))
	}
	o := newTestOAuth(t, oauthConfig(hub.apiURL()))
	f := &flow{t: t, h: o.Middleware(echoToken), cookies: map[string]*http.Cookie{}}
	state, _ := stateOf(t, f.do("GET", "/services/whoami/", nil))
	w := f.do("GET", "/services/whoami/oauth_callback?code=c&state="+url.QueryEscape(state), nil)
	require.Equal(t, http.StatusFound, w.Code, w.Body.String())
	w = f.do("GET", "/services/whoami/", nil)
	require.Equal(t, 200, w.Code, w.Body.String())
	require.Equal(t, "token=hub-issued-token", w.Body.String())
}
