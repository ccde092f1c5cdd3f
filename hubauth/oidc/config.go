package oidc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"
)

// Config is what a [Provider] needs beyond the hub service it runs as.
type Config struct {
	// Issuer names the provider, and is the base of its endpoints: an
	// http or https URL without a trailing slash whose path is the
	// service's prefix without its trailing slash, e.g.
	// https://hub.example.org/services/oidc for a service at
	// /services/oidc/. Discovery is at {Issuer}/.well-known/openid-configuration,
	// and clients check every id_token's iss against it, so it must be the
	// URL they reach the provider at.
	Issuer string
	// Clients are the applications that may log users in.
	Clients []Client
	// Keys sign id_tokens: each client's with the first key of the
	// algorithm it asks for (Client.IDTokenSigningAlg), by default the
	// first key's. All are published at the JWKS endpoint. Empty: one RSA
	// key (RS256) derived from the service's secret (see derivedkey.go),
	// the same on every replica and after every restart.
	Keys []SigningKey
	// EmailTemplate, when set, gives users an email claim (scope email):
	// "{name}" in it is replaced by the hub user name, e.g.
	// "{name}@example.org". The hub knows no email addresses, and many
	// applications need one.
	EmailTemplate string
	// TokenLifetime bounds how long access tokens and id_tokens are valid
	// (DefaultTokenLifetime when 0); never longer than the hub token
	// behind them.
	TokenLifetime time.Duration
	// Logger receives a line for every token issued and every request
	// refused, never with a secret, a code or a token. nil discards them.
	Logger *slog.Logger
	// Observer, when set, is told of codes and tokens issued and requests
	// refused, for metrics.
	Observer *Observer
}

// DefaultTokenLifetime is how long access tokens and id_tokens last
// unless Config.TokenLifetime says otherwise: an hour, as most providers
// give. A client logs the user in again after it, through the hub's
// session, without asking.
const DefaultTokenLifetime = time.Hour

// codeLifetime is how long a code may wait for its exchange. The hub's
// own code inside lasts five minutes; a client exchanges at once.
const codeLifetime = 2 * time.Minute

// checkIssuer checks an issuer against the service's prefix.
func checkIssuer(issuer, prefix string) error {
	u, err := url.Parse(issuer)
	switch {
	case issuer == "":
		return errors.New("not set")
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "":
		return fmt.Errorf("want an http or https URL like https://hub.example.org%s, got %.100q", strings.TrimSuffix(prefix, "/"), issuer)
	case u.User != nil:
		return errors.New("must not hold a user name or password")
	case u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(issuer, "?#"):
		return fmt.Errorf("must not have a query or fragment (OpenID Connect Discovery §3), got %.100q", issuer)
	case strings.HasSuffix(issuer, "/"):
		return fmt.Errorf("must not end with '/': clients compare it byte for byte with the iss of every id_token, got %.100q", issuer)
	case u.EscapedPath()+"/" != prefix:
		return fmt.Errorf("its path %q must be the service prefix %s without the trailing slash, so that the endpoints it names reach this service", u.EscapedPath(), prefix)
	}
	return nil
}

// Observer is told what the provider does, for metrics: like
// hubauth.Observer, a struct of optional functions, called on the
// request's goroutine; they must be quick. They never see a secret, a
// code or a token.
type Observer struct {
	// CodeIssued: a browser came back from the hub's login and was sent
	// to client with a code.
	CodeIssued func(ctx context.Context, client string)
	// TokenIssued: client exchanged a code for tokens.
	TokenIssued func(ctx context.Context, client string)
	// Refused: a request was refused. endpoint is authorize, callback,
	// token, userinfo or logout; code is the OAuth error code
	// (invalid_grant, invalid_token, …). Neither comes from the request
	// as sent, so both are fit for a metric label.
	Refused func(ctx context.Context, endpoint, code string)
}

func (o *Observer) codeIssued(ctx context.Context, client string) {
	if o != nil && o.CodeIssued != nil {
		o.CodeIssued(ctx, client)
	}
}

func (o *Observer) tokenIssued(ctx context.Context, client string) {
	if o != nil && o.TokenIssued != nil {
		o.TokenIssued(ctx, client)
	}
}

func (o *Observer) refused(ctx context.Context, endpoint, code string) {
	if o != nil && o.Refused != nil {
		o.Refused(ctx, endpoint, code)
	}
}
