package probe

import (
	"context"
	"net/http"
	"time"
)

// DefaultEvery is how long a readiness answer is reused: probes may come
// every second, and the hub should not be asked that often.
const DefaultEvery = 3 * time.Second

// Handler serves
//
//   - /healthz: 200 while the process runs;
//   - /readyz: 200 when the last readiness check, at most every old
//     (DefaultEvery when 0), passed, else 503 saying why (an
//     Authenticator's error names the hub's API URL).
//
// ready is the readiness check, normally an Authenticator's Ready; nil
// means always ready. Other paths get 404, other methods than GET and
// HEAD 405.
func Handler(ready func(context.Context) error, every time.Duration) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeText(w, http.StatusOK, "ok")
	})
	var rd *readiness
	if ready != nil {
		rd = newReadiness(ready, every)
	}
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if rd != nil {
			if err := rd.check(r.Context()); err != nil {
				writeText(w, http.StatusServiceUnavailable, "not ready: "+err.Error())
				return
			}
		}
		writeText(w, http.StatusOK, "ok")
	})
	return mux
}

func writeText(w http.ResponseWriter, status int, msg string) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(msg + "\n"))
}
