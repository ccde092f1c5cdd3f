package appserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// DefaultActivityInterval is how often, at most, activity is reported:
// JUPYTERHUB_ACTIVITY_INTERVAL's default in jupyterhub-singleuser.
const DefaultActivityInterval = 300 * time.Second

// ActivityConfig says where and how often to report activity. A user's
// server gets it from the hub; a service has no activity URL and reports
// nothing.
type ActivityConfig struct {
	// URL is JUPYTERHUB_ACTIVITY_URL, e.g.
	// http://127.0.0.1:8081/hub/api/users/ada/activity. Empty: no reports.
	URL string
	// Token is the server's own token (JUPYTERHUB_API_TOKEN).
	Token string
	// ServerName is JUPYTERHUB_SERVER_NAME, "" for the default server.
	ServerName string
	// Interval is the least time between two reports.
	Interval time.Duration
}

// ActivityFromEnv reads the activity settings; lookup is os.LookupEnv in
// the command. Every problem is reported, naming its variable.
func ActivityFromEnv(lookup func(string) (string, bool)) (ActivityConfig, error) {
	get := func(k string) string { v, _ := lookup(k); return v }
	cfg := ActivityConfig{
		URL:        get("JUPYTERHUB_ACTIVITY_URL"),
		Token:      get("JUPYTERHUB_API_TOKEN"),
		ServerName: get("JUPYTERHUB_SERVER_NAME"),
		Interval:   DefaultActivityInterval,
	}
	var errs []error
	if cfg.URL != "" {
		// A unix-socket hub API (http+unix://%2F…) is no URL url.Parse
		// takes; the command reports through its hub client then.
		unixSocket := strings.HasPrefix(cfg.URL, "http+unix://") || strings.HasPrefix(cfg.URL, "unix+http://")
		if u, err := url.Parse(cfg.URL); !unixSocket && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "") {
			errs = append(errs, fmt.Errorf("JUPYTERHUB_ACTIVITY_URL: want an http(s) URL like http://127.0.0.1:8081/hub/api/users/NAME/activity, got %.80q", redactURL(cfg.URL)))
		}
	}
	if raw := get("JUPYTERHUB_ACTIVITY_INTERVAL"); raw != "" {
		f, err := strconv.ParseFloat(raw, 64)
		if err != nil || f <= 0 || f > 1e7 {
			errs = append(errs, fmt.Errorf("JUPYTERHUB_ACTIVITY_INTERVAL: want a positive number of seconds, got %.40q", raw))
		} else {
			cfg.Interval = time.Duration(f * float64(time.Second))
		}
	}
	return cfg, errors.Join(errs...)
}

// Activity tells the hub when the server was last used: requests Touch it
// (and so does every read and write on a websocket, websocket.go), and Run
// posts the time of the latest one to the hub, at most once per Interval
// and only when there was a request since the last post. A post that fails
// is tried again with backoff, as jupyterhub-singleuser does.
type Activity struct {
	cfg    ActivityConfig
	send   Sender
	logger *slog.Logger
	last   atomic.Int64 // unix nanoseconds of the latest request
	signal chan struct{}
	posted atomic.Int64 // reports the hub accepted, for tests and logs
	retry  backoff
}

// backoff is how a failed report is tried again: after first, then twice
// as long each time up to most, until giving up after total (the next
// request starts again). jupyterhub-singleuser's values: 1 s, 15 s, 60 s.
type backoff struct {
	first, most, total time.Duration
}

var singleuserBackoff = backoff{first: time.Second, most: 15 * time.Second, total: 60 * time.Second}

// Sender delivers one activity report (a JSON body) to url with the
// server's token. A hub whose API is on a unix socket or behind internal
// SSL needs the service's own hub client for that; [HTTPSender] is the
// plain one.
type Sender func(ctx context.Context, url, token string, body []byte) error

// HTTPSender posts reports with client (nil: one with a 10 s timeout).
func HTTPSender(client *http.Client) Sender {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	return func(ctx context.Context, url, token string, body []byte) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "token "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return errors.New(rootCause(err))
		}
		return CheckReport(resp)
	}
}

// CheckReport reads and closes the hub's answer to a report: an error
// unless it is a 2xx.
func CheckReport(resp *http.Response) error {
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 300 {
		return fmt.Errorf("the hub answered %s", resp.Status)
	}
	return nil
}

