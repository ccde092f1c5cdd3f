// Package oidc makes a JupyterHub service an OpenID Connect provider for
// the hub's users, so that any application that logs users in through
// OpenID Connect by configuration alone (Grafana, Gitea, MinIO,
// oauth2-proxy, another JupyterHub with oauthenticator's
// GenericOAuthenticator, …) can use the hub's login. JupyterHub is an
// OAuth 2.0 provider, but has no discovery document, no id_token, no
// JWKS and no userinfo in OpenID Connect's shape; this package adds them
// in front of it.
//
// The provider is an OAuth client of the hub itself, like any browser
// service built with [hubauth.OAuth]: a client's authorization request
// sends the browser through the hub's own login (and the hub's consent
// page, when the hub shows one), and the provider hands the client a code
// when the hub's login comes back. The endpoints, all below the issuer
// (the service's prefix):
//
//	/.well-known/openid-configuration  discovery
//	/authorize                         the authorization endpoint
//	/oauth_callback                    where the hub's login comes back
//	/token                             the token endpoint
//	/userinfo                          the userinfo endpoint
//	/jwks                              the signing keys, public halves
//	/logout                            RP-initiated logout (end session)
//
// Nothing is kept in server memory that another replica, or a restarted
// process, would need. The code a client gets seals the hub's own code,
// unexchanged, with the request it answers (client, redirect URI, PKCE
// challenge, nonce, scopes); the token endpoint opens it, checks the
// request against it and only then exchanges the hub's code at the hub,
// which accepts a code once: so a code works once, at any replica. The
// access token seals the hub token the exchange gave, and userinfo checks
// that token with the hub on every use, through hubauth's answer cache:
// a token the hub revokes is refused within the cache's max age. The keys
// that seal codes and tokens, and by default the RSA key that signs
// id_tokens, are derived from the service's secret, so every replica has
// the same ones.
//
// What the provider speaks: the authorization code flow only, with PKCE
// (S256; required of public clients, those without a secret), state and
// nonce, client_secret_basic and client_secret_post; scopes openid,
// profile, groups and, with an operator's template, email ([Config]). Its
// errors follow RFC 6749: an unknown client or a redirect URI not
// registered for it exactly get an error page and are never redirected
// to; other faults of an authorization request go back to the client;
// the token endpoint answers JSON.
//
// # Reading the code
//
// provider.go builds the provider and routes its endpoints (discovery and
// the JWKS are there too); then, in the order of a login, authorize.go,
// callback.go, token.go with idtoken.go, userinfo.go and logout.go. What
// codes and tokens hold is in sealed.go, how they are sealed in seal.go.
// The clients and their file are client.go and clientsfile.go; signing
// keys, signingkey.go and derivedkey.go. errors.go answers refusals in
// each of OAuth's ways.
package oidc
