package hubauth

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
)

// A login handed off: the callback returns the hub's code unexchanged, and
// the code is exchanged later, by another OAuth built from the same
// configuration (another replica), without the browser.
func TestCallbackCodeThenExchangeCode(t *testing.T) {
	hub := newFakeHub(t)
	hub.addUser("hub-issued-token", adaModel)
	var challenge string
	exchanged := 0
	hub.token = func(w http.ResponseWriter, r *http.Request) {
		require.NoError(t, r.ParseForm())
		w.Header().Set("Content-Type", "application/json")
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		if r.PostForm.Get("code") != "the-code" || exchanged > 0 ||
			base64.RawURLEncoding.EncodeToString(sum[:]) != challenge {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error": "invalid_grant"}`))
			return
		}
		exchanged++
		_, _ = w.Write([]byte(`{"access_token": "hub-issued-token", "token_type": "Bearer", "expires_in": 3600}`))
	}
	cfg := oauthConfig(hub.apiURL())
	o := newTestOAuth(t, cfg)
	var code, verifier, next string
	var cbErr error
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/services/whoami/oauth_callback" {
			code, verifier, next, cbErr = o.CallbackCode(w, r)
			return
		}
		o.StartLogin(w, r)
	})
	f := &flow{t: t, h: h, cookies: map[string]*http.Cookie{}}
	first, _ := stateOf(t, f.do("GET", "/services/whoami/authorize?client_id=x", nil))
	var second string
	second, challenge = stateOf(t, f.do("GET", "/services/whoami/authorize?client_id=y", nil))
	require.Len(t, f.cookies, 2, "two logins in flight")

	f.do("GET", "/services/whoami/oauth_callback?code=the-code&state="+url.QueryEscape(second), nil)
	require.NoError(t, cbErr)
	require.Equal(t, "the-code", code)
	require.NotEmpty(t, verifier)
	require.Equal(t, "/services/whoami/authorize?client_id=y", next)
	require.Len(t, f.cookies, 1, "only this login's state cookie is cleared; the other login can still finish")
	hubVerifier := verifier

	t.Run("the hub's error keeps the return URL", func(t *testing.T) {
		f.do("GET", "/services/whoami/oauth_callback?error=access_denied&state="+url.QueryEscape(first), nil)
		require.Error(t, cbErr)
		require.Contains(t, cbErr.Error(), "access_denied")
		require.Equal(t, "/services/whoami/authorize?client_id=x", next)
		require.Empty(t, code)
	})
	t.Run("a state that is not this browser's gives no return URL", func(t *testing.T) {
		f.do("GET", "/services/whoami/oauth_callback?code=c&state="+url.QueryEscape(second), nil)
		require.Error(t, cbErr)
		require.Empty(t, next)
		w := httptest.NewRecorder()
		WriteError(w, cbErr)
		require.Equal(t, http.StatusBadRequest, w.Code)
	})

	replica := newTestOAuth(t, cfg)
	tok, u, err := replica.ExchangeCode(context.Background(), "the-code", hubVerifier)
	require.NoError(t, err)
	require.Equal(t, "hub-issued-token", tok.AccessToken)
	require.Equal(t, "ada", u.Name)

	t.Run("a second exchange is the hub's refusal, a 400", func(t *testing.T) {
		_, _, err := replica.ExchangeCode(context.Background(), "the-code", hubVerifier)
		var re *oauth2.RetrieveError
		require.ErrorAs(t, err, &re)
		require.Equal(t, "invalid_grant", re.ErrorCode)
		w := httptest.NewRecorder()
		WriteError(w, err)
		require.Equal(t, http.StatusBadRequest, w.Code)
	})
	t.Run("a user without access is refused, named", func(t *testing.T) {
		exchanged = 0
		hub.addUser("hub-issued-token", bobModel)
		_, u, err := newTestOAuth(t, cfg).ExchangeCode(context.Background(), "the-code", hubVerifier)
		var forbidden *ForbiddenError
		require.True(t, errors.As(err, &forbidden), "%v", err)
		require.Equal(t, "bob", u.Name)
	})
	t.Run("a hub that is down is a HubError", func(t *testing.T) {
		_, _, err := newTestOAuth(t, oauthConfig("http://127.0.0.1:1/hub/api")).ExchangeCode(context.Background(), "c", "v")
		var hubErr *HubError
		require.ErrorAs(t, err, &hubErr)
		require.Equal(t, http.StatusServiceUnavailable, hubErr.HTTPStatus())
	})
}
