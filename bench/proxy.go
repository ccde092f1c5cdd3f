package bench

import (
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
)

// HubProxy sits between a service and the hub's API. It counts the
// service's GET /user calls, can make them slow (to see whether one slow
// hub call holds up other requests), and answers tokens starting with
// JunkPrefix itself with the hub's own refusal, so floods of junk tokens
// measure the service and not the hub's database.
type HubProxy struct {
	target     *httputil.ReverseProxy
	userCalls  atomic.Int64
	delayNanos atomic.Int64
}

// JunkPrefix marks tokens that HubProxy refuses without asking the hub.
const JunkPrefix = "junk"

// NewHubProxy forwards to the hub at hubURL (scheme and host).
func NewHubProxy(hubURL string) (*HubProxy, error) {
	u, err := url.Parse(hubURL)
	if err != nil {
		return nil, err
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.Transport = &http.Transport{MaxIdleConnsPerHost: 256, Proxy: nil}
	return &HubProxy{target: rp}, nil
}

func (p *HubProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/user") {
		p.userCalls.Add(1)
		if d := time.Duration(p.delayNanos.Load()); d > 0 {
			time.Sleep(d)
		}
		auth := r.Header.Get("Authorization")
		if strings.HasPrefix(auth, "token "+JunkPrefix) || strings.HasPrefix(auth, "Bearer "+JunkPrefix) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`{"status": 403, "message": null}`))
			return
		}
	}
	p.target.ServeHTTP(w, r)
}

// UserCalls is how many GET /user requests came through so far.
func (p *HubProxy) UserCalls() int64 { return p.userCalls.Load() }

// SetDelay makes every GET /user wait d before it is answered.
func (p *HubProxy) SetDelay(d time.Duration) { p.delayNanos.Store(int64(d)) }
