package render

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

const kDeploy = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n      containers: [{name: web, image: nginx}]\n"

func TestKustomizeErrors(t *testing.T) {
	tests := []struct {
		name     string
		files    map[string]string
		path     string
		disk     bool
		opts     func(*Options)
		is       error
		contains []string
	}{
		{name: "escaping resource", path: "apps/x",
			files: map[string]string{"apps/x/kustomization.yaml": "resources: [../../../etc/passwd]\n"},
			is:    ErrOutsideRepository, contains: []string{"apps/x/kustomization.yaml", "../../../etc/passwd"}},
		{name: "sealed file both a resource and a generator's files: entry", path: "a",
			files: map[string]string{"a/kustomization.yaml": "resources: [db.yaml]\nconfigMapGenerator: [{name: copy, files: [db.yaml]}]\n",
				"a/db.yaml": fakeEnc("k1", "apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: a}\nstringData: {password: x}\n")},
			is: ErrUnsupported, contains: []string{"a/db.yaml", "a/kustomization.yaml: resources", "--bind-secret"}},
		{name: "escaping base far up", path: "a",
			files: map[string]string{"a/kustomization.yaml": "resources: [../../../../../../../../../../etc]\n"},
			is:    ErrOutsideRepository, contains: []string{"a/kustomization.yaml"}},
		{name: "absolute resource", path: "a",
			files: map[string]string{"a/kustomization.yaml": "resources: [/etc/passwd]\n"},
			is:    ErrOutsideRepository, contains: []string{"a/kustomization.yaml", "/etc/passwd"}},
		{name: "escaping secretGenerator file", path: "a",
			files: map[string]string{"a/kustomization.yaml": "configMapGenerator: [{name: x, files: [../../etc/hosts]}]\n"},
			is:    ErrOutsideRepository, contains: []string{"a/kustomization.yaml", "../../etc/hosts"}},
		{name: "resource symlink to /etc/passwd", path: "a", disk: true,
			files: map[string]string{"a/kustomization.yaml": "resources: [passwd.yaml]\n", "a/passwd.yaml": "->/etc/passwd"},
			is:    ErrOutsideRepository, contains: []string{"a/passwd.yaml", "/etc/passwd"}},
		{name: "base symlink climbing out", path: "a",
			files: map[string]string{"a/kustomization.yaml": "resources: [base]\n", "a/base": "->../../outside"},
			is:    ErrOutsideRepository, contains: []string{"a/base"}},
		{name: "remote https base", path: "a",
			files: map[string]string{"a/kustomization.yaml": "resources:\n- https://github.com/org/repo//base?ref=v1\n"},
			is:    ErrRemoteReference, contains: []string{"a/kustomization.yaml", "https://github.com/org/repo//base?ref=v1"}},
		{name: "remote github shorthand in a base", path: "a",
			files: map[string]string{"a/kustomization.yaml": "resources: [../b]\n", "b/kustomization.yaml": "resources: [github.com/org/repo/base]\n"},
			is:    ErrRemoteReference, contains: []string{"b/kustomization.yaml", "github.com/org/repo/base"}},
		{name: "remote scp-like component", path: "a",
			files: map[string]string{"a/kustomization.yaml": "components: ['git@example.com:org/repo.git']\n"},
			is:    ErrRemoteReference, contains: []string{"a/kustomization.yaml", "git@example.com"}},
		{name: "remote file URL", path: "a",
			files: map[string]string{"a/kustomization.yaml": "resources: ['file:///srv/repo']\n"},
			is:    ErrRemoteReference, contains: []string{"file:///srv/repo"}},
		{name: "remote patch", path: "a",
			files: map[string]string{"a/kustomization.yaml": "patches: [{path: 'http://example.com/p.yaml'}]\n"},
			is:    ErrRemoteReference, contains: []string{"patches", "http://example.com/p.yaml"}},
		{name: "remote path in a transformer config file", path: "a",
			files: map[string]string{"a/kustomization.yaml": "resources: [cm.yaml]\ntransformers: [t.yaml]\n", "a/cm.yaml": cmYAML,
				"a/t.yaml": "apiVersion: builtin\nkind: PatchTransformer\nmetadata: {name: p}\npath: https://example.com/patch.yaml\ntarget: {kind: ConfigMap}\n"},
			is: ErrRemoteReference, contains: []string{"a/t.yaml", "path", "https://example.com/patch.yaml"}},
		{name: "remote env in an inline generator config", path: "a",
			files: map[string]string{"a/kustomization.yaml": "generators:\n- |\n  apiVersion: builtin\n  kind: ConfigMapGenerator\n  metadata: {name: c}\n  envs: ['http://169.254.169.254/latest/meta-data']\n"},
			is:    ErrRemoteReference, contains: []string{"a/kustomization.yaml", "envs", "169.254.169.254"}},
		{name: "remote replacement path in a transformer", path: "a",
			files: map[string]string{"a/kustomization.yaml": "transformers: [r.yaml]\n",
				"a/r.yaml": "apiVersion: builtin\nkind: ReplacementTransformer\nmetadata: {name: r}\nreplacements:\n- path: https://example.com/r.yaml\n"},
			is: ErrRemoteReference, contains: []string{"a/r.yaml", "https://example.com/r.yaml"}},
		{name: "helm generator config", path: "a",
			files: map[string]string{"a/kustomization.yaml": "generators: [h.yaml]\n",
				"a/h.yaml": "apiVersion: builtin\nkind: HelmChartInflationGenerator\nmetadata: {name: h}\nname: x\nadditionalValuesFiles: [https://example.com/v.yaml]\n"},
			is: ErrUnsupported, contains: []string{"a/h.yaml", "helm"}},
		{name: "transformers from a directory", path: "a",
			files: map[string]string{"a/kustomization.yaml": "transformers: [t]\n", "a/t/kustomization.yaml": "resources: [p.yaml]\n",
				"a/t/p.yaml": "apiVersion: builtin\nkind: PatchTransformer\nmetadata: {name: p}\npath: https://example.com/p.yaml\n"},
			is: ErrUnsupported, contains: []string{"a/kustomization.yaml", "transformers", `"t"`}},
		{name: "remote patchesStrategicMerge and bases", path: "a",
			files: map[string]string{"a/kustomization.yaml": "bases: [../b]\n", "b/kustomization.yaml": "patchesStrategicMerge: ['HTTPS://example.com/p.yaml']\n"},
			is:    ErrRemoteReference, contains: []string{"b/kustomization.yaml", "patchesStrategicMerge", "HTTPS://example.com/p.yaml"}},
		{name: "helm chart", path: "a",
			files: map[string]string{"a/kustomization.yaml": "helmCharts: [{name: x, repo: 'https://charts.example.com'}]\n"},
			is:    ErrUnsupported, contains: []string{"a/kustomization.yaml", "helm"}},
		{name: "plaintext Secret resource", path: "a",
			files: map[string]string{"a/kustomization.yaml": "resources: [cm.yaml, secret.yaml]\n", "a/cm.yaml": cmYAML, "a/secret.yaml": secretYAML},
			is:    ErrPlaintextSecret, contains: []string{"a/secret.yaml"}},
		{name: "secretGenerator literals", path: "a",
			files: map[string]string{"a/kustomization.yaml": "secretGenerator: [{name: creds, literals: [password=hunter2]}]\n"},
			is:    ErrPlaintextSecret, contains: []string{"a/kustomization.yaml", `secretGenerator "creds"`, "literals"}},
		{name: "secretGenerator plaintext env", path: "a",
			files: map[string]string{"a/kustomization.yaml": "secretGenerator: [{name: creds, envs: [creds.env]}]\n", "a/creds.env": "PASSWORD=hunter2\n"},
			is:    ErrPlaintextSecret, contains: []string{"a/creds.env", `secretGenerator "creds"`}},
		{name: "secretGenerator plaintext file with key", path: "a",
			files: map[string]string{"a/kustomization.yaml": "secretGenerator: [{name: tls, files: [tls.key=key.pem]}]\n", "a/key.pem": "KEY\n"},
			is:    ErrPlaintextSecret, contains: []string{"a/key.pem"}},
		{name: "SecretGenerator config under generators", path: "a",
			files: map[string]string{"a/kustomization.yaml": "generators: [gen.yaml]\n", "a/gen.yaml": "apiVersion: builtin\nkind: SecretGenerator\nmetadata: {name: g}\nliterals: [a=b]\n"},
			is:    ErrPlaintextSecret, contains: []string{"a/gen.yaml", `secretGenerator "g"`}},
		{name: "inline patch with Secret data", path: "a",
			files: map[string]string{"a/kustomization.yaml": "resources: [s.yaml]\npatches:\n- patch: |\n    apiVersion: v1\n    kind: Secret\n    metadata: {name: s}\n    stringData: {password: hunter2}\n", "a/s.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n"},
			is:    ErrPlaintextSecret, contains: []string{"a/kustomization.yaml", "inline patch"}},
		{name: "decryption error", path: "a",
			files: map[string]string{"a/kustomization.yaml": "resources: [secret.yaml]\n", "a/secret.yaml": fakeEnc("k", "FAIL-DECRYPT")},
			is:    ErrDecryption, contains: []string{"a/secret.yaml", "MAC mismatch"}},
		{name: "decryption error in env", path: "a",
			files: map[string]string{"a/kustomization.yaml": "secretGenerator: [{name: s, envs: [s.env]}]\n", "a/s.env": fakeEnc("k", "FAIL-DECRYPT")},
			is:    ErrDecryption, contains: []string{"a/s.env"}},
		{name: "file over cap", path: "a", opts: func(o *Options) { o.MaxFileSize = 100 },
			files: map[string]string{"a/kustomization.yaml": "resources: [big.yaml]\n", "a/big.yaml": kDeploy},
			is:    ErrLimit, contains: []string{"a/big.yaml", "MaxFileSize"}},
		{name: "total over cap", path: "a", opts: func(o *Options) { o.MaxTotalSize = 150 },
			files: map[string]string{"a/kustomization.yaml": "resources: [d.yaml, cm.yaml]\n", "a/d.yaml": kDeploy, "a/cm.yaml": cmYAML},
			is:    ErrLimit, contains: []string{"MaxTotalSize"}},
		{name: "too many objects", path: "a", opts: func(o *Options) { o.MaxObjects = 1 },
			files: map[string]string{"a/kustomization.yaml": "resources: [d.yaml, cm.yaml]\n", "a/d.yaml": kDeploy, "a/cm.yaml": cmYAML},
			is:    ErrLimit, contains: []string{"a", "MaxObjects", "2 objects"}},
		{name: "recursive alias would crash kyaml", path: "a",
			files: map[string]string{"a/kustomization.yaml": "resources: [cm.yaml]\nnamePrefix: x-\n", "a/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: &m {name: a, x: *m}\n"},
			is:    ErrInvalidManifest, contains: []string{"a/cm.yaml", "aliases"}},
		{name: "billion laughs", path: "a",
			files: map[string]string{"a/kustomization.yaml": "resources: [cm.yaml]\n", "a/cm.yaml": laughs()},
			is:    ErrInvalidManifest, contains: []string{"a/cm.yaml", "aliases"}},
		{name: "nesting too deep for kustomize", path: "a",
			files: map[string]string{"a/kustomization.yaml": "resources: [cm.yaml]\n", "a/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: " + strings.Repeat("{a: ", 300) + "1" + strings.Repeat("}", 300) + "\n"},
			is:    ErrInvalidManifest, contains: []string{"a/cm.yaml", "nested more than 200"}},
		{name: "kustomize panic recovered", path: "a",
			files: map[string]string{"a/kustomization.yaml": "resources: [cm.yaml]\nnamePrefix: x-\npatches:\n- target: {kind: ConfigMap}\n  patch: '[{\"op\": \"remove\", \"path\": \"/kind\"}]'\n", "a/cm.yaml": cmYAML},
			is:    ErrPanic, contains: []string{"a:", "kustomize"}},
		{name: "exec function refused", path: "a",
			files: map[string]string{"a/kustomization.yaml": "resources: [cm.yaml]\ntransformers:\n- |\n  apiVersion: example.com/v1\n  kind: Touch\n  metadata:\n    name: t\n    annotations:\n      config.kubernetes.io/function: |\n        exec:\n          path: /usr/bin/touch\n", "a/cm.yaml": cmYAML},
			is:    ErrKustomize, contains: []string{"a:", "external plugins disabled"}},
		{name: "multiple kustomization files", path: "a",
			files: map[string]string{"a/kustomization.yaml": "resources: []\n", "a/kustomization.yml": "resources: []\n"},
			is:    ErrInvalidManifest, contains: []string{"a", "more than one kustomization"}},
		{name: "kustomize error names the file", path: "a",
			files: map[string]string{"a/kustomization.yaml": "resources: [missing.yaml]\n"},
			is:    ErrKustomize, contains: []string{"a:", "missing.yaml"}},
		{name: "root-only load restriction", path: "a",
			files: map[string]string{"a/kustomization.yaml": "resources: [../shared/cm.yaml]\n", "shared/cm.yaml": cmYAML},
			is:    ErrKustomize, contains: []string{"shared/cm.yaml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var fsys fs.FS = mapFS(tt.files)
			if tt.disk {
				fsys = os.DirFS(writeTree(t, tt.files))
			}
			opts := fakeOptions(tt.path)
			if tt.opts != nil {
				tt.opts(&opts)
			}
			_, err := Render(context.Background(), fsys, opts)
			wantErr(t, err, tt.is, tt.contains...)
		})
	}
}

