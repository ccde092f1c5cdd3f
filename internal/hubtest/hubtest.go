// Package hubtest runs a real JupyterHub, with its configurable-http-proxy,
// for tests: on free loopback ports, in a temporary directory, from a
// generated config, and always cleaned up.
//
// The hub and the proxy are the ones `make deps` installs into .venv/ and
// node_modules/ at the repository root; HUBTEST_VENV picks another
// virtualenv, such as the .venv-4.1/ that `make test` installs for its
// matrix of hub releases (see VenvDir). Tests call Require (Start does) and
// run or fail under `make test` and in CI; a plain `go test` on a machine
// without them skips, saying how to run them.
package hubtest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// RepoRoot is the repository's top directory, found from this file's place
// in it, so tests work from any package directory.
func RepoRoot() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		panic("hubtest: cannot locate source file")
	}
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// VenvDir is the virtualenv whose JupyterHub the rig runs: $HUBTEST_VENV,
// relative to the repository root unless absolute, or .venv, the one
// `make deps` installs. `make test` sets it once per hub release it tests.
func VenvDir() string {
	dir := os.Getenv("HUBTEST_VENV")
	if dir == "" {
		dir = ".venv"
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(RepoRoot(), dir)
	}
	return filepath.Clean(dir)
}

// JupyterHubPath is the hub executable in VenvDir.
func JupyterHubPath() string { return filepath.Join(VenvDir(), "bin", "jupyterhub") }

// ProxyPath is the configurable-http-proxy executable `make deps` installs.
func ProxyPath() string {
	return filepath.Join(RepoRoot(), "node_modules", ".bin", "configurable-http-proxy")
}

// required reports whether integration tests must run rather than skip:
// under `make test` (HUBTEST_REQUIRE) and in CI.
func required() bool {
	return os.Getenv("HUBTEST_REQUIRE") != "" || os.Getenv("CI") == "true"
}

// Require skips the test when the hub or proxy is not installed, or fails
// it when integration tests are required. Either way the message says how to
// install them.
func Require(t testing.TB) {
	t.Helper()
	var missing []string
	for _, p := range []string{JupyterHubPath(), ProxyPath()} {
		if _, err := os.Stat(p); err != nil {
			missing = append(missing, p)
		}
	}
	if len(missing) == 0 {
		return
	}
	how := "run `make test` (or `make deps` first)"
	if venv := os.Getenv("HUBTEST_VENV"); venv != "" {
		how = fmt.Sprintf("HUBTEST_VENV=%s: `make test` installs the virtualenv of each hub release in HUB_VERSIONS", venv)
	}
	SkipOrFail(t, fmt.Sprintf("integration test needs a real JupyterHub and configurable-http-proxy; missing %v: %s", missing, how))
}

// requireVenv returns the jupyterhub executable of the virtualenv dir
// (relative to the repository root unless absolute), or ends the test as
// Require does, saying which make target installs it.
func requireVenv(t testing.TB, dir, target string) string {
	t.Helper()
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(RepoRoot(), dir)
	}
	exe := filepath.Join(dir, "bin", "jupyterhub")
	if _, err := os.Stat(exe); err != nil {
		SkipOrFail(t, fmt.Sprintf("this test runs a second JupyterHub from %s, which is missing: run `make %s` (make test does)", dir, target))
	}
	return exe
}

// SkipOrFail ends a test whose real peer is not installed: msg, which
// should say how to install it, skips the test on a plain `go test` and
// fails it under `make test` and in CI, where nothing may skip.
func SkipOrFail(t testing.TB, msg string) {
	t.Helper()
	if required() {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// RandomToken returns 32 random bytes in hex, as `openssl rand -hex 32` does.
func RandomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// binaries holds the commands built once per test process by Binary.
var binaries struct {
	sync.Mutex
	dir   string
	built map[string]string
}

// Main runs the tests and removes what Binary built. Use it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(hubtest.Main(m)) }
func Main(m *testing.M) int {
	code := m.Run()
	binaries.Lock()
	if binaries.dir != "" {
		os.RemoveAll(binaries.dir)
	}
	binaries.Unlock()
	return code
}
