package testbin

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// A tool is one module under test/tools and the programs it builds.
type tool struct {
	dir      string   // directory under test/tools
	version  string   // the pinned version, for the cache key and messages
	packages []string // main packages to build, in the order of names
	names    []string // binary names
	hint     string   // how long a cold build takes, for the log line
	// cgo builds with CGO_ENABLED=1 (Gitea's sqlite driver needs it).
	cgo     bool
	tags    string // build tags, space-separated
	ldflags string // added to -s -w
	// assets are directories copied from the module whose main package is
	// built (packages[0]) into the cache beside the binaries: programs
	// that read templates or options from disk at run time.
	assets []string
}

var tools = []tool{
	{
		dir:      "kube",
		version:  "v1.37.2",
		packages: []string{"k8s.io/kubernetes/cmd/kube-apiserver", "k8s.io/kubernetes/cmd/kubectl"},
		names:    []string{"kube-apiserver", "kubectl"},
		hint:     "about 5 minutes on 2 cores",
	},
	{
		dir:      "etcd",
		version:  "v3.6.16",
		packages: []string{"go.etcd.io/etcd/server/v3"},
		names:    []string{"etcd"},
		hint:     "about 30 seconds",
	},
	{
		dir:      "sops",
		version:  "v3.13.3",
		packages: []string{"github.com/getsops/sops/v3/cmd/sops"},
		names:    []string{"sops"},
		hint:     "about a minute",
	},
	{
		dir:      "helm",
		version:  "v3.22.0",
		packages: []string{"helm.sh/helm/v3/cmd/helm"},
		names:    []string{"helm"},
		hint:     "about two minutes",
	},
	{
		// Gitea reads its options/, templates/ and public/ from disk (no
		// bindata tag), so they are copied beside the binary. v1.26.0 is
		// the last release under this module path on the Go proxy.
		dir:      "gitea",
		version:  "v1.26.0",
		packages: []string{"code.gitea.io/gitea"},
		names:    []string{"gitea"},
		hint:     "about 13 CPU-minutes: 7 minutes on 2 idle cores, much longer on a busy machine",
		cgo:      true,
		tags:     "sqlite sqlite_unlock_notify",
		ldflags:  `-X main.Version=1.26.0 -X "main.Tags=sqlite sqlite_unlock_notify"`,
		assets:   []string{"options", "templates", "public"},
	},
}

// Path returns the path of the named program ("kube-apiserver", "kubectl",
// "etcd", "sops", "helm" or "gitea"), building it first when the cache does
// not hold it. A tool's assets (Gitea's options, templates and public) sit in
// the same directory as its binary.
func Path(name string) (string, error) {
	for _, t := range tools {
		for _, n := range t.names {
			if n == name {
				dir, err := t.ensure()
				if err != nil {
					return "", err
				}
				return filepath.Join(dir, name), nil
			}
		}
	}
	return "", fmt.Errorf("testbin: unknown program %q", name)
}

// ControlPlaneDir returns a directory holding kube-apiserver, etcd and
// kubectl, in the form controller-runtime's envtest expects for
// KUBEBUILDER_ASSETS, building whatever is missing.
func ControlPlaneDir() (string, error) {
	root, err := cacheRoot()
	if err != nil {
		return "", err
	}
	kube, etcd := tools[0], tools[1]
	kubeDir, err := kube.ensure()
	if err != nil {
		return "", err
	}
	etcdDir, err := etcd.ensure()
	if err != nil {
		return "", err
	}
	assets := filepath.Join(root, "assets", filepath.Base(kubeDir)+"_"+filepath.Base(etcdDir))
	links := map[string]string{
		"kube-apiserver": filepath.Join(kubeDir, "kube-apiserver"),
		"kubectl":        filepath.Join(kubeDir, "kubectl"),
		"etcd":           filepath.Join(etcdDir, "etcd"),
	}
	if err := os.MkdirAll(assets, 0o755); err != nil {
		return "", fmt.Errorf("testbin: %w", err)
	}
	for name, target := range links {
		link := filepath.Join(assets, name)
		if got, err := os.Readlink(link); err == nil && got == target {
			continue
		}
		tmp := link + ".tmp" + fmt.Sprint(os.Getpid())
		if err := os.Symlink(target, tmp); err != nil {
			return "", fmt.Errorf("testbin: %w", err)
		}
		if err := os.Rename(tmp, link); err != nil {
			return "", fmt.Errorf("testbin: %w", err)
		}
	}
	return assets, nil
}