// laughs is a "billion laughs" document: nine levels of ten aliases each.
func laughs() string {
	s := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\ndata:\n  a0: &a0 [lol]\n"
	for i := 1; i < 10; i++ {
		s += "  a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " ["
		for j := 0; j < 10; j++ {
			if j > 0 {
				s += ", "
			}
			s += "*a" + string(rune('0'+i-1))
		}
		s += "]\n"
	}
	return s
}

func TestKustomizeExecNeverRuns(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "ran")
	fsys := mapFS(map[string]string{
		"kustomization.yaml": "resources: [cm.yaml]\ntransformers: [t.yaml]\n",
		"cm.yaml":            cmYAML,
		"t.yaml":             "apiVersion: example.com/v1\nkind: Touch\nmetadata:\n  name: t\n  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: /usr/bin/touch\n        args: [" + marker + "]\n",
	})
	if _, err := Render(context.Background(), fsys, fakeOptions("")); err == nil {
		t.Fatal("Render succeeded with an exec function")
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("the exec function ran")
	}
}

// Builtin transformer and generator configs with local files still work.
func TestKustomizeLocalPluginConfigs(t *testing.T) {
	fsys := mapFS(map[string]string{
		"kustomization.yaml": "resources: [cm.yaml]\ntransformers: [t.yaml]\ngenerators:\n- |\n  apiVersion: builtin\n  kind: SecretGenerator\n  metadata: {name: gen}\n  envs: [s.env]\n  options: {disableNameSuffixHash: true}\n",
		"cm.yaml":            cmYAML,
		"t.yaml":             "apiVersion: builtin\nkind: PatchTransformer\nmetadata: {name: p}\npath: patch.yaml\ntarget: {kind: ConfigMap}\n",
		"patch.yaml":         "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {patched: \"yes\"}\n",
		"s.env":              fakeEnc("k", "A=B\n"),
	})
	res, err := Render(context.Background(), fsys, fakeOptions(""))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"cm", "gen"}, names(res)); diff != "" {
		t.Fatalf("objects (-want +got):\n%s", diff)
	}
	if v, _, _ := unstructured.NestedString(res.Objects[0].Object, "data", "patched"); v != "yes" {
		t.Errorf("the PatchTransformer did not apply: %v", res.Objects[0].Object)
	}
	if res.KeyUsage["k"] != 1 {
		t.Errorf("KeyUsage = %v", res.KeyUsage)
	}
	// The same generator from a plaintext env file is refused.
	fsys["s.env"].Data = []byte("A=B\n")
	_, err = Render(context.Background(), fsys, fakeOptions(""))
	wantErr(t, err, ErrPlaintextSecret, "s.env", `secretGenerator "gen"`)
}
