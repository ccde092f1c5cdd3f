// Package whoami is what the two whoami commands serve: the caller's own
// model, written as JupyterHub's Python whoami example writes it. The
// commands run it in the service shell (internal/service); everything
// about JupyterHub itself lives in package hubauth.
package whoami

import (
	"net/http"

	"github.com/hubauth-go/whoami/hubauth"
	"github.com/hubauth-go/whoami/internal/pyjson"
)

// Handler answers with the caller's model exactly as JupyterHub's Python
// whoami example does: json.dumps(model, indent=1, sort_keys=True), so the
// Go service can replace the Python one without a client noticing. It must
// run behind hubauth's middleware.
//
// The formatted answer is kept with the cached hub answer (User.Derived):
// formatting was half of the cached path's CPU time and nearly all its
// allocations (see bench/RESULTS.md).
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := hubauth.UserFromContext(r.Context())
		if u == nil {
			// Only reachable when wired without the middleware.
			http.Error(w, "whoami: no authenticated user", http.StatusInternalServerError)
			return
		}
		ans := u.Derived(formattedKey{}, format).(formatted)
		if ans.err != nil {
			// ParseUser already checked the model is a JSON object.
			http.Error(w, "whoami: cannot format the user model", http.StatusInternalServerError)
			return
		}
		h := w.Header()
		h["Content-Type"] = contentTypeJSON
		h["Cache-Control"] = noStore
		_, _ = w.Write(ans.body)
	})
}

// Shared header values: set directly, they cost no allocation per request.
// Nothing downstream modifies them.
var (
	contentTypeJSON = []string{"application/json"}
	noStore         = []string{"no-store"}
)

type formattedKey struct{}

type formatted struct {
	body []byte
	err  error
}

func format(u *hubauth.User) any {
	body, err := pyjson.Format(u.JSON())
	return formatted{body, err}
}
