package oidc

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/hubauth-go/whoami/hubauth"
)

// Client is an application that logs its users in through the provider
// (a relying party, in OpenID Connect's words), as the operator registered
// it. [LoadClients] reads them from a file; the field names there are the
// ones of OpenID Connect's dynamic client registration.
type Client struct {
	// ID is the client_id the application sends.
	ID string `yaml:"client_id"`
	// Secret is the client_secret it authenticates with at the token
	// endpoint (client_secret_basic or client_secret_post). Empty makes
	// it a public client (an app in the browser, a command-line tool),
	// which must use PKCE instead.
	Secret string `yaml:"client_secret"`
	// SecretFile names a file holding the secret instead, such as a
	// mounted Kubernetes Secret; surrounding white space is ignored.
	SecretFile string `yaml:"client_secret_file"`
	// RedirectURIs are where the provider may send a browser back to with
	// a code or an error. A request's redirect_uri must be one of them,
	// exactly, or it is refused with an error page and no redirect.
	RedirectURIs []string `yaml:"redirect_uris"`
	// AllowedGroups, when set, admit only users in at least one of these
	// hub groups; the others are refused a token. Empty admits every hub
	// user who may use the provider's service.
	AllowedGroups []string `yaml:"allowed_groups"`
	// PostLogoutRedirectURIs are where the end-session endpoint may send
	// a browser back to after logging it out of the hub, exactly as
	// registered.
	PostLogoutRedirectURIs []string `yaml:"post_logout_redirect_uris"`
	// IDTokenSigningAlg picks the algorithm of the keys that sign this
	// client's id_tokens (RS256, ES256, …); empty means the first key's.
	IDTokenSigningAlg string `yaml:"id_token_signed_response_alg"`
}

// public reports whether the client has no secret, so it must prove
// itself with PKCE.
func (c *Client) public() bool { return c.Secret == "" }

// secretMatches compares a presented secret with the client's in constant
// time.
func (c *Client) secretMatches(secret string) bool {
	return subtle.ConstantTimeCompare([]byte(c.Secret), []byte(secret)) == 1
}

// admits reports whether the client lets u in (AllowedGroups).
func (c *Client) admits(u *hubauth.User) bool {
	if len(c.AllowedGroups) == 0 {
		return true
	}
	for _, g := range u.Groups {
		if slices.Contains(c.AllowedGroups, g) {
			return true
		}
	}
	return false
}

// maxURILength bounds a registered URI, and so what a request may name.
const maxURILength = 1024

// check reports what is wrong with one client entry, every problem at
// once.
func (c *Client) check() error {
	var problems []error
	bad := func(format string, args ...any) { problems = append(problems, fmt.Errorf(format, args...)) }
	switch {
	case c.ID == "":
		bad("client_id: missing")
	case !visibleASCII(c.ID) || len(c.ID) > 255:
		bad("client_id: want at most 255 printable ASCII characters without spaces, got %q", c.ID)
	}
	if c.Secret != "" && !visibleASCII(c.Secret) {
		bad("client_secret: want printable ASCII without spaces")
	}
	if len(c.RedirectURIs) == 0 {
		bad("redirect_uris: missing: list where the application receives the code, e.g. https://app.example.org/oauth2/callback")
	}
	for _, u := range c.RedirectURIs {
		if err := checkRegisteredURI(u); err != nil {
			bad("redirect_uris: %v", err)
		}
	}
	for _, u := range c.PostLogoutRedirectURIs {
		if err := checkRegisteredURI(u); err != nil {
			bad("post_logout_redirect_uris: %v", err)
		}
	}
	for _, g := range c.AllowedGroups {
		if g == "" {
			bad("allowed_groups: an empty group name")
		}
	}
	return errors.Join(problems...)
}

// checkRegisteredURI accepts an absolute URI without a fragment (RFC 6749
// §3.1.2): https, http (for loopback and development), or an app's own
// scheme (native apps, RFC 8252).
func checkRegisteredURI(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil, len(raw) > maxURILength, !visibleASCII(raw):
		return fmt.Errorf("%.80q is not a URI", raw)
	case u.Scheme == "":
		return fmt.Errorf("%.80q is not absolute", raw)
	case slices.Contains([]string{"javascript", "data", "vbscript", "file"}, strings.ToLower(u.Scheme)):
		return fmt.Errorf("%.80q: a %s: URI is no place to send a browser with a code", raw, u.Scheme)
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return fmt.Errorf("%.80q has a fragment, which a redirect URI must not have", raw)
	case u.User != nil:
		return fmt.Errorf("%.80q has a user name or password", u.Redacted())
	case (u.Scheme == "http" || u.Scheme == "https") && u.Host == "":
		return fmt.Errorf("%.80q has no host", raw)
	}
	return nil
}

// visibleASCII reports whether s is non-empty printable ASCII without
// spaces: what a client id, a secret or a URI may be made of here.
func visibleASCII(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}
