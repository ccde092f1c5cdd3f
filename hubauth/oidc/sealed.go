package oidc

// What the provider's codes and access tokens hold, sealed (seal.go), so
// that any replica can check them with nothing kept in memory.

// codeContents is inside the code a client gets: the hub's own code,
// unexchanged, and everything the token endpoint must check the exchange
// against. The hub accepts its code once, so this code works once too, at
// any replica; the seal's age limit (codeLifetime) makes it short-lived.
type codeContents struct {
	HubCode     string   `json:"h"`
	HubVerifier string   `json:"v"` // the PKCE verifier of the hub's login
	Client      string   `json:"c"`
	RedirectURI string   `json:"r"`
	Challenge   string   `json:"p,omitempty"` // the client's PKCE challenge, S256
	Nonce       string   `json:"n,omitempty"`
	Scopes      []string `json:"s"`
	AuthTime    int64    `json:"a"` // when the hub's login came back, Unix seconds
}

// accessContents is inside an access token: the hub token behind it,
// which userinfo checks with the hub (through the answer cache) on every
// use, so a token the hub revokes, or a user it deletes, is refused
// within the cache's max age.
type accessContents struct {
	HubToken string   `json:"t"`
	Client   string   `json:"c"`
	Scopes   []string `json:"s"`
	Expires  int64    `json:"e"` // Unix seconds
}
