// Package whoami holds what the two whoami commands share: the handler that
// shows callers their own model, the routing under the service prefix, an
// access log and usage text. Everything about JupyterHub itself, serving
// included (timeouts, internal SSL, graceful shutdown), lives in package
// hubauth.
package whoami

import (
	"log/slog"
	"net/http"
	"strings"
	"time"

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

// UnderPrefix serves h for the service prefix and every path below it (and
// the prefix without its trailing slash); other paths get a JSON 404. The
// proxy sends the service only its own prefix, so anything else reached the
// port directly.
func UnderPrefix(prefix string, h http.Handler) http.Handler {
	bare := strings.TrimSuffix(prefix, "/")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if strings.HasPrefix(p, prefix) || (bare != "" && p == bare) {
			h.ServeHTTP(w, r)
			return
		}
		hubauth.WriteJSONError(w, http.StatusNotFound, "not found: this service serves "+prefix)
	})
}

// AccessLog logs one line per request: method, path (never the query,
// which may hold a token), status and duration.
func AccessLog(logger *slog.Logger, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(rec, r)
		logger.Info("request",
			"method", r.Method,
			"path", r.URL.Path,
			"status", rec.status,
			"duration", time.Since(start).Round(time.Microsecond),
		)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the real writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