// cacheRoot is $XDG_CACHE_HOME/seal/testbin (or the platform equivalent);
// SEAL_TESTBIN_CACHE overrides it.
func cacheRoot() (string, error) {
	if dir := os.Getenv("SEAL_TESTBIN_CACHE"); dir != "" {
		return dir, nil
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("testbin: no cache directory (set SEAL_TESTBIN_CACHE): %w", err)
	}
	return filepath.Join(dir, "seal", "testbin"), nil
}

// moduleDir is the tool's module directory in this source tree.
func (t tool) moduleDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "tools", t.dir)
}

// key names the cache directory: version plus a hash of go.mod and go.sum.
func (t tool) key() (string, error) {
	h := sha256.New()
	for _, f := range []string{"go.mod", "go.sum"} {
		b, err := os.ReadFile(filepath.Join(t.moduleDir(), f))
		if err != nil {
			return "", fmt.Errorf("testbin: reading the %s tools module: %w", t.dir, err)
		}
		h.Write(b)
	}
	return t.dir + "-" + t.version + "-" + hex.EncodeToString(h.Sum(nil))[:12], nil
}

// ensure returns the cache directory holding the tool's binaries, building
// them under a file lock when any is missing.
func (t tool) ensure() (string, error) {
	root, err := cacheRoot()
	if err != nil {
		return "", err
	}
	key, err := t.key()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(root, key)
	if t.complete(dir) {
		return dir, nil
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", fmt.Errorf("testbin: %w", err)
	}
	unlock, err := lock(filepath.Join(root, key+".lock"))
	if err != nil {
		return "", err
	}
	defer unlock()
	if t.complete(dir) { // another process built it while we waited
		return dir, nil
	}
	return dir, t.build(dir)
}

func (t tool) complete(dir string) bool {
	for _, n := range t.names {
		if fi, err := os.Stat(filepath.Join(dir, n)); err != nil || fi.Mode()&0o111 == 0 {
			return false
		}
	}
	for _, a := range t.assets {
		if fi, err := os.Stat(filepath.Join(dir, a)); err != nil || !fi.IsDir() {
			return false
		}
	}
	return true
}

// build compiles into a temporary directory and renames it into place, so
// an interrupted build never leaves a half-written binary in the cache.
func (t tool) build(dir string) error {
	fmt.Fprintf(os.Stderr, "testbin: building %v %s from source into %s (first run on this machine only; %s)\n",
		t.names, t.version, dir, t.hint)
	start := time.Now()
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".build-")
	if err != nil {
		return fmt.Errorf("testbin: %w", err)
	}
	defer os.RemoveAll(tmp)
	cgo := "CGO_ENABLED=0"
	if t.cgo {
		cgo = "CGO_ENABLED=1"
	}
	for i, pkg := range t.packages {
		args := []string{"build", "-trimpath", "-ldflags=-s -w " + t.ldflags, "-o", filepath.Join(tmp, t.names[i])}
		if t.tags != "" {
			args = append(args, "-tags", t.tags)
		}
		cmd := exec.Command("go", append(args, pkg)...)
		cmd.Dir = t.moduleDir()
		cmd.Env = append(os.Environ(), cgo, "GOFLAGS=-mod=readonly -buildvcs=false")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("testbin: building %s %s in %s: %w", pkg, t.version, cmd.Dir, err)
		}
	}
	if err := t.copyAssets(tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("testbin: %w", err)
	}
	fmt.Fprintf(os.Stderr, "testbin: built %v in %s\n", t.names, time.Since(start).Round(time.Second))
	return nil
}

// copyAssets copies the tool's asset directories from its main module in
// the module cache into dir.
func (t tool) copyAssets(dir string) error {
	if len(t.assets) == 0 {
		return nil
	}
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", t.packages[0])
	cmd.Dir = t.moduleDir()
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=readonly")
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("testbin: finding module %s in the module cache: %w", t.packages[0], err)
	}
	src := strings.TrimSpace(string(out))
	for _, a := range t.assets {
		if err := os.CopyFS(filepath.Join(dir, a), os.DirFS(filepath.Join(src, a))); err != nil {
			return fmt.Errorf("testbin: copying %s of %s %s: %w", a, t.packages[0], t.version, err)
		}
	}
	return nil
}

// lock takes an exclusive flock on path, waiting for other holders.
func lock(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("testbin: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("testbin: locking %s: %w", path, err)
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
