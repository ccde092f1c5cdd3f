package oidc

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/go-jose/go-jose/v4"

	"github.com/hubauth-go/whoami/hubauth"
	"github.com/hubauth-go/whoami/hubauth/internal/sealkeys"
)

// Provider is an OpenID Connect provider for the hub's users. It is an
// http.Handler for the service's prefix: discovery, the authorization,
// token, userinfo, JWKS and end-session endpoints, and the callback of
// the hub's own login.
type Provider struct {
	cfg     Config
	login   *hubauth.OAuth
	hub     hubauth.Config
	clients map[string]*Client
	logger  *slog.Logger
	obs     *Observer

	keys       []SigningKey
	signers    map[string]jose.Signer // by algorithm: the first key of each
	defaultAlg string

	codes  *sealer
	tokens *sealer
	opened *openedTokens // access tokens opened before

	paths        endpoints
	discovery    []byte
	jwks         []byte
	hubLogoutURL string
}

// endpoints are the request paths of the provider's endpoints.
type endpoints struct {
	discovery, authorize, callback, token, userinfo, jwks, logout string
}

// The endpoints, below the issuer (the service's prefix).
const (
	discoveryPath = ".well-known/openid-configuration"
	authorizePath = "authorize"
	tokenPath     = "token"
	userinfoPath  = "userinfo"
	jwksPath      = "jwks"
	logoutPath    = "logout"
)

// New builds the provider on login, the hub's OAuth login for the service
// it runs as: browsers log in through it, and the codes it gets from the
// hub are sealed into the codes the provider gives its clients (see
// [hubauth.OAuth.CallbackCode]). The hub's OAuth callback must be under
// the service's prefix, on the issuer's origin.
func New(login *hubauth.OAuth, cfg Config) (*Provider, error) {
	hub := login.Authenticator().Config()
	var problems []error
	bad := func(format string, args ...any) { problems = append(problems, fmt.Errorf(format, args...)) }
	if err := checkIssuer(cfg.Issuer, hub.ServicePrefix); err != nil {
		bad("issuer (HUBAUTH_OIDC_ISSUER): %v", err)
	}
	cb, err := url.Parse(hub.OAuthCallbackURL)
	if err != nil || !strings.HasPrefix(cb.Path, hub.ServicePrefix) {
		bad("JUPYTERHUB_OAUTH_CALLBACK_URL: the hub's login must come back under the service prefix %s, got %q", hub.ServicePrefix, hub.OAuthCallbackURL)
	}
	p := &Provider{cfg: cfg, login: login, hub: hub, clients: map[string]*Client{}, logger: cfg.Logger, obs: cfg.Observer}
	if p.logger == nil {
		p.logger = slog.New(slog.DiscardHandler)
	}
	if p.cfg.TokenLifetime <= 0 {
		p.cfg.TokenLifetime = DefaultTokenLifetime
	}
	if err := p.setKeys(cfg.Keys); err != nil {
		bad("keys (HUBAUTH_OIDC_KEY_FILE): %v", err)
	}
	if len(cfg.Clients) == 0 {
		bad("clients (HUBAUTH_OIDC_CLIENTS): none")
	}
	for i := range cfg.Clients {
		c := cfg.Clients[i]
		err := c.check()
		switch {
		case c.SecretFile != "" && c.Secret == "":
			err = errors.Join(err, errors.New("client_secret_file: not read (LoadClients reads it)"))
		case p.clients[c.ID] != nil:
			err = errors.Join(err, errors.New("client_id: listed twice"))
		case c.IDTokenSigningAlg != "" && p.signers != nil && p.signers[c.IDTokenSigningAlg] == nil:
			err = errors.Join(err, fmt.Errorf("id_token_signed_response_alg: no %s key", c.IDTokenSigningAlg))
		}
		if err != nil {
			bad("client %.60q: %v", c.ID, strings.ReplaceAll(err.Error(), "\n", "; "))
			continue
		}
		p.clients[c.ID] = &c
	}
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	if p.codes, err = newSealer(hub, "oidc-code", codeLifetime); err != nil {
		return nil, err
	}
	if p.tokens, err = newSealer(hub, "oidc-access-token", p.cfg.TokenLifetime); err != nil {
		return nil, err
	}
	p.opened = newOpenedTokens(hub.CacheMaxAge, hub.CacheSize)
	prefix := hub.ServicePrefix
	p.paths = endpoints{
		discovery: prefix + discoveryPath, authorize: prefix + authorizePath, callback: cb.Path,
		token: prefix + tokenPath, userinfo: prefix + userinfoPath, jwks: prefix + jwksPath, logout: prefix + logoutPath,
	}
	p.hubLogoutURL = hub.Host + hub.HubPrefix + "logout"
	if p.discovery, err = json.Marshal(p.discoveryDocument()); err != nil {
		return nil, err
	}
	if p.jwks, err = p.keySet(); err != nil {
		return nil, err
	}
	return p, nil
}