// NewActivity makes the reporter; call Run to start reporting. A nil
// send is HTTPSender(nil), a nil logger discards.
func NewActivity(cfg ActivityConfig, send Sender, logger *slog.Logger) *Activity {
	if send == nil {
		send = HTTPSender(nil)
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultActivityInterval
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Activity{cfg: cfg, send: send, logger: logger, signal: make(chan struct{}, 1), retry: singleuserBackoff}
}

// Touch records a request now. It is cheap: an atomic store and, at most,
// a non-blocking send.
func (a *Activity) Touch() {
	a.last.Store(time.Now().UnixNano())
	select {
	case a.signal <- struct{}{}:
	default:
	}
}

// Middleware touches the activity when a request starts and when it ends;
// on a websocket (any connection the handler takes over), every read and
// write touches it too, so an app used through one long websocket is not
// idle to the hub's culler while someone uses it.
func (a *Activity) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.Touch()
		defer a.Touch()
		if r.Header.Get("Upgrade") != "" {
			// Only an upgrade is taken over; other requests go as they
			// came, without a wrapper to allocate.
			w = &hijackTouching{ResponseWriter: w, touch: a.Touch}
		}
		next.ServeHTTP(w, r)
	})
}

// Posted is how many reports the hub has accepted.
func (a *Activity) Posted() int64 { return a.posted.Load() }

// Run reports activity until ctx ends. Without a URL it does nothing.
func (a *Activity) Run(ctx context.Context) {
	if a.cfg.URL == "" {
		return
	}
	var lastPost time.Time
	var reported int64
	for {
		select {
		case <-ctx.Done():
			return
		case <-a.signal:
		}
		if wait := time.Until(lastPost.Add(a.cfg.Interval)); wait > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
		}
		// Requests that came during the wait are in last; their signal
		// is drained so they do not cause a second post at once.
		select {
		case <-a.signal:
		default:
		}
		when := a.last.Load()
		if when == reported {
			continue
		}
		lastPost = time.Now()
		if !a.postWithRetry(ctx, when) {
			continue
		}
		reported = when
		a.posted.Add(1)
	}
}

// postWithRetry reports the activity at when (Unix nanoseconds), trying
// again with backoff while the hub fails, for at most retry.total. A
// newer request while it waits is reported instead. It reports whether
// the hub took a report.
func (a *Activity) postWithRetry(ctx context.Context, when int64) bool {
	deadline := time.Now().Add(a.retry.total)
	wait := a.retry.first
	for {
		err := a.post(ctx, time.Unix(0, when))
		if err == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		// The URL's user name and password, if an operator put them
		// there, are never printed.
		a.logger.Warn("could not report activity to the hub; trying again", "url", redactURL(a.cfg.URL), "in", wait, "error", err.Error())
		if time.Now().Add(wait).After(deadline) {
			a.logger.Warn("gave up reporting activity until the next request", "url", redactURL(a.cfg.URL))
			return false
		}
		// Up to a fifth more or less, so servers that failed together do
		// not all try again together.
		jitter := time.Duration(rand.Int64N(int64(wait)/5+1)) - wait/10
		select {
		case <-ctx.Done():
			return false
		case <-time.After(wait + jitter):
		}
		wait = min(2*wait, a.retry.most)
		when = max(when, a.last.Load())
	}
}

// redactURL is raw with any password replaced by "xxxxx", for logs and
// messages; text that is not a URL has everything between "://" and an
// "@" left out.
func redactURL(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Redacted()
	}
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return raw
	}
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		return scheme + "://" + rest[at+1:]
	}
	return raw
}

// post sends one report, in the shape jupyterhub-singleuser sends:
// {"servers": {NAME: {"last_activity": T}}, "last_activity": T}.
func (a *Activity) post(ctx context.Context, when time.Time) error {
	ts := when.UTC().Format("2006-01-02T15:04:05.000000Z")
	body, err := json.Marshal(map[string]any{
		"servers":       map[string]any{a.cfg.ServerName: map[string]string{"last_activity": ts}},
		"last_activity": ts,
	})
	if err != nil {
		return err
	}
	return a.send(ctx, a.cfg.URL, a.cfg.Token, body)
}
