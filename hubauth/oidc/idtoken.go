package oidc

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/hubauth-go/whoami/hubauth"
)

// The claims about a user, the same in the id_token and at userinfo
// (OpenID Connect Core §5.1): sub is the hub user name, which the hub
// never reuses for someone else while the user exists.
//
//	scope    claims
//	openid   sub
//	profile  preferred_username, name (the hub has no other name)
//	groups   groups (the user's hub groups; [] when none)
//	email    email, from the operator's template (Config.EmailTemplate)

// claims are what scopes reveal about u.
func (p *Provider) claims(u *hubauth.User, scopes []string) map[string]any {
	c := map[string]any{"sub": u.Name}
	for _, s := range scopes {
		switch s {
		case "profile":
			c["preferred_username"] = u.Name
			c["name"] = u.Name
		case "groups":
			groups := u.Groups
			if groups == nil {
				groups = []string{}
			}
			c["groups"] = groups
		case "email":
			if p.cfg.EmailTemplate != "" {
				c["email"] = strings.ReplaceAll(p.cfg.EmailTemplate, "{name}", u.Name)
			}
		}
	}
	return c
}

// idToken signs the id_token for a code's exchange: the standard claims
// (iss, sub, aud, exp, iat, auth_time, nonce, azp, at_hash) and the user's
// claims for the code's scopes, signed with the client's algorithm.
func (p *Provider) idToken(client *Client, u *hubauth.User, cc codeContents, accessToken string, now, exp time.Time) (string, error) {
	alg := client.IDTokenSigningAlg
	if alg == "" {
		alg = p.defaultAlg
	}
	std := jwt.Claims{
		Issuer:   p.cfg.Issuer,
		Subject:  u.Name,
		Audience: jwt.Audience{client.ID},
		Expiry:   jwt.NewNumericDate(exp),
		IssuedAt: jwt.NewNumericDate(now),
	}
	extra := p.claims(u, cc.Scopes)
	delete(extra, "sub")
	extra["auth_time"] = cc.AuthTime
	extra["azp"] = client.ID
	extra["at_hash"] = tokenHash(alg, accessToken)
	if cc.Nonce != "" {
		extra["nonce"] = cc.Nonce
	}
	return jwt.Signed(p.signers[alg]).Claims(std).Claims(extra).Serialize()
}

// tokenHash is an access token's at_hash (OpenID Connect Core §3.1.3.6):
// the left half of its hash with the id_token's algorithm's hash
// function, base64url-encoded.
func tokenHash(alg, token string) string {
	var sum []byte
	switch alg {
	case "ES384":
		s := sha512.Sum384([]byte(token))
		sum = s[:]
	case "ES512":
		s := sha512.Sum512([]byte(token))
		sum = s[:]
	default: // RS256, ES256
		s := sha256.Sum256([]byte(token))
		sum = s[:]
	}
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
}