// setKeys takes the signing keys, or derives one.
func (p *Provider) setKeys(keys []SigningKey) error {
	if len(keys) == 0 {
		src := secrets(p.hub)[0]
		rsaKey, err := deriveRSAKey(src.Bytes, sealkeys.Info(src, keyScope, "signing-key rsa-2048", p.hub.ClientID))
		if err != nil {
			return err
		}
		k, err := NewSigningKey(rsaKey)
		if err != nil {
			return err
		}
		keys = []SigningKey{k}
	}
	if err := checkKeys(keys); err != nil {
		return err
	}
	p.keys = keys
	p.defaultAlg = keys[0].Algorithm
	p.signers = map[string]jose.Signer{}
	for _, k := range keys {
		if p.signers[k.Algorithm] != nil {
			continue
		}
		s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(k.Algorithm), Key: jose.JSONWebKey{Key: k.Key, KeyID: k.ID}},
			(&jose.SignerOptions{}).WithType("JWT"))
		if err != nil {
			return err
		}
		p.signers[k.Algorithm] = s
	}
	return nil
}

// ServeHTTP answers the provider's endpoints; any other path is a 404.
func (p *Provider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case p.paths.discovery:
		p.serveStatic(w, r, p.discovery)
	case p.paths.jwks:
		p.serveStatic(w, r, p.jwks)
	case p.paths.authorize:
		p.authorize(w, r)
	case p.paths.callback:
		p.callback(w, r)
	case p.paths.token:
		p.token(w, r)
	case p.paths.userinfo:
		p.userinfo(w, r)
	case p.paths.logout:
		p.logout(w, r)
	default:
		hubauth.WriteJSONError(w, http.StatusNotFound, "not found: the OpenID Connect provider's discovery document is at "+p.cfg.Issuer+"/"+discoveryPath)
	}
}

// serveStatic answers discovery and the JWKS, which anyone may read,
// also from a web page on another origin.
func (p *Provider) serveStatic(w http.ResponseWriter, r *http.Request, body []byte) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		hubauth.WriteJSONError(w, http.StatusMethodNotAllowed, "this endpoint takes GET")
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(body)
}

// discoveryDocument is OpenID Connect Discovery 1.0 §3's metadata.
func (p *Provider) discoveryDocument() map[string]any {
	iss := p.cfg.Issuer
	algs := []string{}
	for _, k := range p.keys {
		if !slices.Contains(algs, k.Algorithm) {
			algs = append(algs, k.Algorithm)
		}
	}
	scopes := []string{"openid", "profile", "groups"}
	claims := []string{"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "azp", "at_hash", "preferred_username", "name", "groups"}
	if p.cfg.EmailTemplate != "" {
		scopes = append(scopes, "email")
		claims = append(claims, "email")
	}
	return map[string]any{
		"issuer":                                         iss,
		"authorization_endpoint":                         iss + "/" + authorizePath,
		"token_endpoint":                                 iss + "/" + tokenPath,
		"userinfo_endpoint":                              iss + "/" + userinfoPath,
		"jwks_uri":                                       iss + "/" + jwksPath,
		"end_session_endpoint":                           iss + "/" + logoutPath,
		"response_types_supported":                       []string{"code"},
		"response_modes_supported":                       []string{"query"},
		"grant_types_supported":                          []string{"authorization_code"},
		"subject_types_supported":                        []string{"public"},
		"id_token_signing_alg_values_supported":          algs,
		"scopes_supported":                               scopes,
		"claims_supported":                               claims,
		"token_endpoint_auth_methods_supported":          []string{"client_secret_basic", "client_secret_post", "none"},
		"code_challenge_methods_supported":               []string{"S256"},
		"request_parameter_supported":                    false,
		"request_uri_parameter_supported":                false,
		"claims_parameter_supported":                     false,
		"authorization_response_iss_parameter_supported": true,
	}
}

// keySet is the JWKS: the public half of every key.
func (p *Provider) keySet() ([]byte, error) {
	var set jose.JSONWebKeySet
	for _, k := range p.keys {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: k.Key.Public(), KeyID: k.ID, Algorithm: k.Algorithm, Use: "sig"})
	}
	return json.Marshal(set)
}

// client returns the registered client with id, or nil.
func (p *Provider) client(id string) *Client { return p.clients[id] }
