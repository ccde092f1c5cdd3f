package hubtest

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseVersion(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Version
	}{
		{"4.1.6", Version{4, 1, 6, ""}},
		{"5.5.4\n", Version{5, 5, 4, ""}},
		{" 6.1.1 ", Version{6, 1, 1, ""}},
		{"6.0", Version{6, 0, 0, ""}},
		{"6", Version{6, 0, 0, ""}},
		{"6.0.0b1", Version{6, 0, 0, "b1"}},
		{"5.2.1.dev0", Version{5, 2, 1, ".dev0"}},
		{"4.1.6+local.1", Version{4, 1, 6, "+local.1"}},
		{"10.20.30", Version{10, 20, 30, ""}},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseVersion(tc.in)
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
	for _, in := range []string{
		"", "v6.0", "6.", "6..1", ".6", "1.2.3.4", "six", "6.0.0 b1",
		"-1.0", "1234567890.0", "6.0.0b1\n6.1", "JupyterHub 6.1.1",
	} {
		t.Run("bad "+in, func(t *testing.T) {
			_, err := ParseVersion(in)
			require.Error(t, err)
			require.Contains(t, err.Error(), "not a JupyterHub version")
		})
	}
}

func TestVersionCompare(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"4.1.6", "6.0", -1},
		{"6.0", "4.1.6", 1},
		{"6.0.0", "6.0", 0},
		{"6.0.0b1", "6.0", 0}, // a pre-release has the release's features
		{"5.5.4", "5.10.0", -1},
		{"6.1.1", "6.1.0", 1},
		{"10.0", "9.9.9", 1},
	} {
		t.Run(tc.a+" vs "+tc.b, func(t *testing.T) {
			a, err := ParseVersion(tc.a)
			require.NoError(t, err)
			b, err := ParseVersion(tc.b)
			require.NoError(t, err)
			require.Equal(t, tc.want, a.Compare(b))
			require.Equal(t, tc.want >= 0, a.AtLeast(b))
		})
	}
}

func TestVersionString(t *testing.T) {
	for _, in := range []string{"4.1.6", "6.0.0b1", "5.2.1.dev0"} {
		v, err := ParseVersion(in)
		require.NoError(t, err)
		require.Equal(t, in, v.String())
	}
	require.Equal(t, "6.0", shortVersion(Version{Major: 6}))
	require.Equal(t, "5.2.1", shortVersion(Version{5, 2, 1, ""}))
}

// skipRecorder is a testing.TB that records a skip instead of skipping,
// so the message can be checked; Skipf ends the goroutine as t.Skipf does.
type skipRecorder struct {
	testing.TB
	skipped string
}

func (r *skipRecorder) Helper() {}

func (r *skipRecorder) Name() string { return "TestRecorded" }

func (r *skipRecorder) Skipf(format string, args ...any) {
	r.skipped = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// skipMessage runs f with a skipRecorder and returns what it skipped with,
// "" when it did not skip.
func skipMessage(f func(testing.TB)) string {
	r := &skipRecorder{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r.skipped
}

// A hub too old for a case skips it with the reason, even where Require
// would fail rather than skip.
func TestRequireVersionSkipsOlderHubs(t *testing.T) {
	t.Setenv("HUBTEST_REQUIRE", "1")
	t.Setenv("CI", "true")
	skipLog := filepath.Join(t.TempDir(), "skips")
	t.Setenv("HUBTEST_SKIP_LOG", skipLog)
	var logged []string
	for _, tc := range []struct {
		have, min string
		skip      string
	}{
		{"4.1.6", "6.0", "needs JupyterHub >= 6.0 (this is 4.1.6): PKCE"},
		{"5.5.4", "6.0", "needs JupyterHub >= 6.0 (this is 5.5.4): PKCE"},
		{"5.5.4", "5.5.5", "needs JupyterHub >= 5.5.5 (this is 5.5.4): PKCE"},
		{"6.0.0b1", "6.0", ""},
		{"6.1.1", "6.0", ""},
		{"6.1.1", "4.1", ""},
	} {
		t.Run(tc.have+" needs "+tc.min, func(t *testing.T) {
			have, err := ParseVersion(tc.have)
			require.NoError(t, err)
			want, err := ParseVersion(tc.min)
			require.NoError(t, err)
			require.Equal(t, tc.skip, skipMessage(func(tb testing.TB) { requireVersion(tb, have, want, "PKCE") }))
			if tc.skip != "" {
				logged = append(logged, "--- SKIP by version: TestRecorded: "+tc.skip+"\n")
			}
		})
	}
	// make test prints the file, so version skips show without -v.
	b, err := os.ReadFile(skipLog)
	require.NoError(t, err)
	require.Equal(t, strings.Join(logged, ""), string(b))
}

// A third-party app's test runs against one release and is skipped by
// version, with the reason, on the others.
func TestOnlyOnSkipsOtherReleases(t *testing.T) {
	t.Setenv("HUBTEST_SKIP_LOG", filepath.Join(t.TempDir(), "skips"))
	six, err := ParseVersion("6.1")
	require.NoError(t, err)
	for _, tc := range []struct{ have, skip string }{
		{"6.1.1", ""},
		{"6.1.0b2", ""},
		{"5.5.4", "runs against JupyterHub 6.1 only (this is 5.5.4): Streamlit"},
		{"4.1.6", "runs against JupyterHub 6.1 only (this is 4.1.6): Streamlit"},
		{"6.2.0", "runs against JupyterHub 6.1 only (this is 6.2.0): Streamlit"},
	} {
		have, err := ParseVersion(tc.have)
		require.NoError(t, err)
		require.Equal(t, tc.skip, skipMessage(func(tb testing.TB) { onlyOn(tb, have, six, "Streamlit") }), tc.have)
	}
}

func TestVenvDir(t *testing.T) {
	root := RepoRoot()
	for _, tc := range []struct{ env, want string }{
		{"", filepath.Join(root, ".venv")},
		{".venv-4.1", filepath.Join(root, ".venv-4.1")},
		{".venv-5/", filepath.Join(root, ".venv-5")},
		{"/opt/hub-venv", "/opt/hub-venv"},
	} {
		t.Run(tc.env, func(t *testing.T) {
			t.Setenv("HUBTEST_VENV", tc.env)
			require.Equal(t, tc.want, VenvDir())
			require.Equal(t, filepath.Join(tc.want, "bin", "jupyterhub"), JupyterHubPath())
		})
	}
}

// The service field "timeout" exists from JupyterHub 6.0; older hubs refuse
// to start with it, so only an external service on a newer hub gets it.
func TestServiceTimeoutOnlyWhereTheHubHasIt(t *testing.T) {
	external := Service{Name: "ext", URL: "http://127.0.0.1:1"}
	managed := Service{Name: "managed", URL: "http://127.0.0.1:2", Command: []string{"true"}}
	for _, tc := range []struct {
		hub     Version
		svc     Service
		timeout bool
	}{
		{Version{4, 1, 6, ""}, external, false},
		{Version{5, 5, 4, ""}, external, false},
		{Version{6, 0, 0, ""}, external, true},
		{Version{6, 1, 1, ""}, external, true},
		{Version{6, 1, 1, ""}, managed, false},
		{Version{6, 1, 1, ""}, Service{Name: "client"}, false},
	} {
		t.Run(tc.svc.Name+" on "+tc.hub.String(), func(t *testing.T) {
			e := tc.svc.entry(tc.hub)
			timeout, ok := e["timeout"]
			require.Equal(t, tc.timeout, ok, "%v", e)
			if ok {
				require.Equal(t, 1, timeout)
			}
		})
	}
}
