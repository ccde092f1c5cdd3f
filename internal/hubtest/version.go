package hubtest

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Version is a JupyterHub release number, as `jupyterhub --version` prints
// it. The suite runs against several releases (see the Makefile's
// HUB_VERSIONS); tests and the rig ask the version to know what the hub
// can do, never to expect different answers from the library.
type Version struct {
	Major, Minor, Patch int
	// Suffix is what follows the numbers, such as "b1" or ".dev0". It is
	// shown but not compared: a pre-release of 6.0 counts as 6.0, since
	// features land in the pre-releases first.
	Suffix string
}

// versionPattern is one to three dotted numbers, then an optional
// pre-release, post-release, dev or local part that starts with a letter
// ("6.0.0b1", "5.2.1.dev0", "4.1.6+local").
var versionPattern = regexp.MustCompile(`^(\d{1,9})(?:\.(\d{1,9}))?(?:\.(\d{1,9}))?([.+-]?[A-Za-z][0-9A-Za-z.+-]*)?$`)

// ParseVersion reads a version such as "4.1.6", "6.0" or "6.0.0rc1".
// Missing minor and patch numbers are zero.
func ParseVersion(s string) (Version, error) {
	m := versionPattern.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return Version{}, fmt.Errorf("not a JupyterHub version: %q", s)
	}
	var n [3]int
	for i, part := range m[1:4] {
		if part != "" {
			n[i], _ = strconv.Atoi(part) // at most 9 digits: always fits
		}
	}
	return Version{Major: n[0], Minor: n[1], Patch: n[2], Suffix: m[4]}, nil
}

// String is the version as the hub writes it.
func (v Version) String() string {
	return fmt.Sprintf("%d.%d.%d%s", v.Major, v.Minor, v.Patch, v.Suffix)
}

// Compare returns -1, 0 or +1 as v is older than, the same release as, or
// newer than w. Suffixes are ignored.
func (v Version) Compare(w Version) int {
	if c := cmp.Compare(v.Major, w.Major); c != 0 {
		return c
	}
	if c := cmp.Compare(v.Minor, w.Minor); c != 0 {
		return c
	}
	return cmp.Compare(v.Patch, w.Patch)
}

// AtLeast reports whether v is min or newer.
func (v Version) AtLeast(min Version) bool { return v.Compare(min) >= 0 }

// hubVersions caches `jupyterhub --version` per executable: it takes about
// a second, and every Start and RequireVersion asks.
var hubVersions struct {
	sync.Mutex
	byPath map[string]Version
}

// HubVersion is the version of the JupyterHub the rig runs (the one in
// VenvDir), read once per test process from `jupyterhub --version`. Like
// Start it calls Require first: a hub that is not installed skips the test,
// or fails it under `make test`. A hub that is installed but cannot say its
// version fails the test.
func HubVersion(t testing.TB) Version {
	t.Helper()
	Require(t)
	return versionOf(t, JupyterHubPath())
}

// versionOf is the version of the hub executable at path, asked once.
func versionOf(t testing.TB, path string) Version {
	t.Helper()
	hubVersions.Lock()
	defer hubVersions.Unlock()
	if v, ok := hubVersions.byPath[path]; ok {
		return v
	}
	v, err := askVersion(path)
	if err != nil {
		t.Fatalf("hub version: %v", err)
	}
	if hubVersions.byPath == nil {
		hubVersions.byPath = map[string]Version{}
	}
	hubVersions.byPath[path] = v
	return v
}

// askVersion runs `path --version` and reads the last line it prints.
func askVersion(path string) (Version, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "--version").Output()
	if err != nil {
		return Version{}, fmt.Errorf("%s --version: %v", path, err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	v, err := ParseVersion(lines[len(lines)-1])
	if err != nil {
		return Version{}, fmt.Errorf("%s --version: %v", path, err)
	}
	return v, nil
}

// RequireVersion skips the test unless the hub is release min or newer,
// saying why the test needs it:
//
//	hubtest.RequireVersion(t, "6.0", "oauth_require_pkce is new in JupyterHub 6.0")
//
// It skips even under `make test` and in CI, where Require would fail: a
// hub without the feature cannot run the case at all, which is not the same
// as a hub that is missing. Each release in the matrix still runs every
// test it can. A min that is not a version fails the test.
func RequireVersion(t testing.TB, min, why string) {
	t.Helper()
	want, err := ParseVersion(min)
	if err != nil {
		t.Fatalf("RequireVersion: %v", err)
	}
	requireVersion(t, HubVersion(t), want, why)
}

// OnlyOn runs the test against one hub release (major.minor, e.g. "6.1")
// and skips it by version, with a message, on every other: for a
// third-party app or client whose test the hub's release does not change,
// so that make test does not run it once per release (CI has a time
// budget):
//
//	hubtest.OnlyOn(t, "6.1", "Streamlit behind the proxy; the hub release changes nothing here")
//
// A release that is not major.minor fails the test.
func OnlyOn(t testing.TB, release, why string) {
	t.Helper()
	want, err := ParseVersion(release)
	if err != nil || want.Patch != 0 || want.Suffix != "" {
		t.Fatalf("OnlyOn: want a release like 6.1, got %q", release)
	}
	onlyOn(t, HubVersion(t), want, why)
}

// onlyOn is OnlyOn with the hub's version given.
func onlyOn(t testing.TB, have, want Version, why string) {
	t.Helper()
	if have.Major != want.Major || have.Minor != want.Minor {
		msg := fmt.Sprintf("runs against JupyterHub %s only (this is %s): %s", shortVersion(want), have, why)
		logSkip(t.Name(), msg)
		t.Skipf("%s", msg)
	}
}

// requireVersion is RequireVersion with the hub's version given.
func requireVersion(t testing.TB, have, want Version, why string) {
	t.Helper()
	if !have.AtLeast(want) {
		msg := fmt.Sprintf("needs JupyterHub >= %s (this is %s): %s", shortVersion(want), have, why)
		logSkip(t.Name(), msg)
		t.Skipf("%s", msg)
	}
}

// logSkip adds a version skip to the file HUBTEST_SKIP_LOG names, if any:
// go test shows a skip's message only with -v, and make test prints this
// file after each hub release's run, so the skips stand in its log and
// CI's.
func logSkip(test, msg string) {
	path := os.Getenv("HUBTEST_SKIP_LOG")
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "--- SKIP by version: %s: %s\n", test, msg)
}

// shortVersion writes a minimum as it is usually said: "6.0", "5.2.1".
func shortVersion(v Version) string {
	if v.Patch == 0 && v.Suffix == "" {
		return fmt.Sprintf("%d.%d", v.Major, v.Minor)
	}
	return v.String()
}

// Version is the release of this running hub, so a test can tell what it
// may ask of it (see RequireVersion to skip a whole test).
func (h *Hub) Version() Version { return h.version }
