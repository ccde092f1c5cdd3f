package oidc

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"slices"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// The end-session endpoint (OpenID Connect RP-Initiated Logout 1.0): a
// client sends the browser here to log the user out of the hub, and names
// where it wants the browser back (post_logout_redirect_uri, registered
// for the client, exactly) and which client it is (client_id, or the
// id_token it got, id_token_hint).
//
// The hub's logout page ends the hub session (which also revokes the hub
// tokens issued during it, so userinfo refuses the access tokens behind
// them) but then always shows the hub's login page: it cannot send the
// browser anywhere else. So the provider answers with a short page that
// requests the hub's logout in the background, as the logged-in browser
// (a same-origin GET the hub serves without an XSRF token, as for an
// image), and then goes on to the client. Without a return address the
// browser is simply sent to the hub's logout.

// logout serves the end-session endpoint.
func (p *Provider) logout(w http.ResponseWriter, r *http.Request) {
	q, e := authorizeParams(w, r)
	if e != nil {
		p.refusePage(w, r, "logout", e)
		return
	}
	target, e := p.parseLogout(q)
	if e != nil {
		p.refusePage(w, r, "logout", e)
		return
	}
	if target == "" {
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, p.hubLogoutURL, http.StatusFound)
		return
	}
	p.logoutPage(w, target)
}

// parseLogout checks an end-session request and returns where to send
// the browser afterwards ("" for nowhere: the hub's own page).
func (p *Provider) parseLogout(q url.Values) (string, *oauthError) {
	for k, v := range q {
		if len(v) > 1 {
			return "", refuse(errInvalidRequest, "%.40s is given more than once", k)
		}
	}
	var client *Client
	if hint := q.Get("id_token_hint"); hint != "" {
		id, ok := p.hintedClient(hint)
		if client = p.client(id); !ok || client == nil {
			return "", refuse(errInvalidRequest, "id_token_hint is not an id_token this provider issued to a registered client")
		}
	}
	if id := q.Get("client_id"); id != "" {
		c := p.client(id)
		switch {
		case c == nil:
			return "", refuse(errInvalidRequest, "client_id %.60q is not registered with this provider", id)
		case client != nil && client != c:
			return "", refuse(errInvalidRequest, "client_id is not the client id_token_hint was issued to")
		}
		client = c
	}
	target := q.Get("post_logout_redirect_uri")
	switch {
	case target == "":
		return "", nil
	case client == nil:
		return "", refuse(errInvalidRequest, "post_logout_redirect_uri needs client_id or id_token_hint, to know whose it is")
	case !slices.Contains(client.PostLogoutRedirectURIs, target):
		return "", refuse(errInvalidRequest, "post_logout_redirect_uri %.100q is not registered for client %s (its post_logout_redirect_uris)", target, client.ID)
	}
	u, _ := url.Parse(target) // registered, so parsed before
	if state := q.Get("state"); state != "" {
		query := u.Query()
		query.Set("state", state)
		u.RawQuery = query.Encode()
	}
	return u.String(), nil
}

// hintedClient returns the audience of an id_token this provider signed.
// Its expiry does not matter: a client names itself with an id_token it
// got long ago.
func (p *Provider) hintedClient(hint string) (string, bool) {
	if len(hint) > maxSealed {
		return "", false
	}
	algs := make([]jose.SignatureAlgorithm, 0, len(p.keys))
	for _, k := range p.keys {
		algs = append(algs, jose.SignatureAlgorithm(k.Algorithm))
	}
	tok, err := jwt.ParseSigned(hint, algs)
	if err != nil || len(tok.Headers) != 1 {
		return "", false
	}
	for _, k := range p.keys {
		if k.ID != tok.Headers[0].KeyID {
			continue
		}
		var c jwt.Claims
		if tok.Claims(k.Key.Public(), &c) != nil || c.Issuer != p.cfg.Issuer || len(c.Audience) != 1 {
			return "", false
		}
		return c.Audience[0], true
	}
	return "", false
}

// logoutPage logs the browser out of the hub in the background, then
// sends it to target. The script runs only with the page's nonce, and
// the page may fetch nothing but the hub's logout.
func (p *Provider) logoutPage(w http.ResponseWriter, target string) {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	nonce := base64.RawURLEncoding.EncodeToString(b)
	connect := "'self'"
	if p.hub.Host != "" {
		connect = p.hub.Host
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'nonce-"+nonce+"'; connect-src "+connect)
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, logoutHTML, nonce, html.EscapeString(p.hubLogoutURL), html.EscapeString(target))
}

// logoutHTML is the logout page: the nonce, the hub's logout URL and the
// target, HTML-escaped, go into attributes, never into the script.
const logoutHTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>Logging out</title>
<script nonce="%[1]s">
document.addEventListener("DOMContentLoaded", () => {
  const out = document.getElementById("logout");
  const next = () => location.replace(out.dataset.next);
  setTimeout(next, 10000);
  fetch(out.dataset.hub, {mode: "no-cors", credentials: "same-origin", cache: "no-store"}).then(next, next);
});
</script></head>
<body><p id="logout" data-hub="%[2]s" data-next="%[3]s">Logging you out of JupyterHub…</p>
<noscript><p>Without JavaScript: <a href="%[2]s">log out of JupyterHub</a>, then
<a href="%[3]s">go back to the application</a>.</p></noscript>
</body></html>
`
