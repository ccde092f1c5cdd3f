package integration

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hubauth-go/whoami/internal/hubtest"
	"github.com/hubauth-go/whoami/internal/pyjson"
)

// podman runs Debian's podman as this machine allows (see `make podman`):
// runc rather than crun, which refuses the hybrid cgroup hierarchy here;
// the vfs storage driver; ulimits within the host's, which may not be
// raised; and a store of its own under /var/tmp, so nothing else's images
// are touched and the layer cache survives between runs.
type podman struct {
	t    *testing.T
	path string
	dir  string // the store, build cache and scratch space
}

// containerLimits keep a container's rlimits within what the host allows;
// podman's defaults (nofile 1048576) are refused with EPERM here.
var containerLimits = []string{"--ulimit", "nofile=4096:4096", "--ulimit", "nproc=4096:4096"}

func newPodman(t *testing.T) *podman {
	t.Helper()
	path, err := exec.LookPath("podman")
	if err == nil {
		_, err = exec.LookPath("runc")
	}
	if err != nil {
		hubtest.SkipOrFail(t, "the image test needs Debian's podman and runc: run `make podman` (as root), or apt-get install podman runc")
	}
	if os.Getuid() != 0 {
		hubtest.SkipOrFail(t, "the image test runs podman as root, as CI does")
	}
	dir := filepath.Join(os.TempDir(), "hubauth-podman")
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "gocache"), 0o700))
	return &podman{t: t, path: path, dir: dir}
}

func (p *podman) args(args ...string) []string {
	return append([]string{
		"--root", filepath.Join(p.dir, "root"), "--runroot", filepath.Join(p.dir, "run"),
		"--storage-driver", "vfs", "--runtime", "runc", "--cgroup-manager", "cgroupfs",
	}, args...)
}

