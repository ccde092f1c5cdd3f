package hubauth

import "net/http"

// Logout ends the browser's login to this service and sends it on to the
// hub's logout page ({JUPYTERHUB_HOST}{hub prefix}logout), which ends the
// hub session too, so the next visit asks for a login again.
// [OAuth.Middleware] serves it at {prefix}logout: a page offers a logout
// with a plain link there.
//
// Logging out at the hub alone is enough to end the service's login (the
// hub session id is part of what the service checks), but the service's
// cookies would stay in the browser until then; Logout clears them first.
func (o *OAuth) Logout(w http.ResponseWriter, r *http.Request) {
	o.ClearLogin(w, r)
	if u, err := FromContext(r.Context()); err == nil && u != nil {
		o.auth.logger.Info("logged out", "kind", u.Kind, "name", u.Name)
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, o.hubLogoutURL, http.StatusFound)
}

// ClearLogin tells the browser to drop this service's login cookie, its
// _xsrf cookie and any logins in flight, without answering the request:
// for an app with a logout page of its own. The hub session is untouched,
// so a browser that comes back is logged in again without being asked
// (unless the hub asks it to authorize the service). To end that too,
// send the browser to the hub's logout page, as [OAuth.Logout] does.
func (o *OAuth) ClearLogin(w http.ResponseWriter, r *http.Request) {
	o.login.clear(w, r)
	o.csrf.clear(w, r)
	o.states.clearAll(w, r)
}
