package install

import (
	"bufio"
	"encoding/json"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"

	"github.com/seal-gitops/seal/manifests"
)

// The Dockerfile cannot be built here (no container engine), so these
// checks read it: what it builds and how it runs must agree with the
// Deployments of manifests/ and the chart, and .dockerignore must let in
// every file the agent's build reads.

// dockerfile is the Dockerfile's instructions, continuation lines joined
// and comments dropped, as [instruction, rest] pairs.
func dockerfile(t *testing.T) [][2]string {
	t.Helper()
	f, err := os.Open(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][2]string
	var cur string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasSuffix(line, "\\") {
			cur += strings.TrimSuffix(line, "\\") + " "
			continue
		}
		cur += line
		instr, rest, _ := strings.Cut(cur, " ")
		out = append(out, [2]string{strings.ToUpper(instr), strings.TrimSpace(rest)})
		cur = ""
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// image is what the Dockerfile says about the image it builds.
type image struct {
	goImage, base, built, installed, entrypoint, user string
	buildFlags                                        string
}

func parseDockerfile(t *testing.T) image {
	t.Helper()
	var img image
	for _, in := range dockerfile(t) {
		switch in[0] {
		case "FROM":
			// FROM [--platform=...] IMAGE [AS NAME]: the first is the
			// build stage, the last the image.
			fields := strings.Fields(in[1])
			for len(fields) > 0 && strings.HasPrefix(fields[0], "--") {
				fields = fields[1:]
			}
			if len(fields) == 0 {
				t.Fatalf("FROM %s: no image", in[1])
			}
			if img.goImage == "" {
				img.goImage = fields[0]
			} else {
				img.base = fields[0]
			}
		case "RUN":
			if m := regexp.MustCompile(`go build .*-o (\S+) \./cmd/seal-agent`).FindStringSubmatch(in[1]); m != nil {
				img.built, img.buildFlags = m[1], in[1]
			}
		case "COPY":
			if f := strings.Fields(in[1]); len(f) == 3 && f[0] == "--from=build" && f[1] == img.built {
				img.installed = f[2]
			}
		case "USER":
			img.user = in[1]
		case "ENTRYPOINT":
			var argv []string
			if err := json.Unmarshal([]byte(in[1]), &argv); err != nil || len(argv) != 1 {
				t.Fatalf("ENTRYPOINT %s: want the exec form with the binary alone", in[1])
			}
			img.entrypoint = argv[0]
		}
	}
	return img
}

func TestDockerfile(t *testing.T) {
	img := parseDockerfile(t)
	goMod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	goVersion := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(goMod)
	checks := []struct {
		what string
		ok   bool
	}{
		{"the build stage is golang:" + string(goVersion[1]) + ", go.mod's Go, got " + img.goImage,
			img.goImage == "golang:"+string(goVersion[1])},
		{"the image runs on gcr.io/distroless/static:nonroot, got " + img.base, img.base == "gcr.io/distroless/static:nonroot"},
		{"the binary is static and path-free (CGO_ENABLED=0, -trimpath)",
			strings.Contains(img.buildFlags, "CGO_ENABLED=0") && strings.Contains(img.buildFlags, "-trimpath")},
		{"the built binary (" + img.built + ") is copied into the image", img.installed != ""},
		{"ENTRYPOINT " + img.entrypoint + " is the copied binary " + img.installed, img.entrypoint == img.installed && path.Base(img.entrypoint) == "seal-agent"},
		{"USER " + img.user + " is 65532:65532, distroless's nonroot", img.user == "65532:65532"},
	}
	for _, c := range checks {
		if !c.ok {
			t.Error(c.what)
		}
	}

	rel, err := renderChart(t, "seal-agent", "seal-system", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range []struct {
		name string
		dep  func() appsv1.Deployment
	}{
		{"manifests/", func() appsv1.Deployment {
			var d appsv1.Deployment
			convert(t, find(t, build(t, manifests.Options{}), "Deployment", "seal-agent"), &d)
			return d
		}},
		{"the chart", func() appsv1.Deployment {
			var d appsv1.Deployment
			convert(t, find(t, objects(t, rel.Manifest), "Deployment", "seal-agent"), &d)
			return d
		}},
	} {
		t.Run(src.name, func(t *testing.T) { checkRunsImage(t, src.dep(), img) })
	}
}

// checkRunsImage checks that the Deployment runs the image as built: its
// entrypoint, its user, and a writable --data-dir on a read-only root.
func checkRunsImage(t *testing.T, d appsv1.Deployment, img image) {
	pod := d.Spec.Template.Spec
	c := pod.Containers[0]
	if len(c.Command) != 0 {
		t.Errorf("command %q overrides the image's ENTRYPOINT %s", c.Command, img.entrypoint)
	}
	uid, gid, _ := strings.Cut(img.user, ":")
	for _, sc := range []struct {
		where     string
		user, grp *int64
		nonRoot   *bool
	}{
		{"pod", pod.SecurityContext.RunAsUser, pod.SecurityContext.RunAsGroup, pod.SecurityContext.RunAsNonRoot},
		{"container", c.SecurityContext.RunAsUser, c.SecurityContext.RunAsGroup, c.SecurityContext.RunAsNonRoot},
	} {
		if sc.user == nil || sc.grp == nil || strconv.FormatInt(*sc.user, 10) != uid || strconv.FormatInt(*sc.grp, 10) != gid {
			t.Errorf("%s securityContext runs as %v:%v; the image's USER is %s", sc.where, deref(sc.user), deref(sc.grp), img.user)
		}
		if sc.nonRoot == nil || !*sc.nonRoot {
			t.Errorf("%s securityContext does not set runAsNonRoot", sc.where)
		}
	}
	if c.SecurityContext.ReadOnlyRootFilesystem == nil || !*c.SecurityContext.ReadOnlyRootFilesystem {
		t.Errorf("the root filesystem is writable")
	}
	dataDir := ""
	for _, a := range c.Args {
		if v, ok := strings.CutPrefix(a, "--data-dir="); ok {
			dataDir = v
		}
	}
	mounted := false
	for _, m := range c.VolumeMounts {
		mounted = mounted || (m.MountPath == dataDir && !m.ReadOnly)
	}
	if dataDir == "" || !mounted {
		t.Errorf("--data-dir %q is not a writable volume mount (mounts: %v)", dataDir, c.VolumeMounts)
	}
}

func deref(p *int64) any {
	if p == nil {
		return "unset"
	}
	return *p
}