// run runs podman with args and returns its standard output; a failure
// fails the test with everything podman said.
func (p *podman) run(args ...string) string {
	p.t.Helper()
	cmd := exec.Command(p.path, p.args(args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	require.NoError(p.t, err, "podman %s:\n%s\n%s", strings.Join(args, " "), stdout.String(), stderr.String())
	p.t.Logf("podman %s (%s)", args[0], time.Since(start).Round(time.Millisecond))
	return stdout.String()
}

// goImage builds a stand-in for the golang image the Dockerfile's build
// stage starts from, which cannot be pulled here: an empty image whose Go
// is this machine's, mounted at build time, and whose module proxy is this
// machine's module cache. The Dockerfile itself is built as it is.
func (p *podman) goImage() (name string, volumes []string) {
	p.t.Helper()
	// The Dockerfile runs `go mod download`, which wants every module
	// go.mod requires; the tests built on this machine need only most.
	download := exec.Command("go", "mod", "download")
	download.Dir = hubtest.RepoRoot()
	out, err := download.CombinedOutput()
	require.NoError(p.t, err, "go mod download: %s", out)
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	require.NoError(p.t, err)
	modcache, err := exec.Command("go", "env", "GOMODCACHE").Output()
	require.NoError(p.t, err)
	ctx := p.t.TempDir()
	require.NoError(p.t, os.Mkdir(filepath.Join(ctx, "tmp"), 0o755))
	certs, err := os.ReadFile("/etc/ssl/certs/ca-certificates.crt")
	require.NoError(p.t, err, "the stand-in copies the host's CA bundle, as the golang image has one")
	require.NoError(p.t, os.WriteFile(filepath.Join(ctx, "ca-certificates.crt"), certs, 0o644))
	require.NoError(p.t, os.WriteFile(filepath.Join(ctx, "Containerfile"), []byte(`FROM scratch
COPY tmp/ /tmp/
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
ENV PATH=/usr/local/go/bin GOPATH=/go GOCACHE=/gocache GOPROXY=file:///goproxy GOSUMDB=off GOTOOLCHAIN=local HOME=/root
`), 0o644))
	name = "localhost/hubauth-go-standin"
	p.run("build", "-q", "--network=host", "-t", name, ctx)
	return name, []string{
		"-v", strings.TrimSpace(string(goroot)) + ":/usr/local/go:ro",
		"-v", filepath.Join(strings.TrimSpace(string(modcache)), "cache", "download") + ":/goproxy:ro",
		"-v", filepath.Join(p.dir, "gocache") + ":/gocache",
	}
}

// imageFiles lists the regular files in every layer of image.
func (p *podman) imageFiles(image string) []string {
	p.t.Helper()
	archive := filepath.Join(p.t.TempDir(), "image.tar")
	p.run("save", "--format", "docker-archive", "-o", archive, image)
	f, err := os.Open(archive)
	require.NoError(p.t, err)
	defer f.Close()
	var files []string
	outer := tar.NewReader(f)
	for {
		h, err := outer.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(p.t, err)
		if !strings.HasSuffix(h.Name, ".tar") {
			continue
		}
		inner := tar.NewReader(outer)
		for {
			ih, err := inner.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			require.NoError(p.t, err)
			if ih.Typeflag == tar.TypeReg {
				files = append(files, ih.Name)
			}
		}
	}
	slices.Sort(files)
	return files
}

// The repository's Dockerfile builds an image from scratch with the four
// static binaries, and whoami-api run from it answers through a real hub.
func TestImage(t *testing.T) {
	if runtime.GOOS != "linux" {
		hubtest.SkipOrFail(t, "podman images are linux: run the image test on linux")
	}
	pod := newPodman(t)
	goImage, volumes := pod.goImage()
	image := "localhost/hubauth-whoami-test"
	build := append([]string{"build", "--network=host", "--build-arg", "GO_IMAGE=" + goImage, "-t", image}, containerLimits...)
	build = append(build, volumes...)
	pod.run(append(build, "-f", filepath.Join(hubtest.RepoRoot(), "Dockerfile"), hubtest.RepoRoot())...)
	t.Cleanup(func() { _ = exec.Command(pod.path, pod.args("image", "prune", "-f")...).Run() })

	t.Run("nothing but the binaries and CA certificates, as a non-root user", func(t *testing.T) {
		require.Equal(t, []string{
			"etc/ssl/certs/ca-certificates.crt",
			"usr/local/bin/hubauth-oidc",
			"usr/local/bin/hubauth-proxy",
			"usr/local/bin/whoami-api",
			"usr/local/bin/whoami-oauth",
		}, pod.imageFiles(image))
		cfg := pod.run("image", "inspect", "--format", "{{.Config.User}} {{.Config.Entrypoint}} {{.Size}}", image)
		var user, entrypoint string
		var size int64
		_, err := fmt.Sscanf(strings.ReplaceAll(strings.ReplaceAll(cfg, "[", ""), "]", ""), "%s %s %d", &user, &entrypoint, &size)
		require.NoError(t, err, cfg)
		require.Equal(t, "65534:65534", user)
		require.Equal(t, "/usr/local/bin/whoami-api", entrypoint)
		require.Less(t, size, int64(50<<20), "four static binaries and a CA bundle")

		usage, err := exec.Command(pod.path, pod.args(append(append([]string{"run", "--rm", "--network=host"}, containerLimits...),
			"--entrypoint", "/usr/local/bin/hubauth-oidc", image, "-h")...)...).CombinedOutput()
		require.NoError(t, err, "%s", usage)
		require.Contains(t, string(usage), "HUBAUTH_OIDC_CLIENTS", "hubauth-oidc runs from the image")
	})

	t.Run("whoami-api from the image answers through the hub", func(t *testing.T) {
		port, opsPort := hubtest.FreePort(t), hubtest.FreePort(t)
		serviceURL := fmt.Sprintf("http://127.0.0.1:%d", port)
		token := hubtest.RandomToken()
		hub := hubtest.Start(t, hubtest.Options{
			Services: []hubtest.Service{{Name: "whoami-image", URL: serviceURL, APIToken: token}},
			Roles:    []hubtest.Role{{Name: "image-users", Scopes: []string{"access:services!service=whoami-image"}, Users: []string{"ada"}}},
		})
		name := fmt.Sprintf("hubauth-test-%d", port)
		t.Cleanup(func() { _ = exec.Command(pod.path, pod.args("rm", "-f", "-t", "0", name)...).Run() })
		vars := map[string]string{
			"JUPYTERHUB_API_TOKEN":      token,
			"JUPYTERHUB_API_URL":        hub.APIURL,
			"JUPYTERHUB_SERVICE_NAME":   "whoami-image",
			"JUPYTERHUB_SERVICE_URL":    serviceURL,
			"JUPYTERHUB_SERVICE_PREFIX": "/services/whoami-image/",
			"HUBAUTH_METRICS_LISTEN":    fmt.Sprintf("127.0.0.1:%d", opsPort),
		}
		// -e NAME passes podman's own variable on, so the token is not
		// on a command line.
		run := append([]string{"run", "--rm", "--name", name, "--network=host"}, containerLimits...)
		for k := range vars {
			run = append(run, "-e", k)
		}
		svc := hubtest.StartProcess(t, pod.path, env(vars), fmt.Sprintf("127.0.0.1:%d", port), pod.args(append(run, image)...)...)

		adaToken := hub.NewToken(t, "ada", nil)
		hubAnswer := get(t, hub.URL+"/hub/api/user", "token "+adaToken)
		require.Equal(t, 200, hubAnswer.status)
		r := get(t, hub.URL+"/services/whoami-image/", "token "+adaToken)
		require.Equal(t, 200, r.status, r.body)
		want, err := pyjson.Format([]byte(hubAnswer.body))
		require.NoError(t, err)
		require.Equal(t, string(want), r.body)
		requireJSONError(t, get(t, hub.URL+"/services/whoami-image/", ""), 403, "no token")

		ready := get(t, fmt.Sprintf("http://127.0.0.1:%d/readyz", opsPort), "")
		require.Equal(t, 200, ready.status, ready.body)

		pid := strings.TrimSpace(pod.run("inspect", "--format", "{{.State.Pid}}", name))
		status, err := os.ReadFile("/proc/" + pid + "/status")
		require.NoError(t, err)
		require.Regexp(t, `(?m)^Uid:\s+65534\s`, string(status), "the service runs as nobody")

		require.NoError(t, svc.Stop(), "SIGTERM reaches the service through podman, which stops cleanly")
		require.Contains(t, svc.Output(), "shutting down")
		require.NotContains(t, svc.Output(), token)
		require.NotContains(t, svc.Output(), adaToken)
	})
}
