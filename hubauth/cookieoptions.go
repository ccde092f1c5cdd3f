package hubauth

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"
)

// defaultLoginMaxAge is how long a login lasts unless
// JUPYTERHUB_COOKIE_OPTIONS says otherwise: 30 days, as JupyterHub's
// Python client sets its login cookie (expires_days=30). The hub token
// inside may expire sooner; the hub then refuses it and the browser logs in
// again.
const defaultLoginMaxAge = 30 * 24 * time.Hour

// CookieOptions are the login cookie attributes an operator may set through
// JUPYTERHUB_COOKIE_OPTIONS, the JSON object of cookie arguments JupyterHub
// passes to its services. Keys JupyterHub knows but that would weaken the
// cookie (httponly, path) are ignored.
type CookieOptions struct {
	// Secure forces the Secure attribute even when the browser-facing
	// scheme cannot be seen to be https.
	Secure bool
	// SameSite defaults to Lax: the cookie comes along when the hub
	// redirects back, but not on cross-site subrequests.
	SameSite http.SameSite
	// Domain, when set, shares the cookie with subdomains.
	Domain string
	// MaxAge is how long a login lasts: the browser keeps the cookie that
	// long, and the service refuses it once it is older, whatever the
	// browser does (the age is sealed inside). 0 means 30 days, as with
	// JupyterHub's own client.
	MaxAge time.Duration
	// SessionOnly makes the login cookie a browser-session cookie (no
	// Max-Age): JUPYTERHUB_COOKIE_OPTIONS with "expires_days": null or 0.
	// The sealed age limit still applies.
	SessionOnly bool
}

// loginMaxAge is how long a login cookie is honoured: MaxAge, or 30 days
// when that is 0.
func (o CookieOptions) loginMaxAge() time.Duration {
	if o.MaxAge > 0 {
		return o.MaxAge
	}
	return defaultLoginMaxAge
}

// parseCookieOptions reads JUPYTERHUB_COOKIE_OPTIONS, a JSON object of
// cookie arguments as JupyterHub gives them to its services.
func parseCookieOptions(raw string) (CookieOptions, error) {
	opts := CookieOptions{SameSite: http.SameSiteLaxMode}
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return opts, fmt.Errorf("want a JSON object like {\"secure\": true}, got %.60q", raw)
	}
	for k, v := range m {
		var err error
		switch strings.ToLower(k) {
		case "secure":
			err = json.Unmarshal(v, &opts.Secure)
		case "samesite":
			var s string
			if err = json.Unmarshal(v, &s); err == nil {
				opts.SameSite, err = parseSameSite(s)
			}
		case "domain":
			err = json.Unmarshal(v, &opts.Domain)
		case "max_age", "expires_days":
			var n float64
			if err = json.Unmarshal(v, &n); err == nil {
				if strings.EqualFold(k, "expires_days") {
					n *= 24 * 3600
				}
				switch {
				case n < 0 || n > math.MaxInt32:
					err = fmt.Errorf("out of range")
				case n < 1:
					// null or 0: no expiry for the browser, as Tornado
					// reads expires_days=None.
					opts.MaxAge, opts.SessionOnly = 0, true
				default:
					opts.MaxAge, opts.SessionOnly = time.Duration(n*float64(time.Second)), false
				}
			}
		default:
			// httponly, path, expires and anything new: not ours to loosen.
		}
		if err != nil {
			return opts, fmt.Errorf("%s: %v", k, err)
		}
	}
	return opts, nil
}

func parseSameSite(s string) (http.SameSite, error) {
	switch strings.ToLower(s) {
	case "lax", "":
		return http.SameSiteLaxMode, nil
	case "strict":
		return http.SameSiteStrictMode, nil
	case "none":
		return http.SameSiteNoneMode, nil
	}
	return 0, fmt.Errorf("want Lax, Strict or None, got %q", s)
}
