package proxycmd

import (
	"net/http"
	"strings"

	"github.com/hubauth-go/whoami/hubauth"
	"github.com/hubauth-go/whoami/hubauth/hubproxy"
	"github.com/hubauth-go/whoami/internal/appserver"
)

// signInPath is where, under the prefix, an ingress's sign-in redirect
// starts a login: {prefix}_hubauth/sign_in?rd=URL.
const signInPath = "_hubauth/sign_in"

// Routes are what the proxy's main listener serves.
type Routes struct {
	// Prefix is the service's prefix (JUPYTERHUB_SERVICE_PREFIX).
	Prefix string
	// AuthEndpoint, when set, is the path of the forward-auth endpoint
	// that answers with the caller's name and groups.
	AuthEndpoint string
	Login        *hubauth.OAuth
	Proxy        *hubproxy.Proxy
	Activity     *appserver.Activity
	// DefaultURL is JUPYTERHUB_DEFAULT_URL for a user's server: where a
	// browser that opens the prefix itself is sent, as
	// jupyterhub-singleuser sends it (c.Spawner.default_url).
	DefaultURL string
	// HubVersion, for a user's server, is sent as X-JupyterHub-Version on
	// every answer: the hub reads it when the server starts, and warns
	// about a server without it.
	HubVersion string
}

// Handler routes the proxy's requests: the forward-auth endpoint, if
// any; the sign-in an ingress starts; the default URL; everything under
// the prefix through the hub's login (which also answers the OAuth
// callback) to the app, counting activity; a JSON 404 elsewhere.
func (rt Routes) Handler() http.Handler {
	app := hubauth.UnderPrefix(rt.Prefix, rt.Login.Middleware(rt.Activity.Middleware(rt.Proxy)))
	var forward http.Handler
	if rt.AuthEndpoint != "" {
		forward = rt.Login.Identify(rt.Proxy.ForwardAuth())
	}
	signIn := rt.Prefix + signInPath
	bare := strings.TrimSuffix(rt.Prefix, "/")
	landing := ""
	if d := strings.TrimPrefix(rt.DefaultURL, "/"); d != "" {
		landing = rt.Prefix + d
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rt.HubVersion != "" {
			w.Header().Set("X-JupyterHub-Version", rt.HubVersion)
		}
		switch p := r.URL.Path; {
		case forward != nil && p == rt.AuthEndpoint:
			forward.ServeHTTP(w, r)
		case p == signIn:
			rt.Login.StartLoginTo(w, r, returnURL(r))
		case landing != "" && (p == rt.Prefix || p == bare) && (r.Method == http.MethodGet || r.Method == http.MethodHead):
			http.Redirect(w, r, landing, http.StatusFound)
		default:
			app.ServeHTTP(w, r)
		}
	})
}

// returnURL is the rd parameter of a sign-in link: where the browser goes
// once logged in. ingress-nginx writes it encoded ($escaped_request_uri);
// plain nginx can only write $request_uri as it came, whose own query
// would be cut at its first '&' by a query parser. So when rd comes last,
// as the README's recipe writes it, and is a plain URL, the whole rest of
// the query is the URL.
func returnURL(r *http.Request) string {
	raw := r.URL.RawQuery
	i := strings.Index(raw, "rd=")
	if i < 0 || (i > 0 && raw[i-1] != '&') {
		return r.URL.Query().Get("rd")
	}
	rest := raw[i+len("rd="):]
	if strings.HasPrefix(rest, "http://") || strings.HasPrefix(rest, "https://") || strings.HasPrefix(rest, "/") {
		return rest
	}
	return r.URL.Query().Get("rd")
}
