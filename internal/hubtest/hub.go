package hubtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Hub is a running JupyterHub with its proxy.
type Hub struct {
	// URL is the proxy's public address, e.g. http://127.0.0.1:40123, where
	// browsers and clients reach the hub (/hub/) and services (/services/).
	URL string
	// APIURL is the hub's API as managed services are given it
	// (JUPYTERHUB_API_URL): the hub directly, not through the proxy.
	APIURL string
	// AdminToken belongs to the rig's admin service; API uses it.
	AdminToken string
	// Dir holds the config, database and log.
	Dir string

	hubPort, proxyAPIPort int
	proxyToken            string
	exe                   string // the jupyterhub executable
	config                string
	services              []Service
	env                   []string
	proc                  *Process
	version               Version
	shape
}

// StartTimeout bounds how long the hub may take to come up.
const StartTimeout = 90 * time.Second

// Start runs a hub for the test on free loopback ports, waits until it
// answers and the proxy routes every service with a URL, and stops it
// (with everything it started) when the test ends.
func Start(t testing.TB, opts Options) *Hub {
	t.Helper()
	Require(t)
	exe := JupyterHubPath()
	if opts.Venv != "" {
		exe = requireVenv(t, opts.Venv, opts.VenvTarget)
	}
	port := opts.Port
	if port == 0 {
		port = FreePort(t)
	}
	h := &Hub{
		URL:          fmt.Sprintf("http://127.0.0.1:%d", port),
		AdminToken:   RandomToken(),
		Dir:          t.TempDir(),
		hubPort:      FreePort(t),
		proxyAPIPort: FreePort(t),
		proxyToken:   RandomToken(),
		services:     opts.Services,
		env:          opts.Env,
		exe:          exe,
		version:      versionOf(t, exe),
	}
	h.APIURL = fmt.Sprintf("http://127.0.0.1:%d/hub/api", h.hubPort)
	h.applyShape(t, opts)
	config, err := h.writeConfig(opts)
	if err != nil {
		t.Fatalf("write hub config: %v", err)
	}
	h.config = config
	h.start(t)
	return h
}

func (h *Hub) start(t testing.TB) {
	t.Helper()
	env := []string{
		"PATH=" + filepath.Dir(ProxyPath()) + string(os.PathListSeparator) + os.Getenv("PATH"),
		"CONFIGPROXY_AUTH_TOKEN=" + h.proxyToken,
	}
	for _, k := range []string{"HUBTEST_DEBUG", "LANG", "LC_ALL", "TMPDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	env = append(env, h.env...)
	h.proc = startIn(t, h.Dir, h.exe, env, "-f", h.config)
	t.Cleanup(func() { h.stop() })
	if err := h.waitReady(StartTimeout); err != nil {
		t.Fatalf("JupyterHub did not come up: %v\nhub log:\n%s", err, h.LogTail())
	}
}

// waitReady polls until the hub answers through the proxy and the proxy
// has a route for every service with a URL: the hub adds those only after
// its managed services started, so tests can call them at once.
func (h *Hub) waitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	c := &http.Client{Timeout: 2 * time.Second}
	var last error
	for time.Now().Before(deadline) {
		if !h.proc.Running() {
			return fmt.Errorf("jupyterhub exited: %v", h.proc.err)
		}
		if last = h.ready(c); last == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("after %s: %v", limit, last)
}

func (h *Hub) ready(c *http.Client) error {
	resp, err := c.Get(h.URL + "/hub/api/")
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("GET /hub/api/ through the proxy: %s", resp.Status)
	}
	pc, err := h.proxyClient()
	if err != nil {
		return err
	}
	req, _ := http.NewRequest("GET", h.proxyAPIURL()+"/api/routes", nil)
	req.Header.Set("Authorization", "token "+h.proxyToken)
	pc.Timeout = c.Timeout
	resp, err = pc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var routes map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&routes); err != nil {
		return fmt.Errorf("proxy routes: %v", err)
	}
	// Every service the hub knows with a URL, whether from Options or a
	// loaded config file, needs its route.
	hc, err := h.apiClient()
	if err != nil {
		return err
	}
	hc.Timeout = c.Timeout
	req, _ = http.NewRequest("GET", h.apiBase+"/services", nil)
	req.Header.Set("Authorization", "token "+h.AdminToken)
	resp, err = hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var services map[string]struct {
		URL    string `json:"url"`
		Prefix string `json:"prefix"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&services); err != nil {
		return fmt.Errorf("GET /hub/api/services: %s: %v", resp.Status, err)
	}
	for name, s := range services {
		if s.URL == "" {
			continue
		}
		route := strings.TrimSuffix(s.Prefix, "/")
		if route == "" {
			route = "/services/" + name
		}
		if _, ok := routes[route]; !ok {
			if _, ok := routes[route+"/"]; !ok {
				return fmt.Errorf("proxy has no route %s yet", route)
			}
		}
	}
	return nil
}

// Stop shuts the hub down (SIGTERM, as an operator would); it takes the
// proxy and its managed services with it. Services run by the test keep
// running, which is how tests see what a service does while the hub is down.
func (h *Hub) Stop(t testing.TB) {
	t.Helper()
	if err := h.stop(); err != nil {
		t.Logf("stopping JupyterHub: %v", err)
	}
	// The hub may leave its port in TIME_WAIT but not bound; make sure no
	// one answers any more.
	if c, err := h.apiClient(); err == nil {
		if resp, err := c.Get(h.apiBase + "/"); err == nil {
			resp.Body.Close()
			t.Fatalf("JupyterHub still answers at %s after stop", h.APIURL)
		}
	}
}

// Restart starts the hub again after Stop, with the same ports, config and
// database, so users and tokens survive.
func (h *Hub) Restart(t testing.TB) {
	t.Helper()
	_ = h.stop()
	h.start(t)
}

// stop ends the hub and whatever it started. The hub runs the proxy and
// managed services in their own sessions, so a hub that has to be killed
// would leave them behind: they are found as its children first and
// stopped after it.
func (h *Hub) stop() error {
	if h.proc == nil || !h.proc.Running() {
		return nil
	}
	children := childrenOf(h.proc.Pid())
	err := h.proc.Stop()
	for _, pid := range children {
		stopPid(pid)
	}
	return err
}

// Log is the hub's whole log so far, which includes what the proxy and
// every service and server the hub started wrote.
func (h *Hub) Log() string {
	if h.proc == nil {
		return ""
	}
	return h.proc.Output()
}

// LogTail is the end of the hub's log (which includes the proxy's).
func (h *Hub) LogTail() string {
	if h.proc == nil {
		return ""
	}
	return tail(h.proc.Output(), 8000)
}

// childrenOf lists the pids whose parent is pid.
func childrenOf(pid int) []int {
	return Processes(func(p ProcInfo) bool { return p.PPID == pid })
}

// stopPid ends a process left behind: SIGTERM, then SIGKILL after 5s.
func stopPid(pid int) {
	if syscall.Kill(pid, 0) != nil {
		return
	}
	_ = syscall.Kill(pid, syscall.SIGTERM)
	for i := 0; i < 50; i++ {
		if syscall.Kill(pid, 0) != nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
}
