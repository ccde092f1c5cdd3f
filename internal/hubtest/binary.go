package hubtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Binary builds ./cmd/<name> once per test process (with the race detector
// when the tests have it, so the services are checked too) and returns the
// path of the executable.
func Binary(t testing.TB, name string) string {
	t.Helper()
	binaries.Lock()
	defer binaries.Unlock()
	if p, ok := binaries.built[name]; ok {
		return p
	}
	if binaries.dir == "" {
		dir, err := os.MkdirTemp("", "hubtest-bin-")
		if err != nil {
			t.Fatalf("temp dir for binaries: %v", err)
		}
		binaries.dir = dir
		binaries.built = map[string]string{}
	}
	out := filepath.Join(binaries.dir, name)
	args := []string{"build", "-o", out}
	if raceEnabled {
		args = append(args, "-race")
	}
	args = append(args, "./cmd/"+name)
	cmd := exec.Command("go", args...)
	cmd.Dir = RepoRoot()
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/%s: %v\n%s", name, err, b)
	}
	binaries.built[name] = out
	return out
}
