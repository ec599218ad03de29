package render

import (
	"context"
	"errors"
	"log"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func testAdapter(t *testing.T, files map[string]string) *adapter {
	t.Helper()
	opts := fakeOptions("")
	r := newReader(context.Background(), mapFS(files), &opts)
	return newAdapter(r, newScanner(r))
}

func TestAdapterIsReadOnlyAndConfined(t *testing.T) {
	a := testAdapter(t, map[string]string{"a/cm.yaml": cmYAML, "a/link": "->../../x"})
	writes := map[string]error{
		"Create":    func() error { _, err := a.Create(vroot + "/a/new.yaml"); return err }(),
		"Mkdir":     a.Mkdir(vroot + "/b"),
		"MkdirAll":  a.MkdirAll(vroot + "/b/c"),
		"RemoveAll": a.RemoveAll(vroot + "/a"),
		"WriteFile": a.WriteFile(vroot+"/a/cm.yaml", []byte("x")),
	}
	for op, err := range writes {
		if !errors.Is(err, errReadOnly) {
			t.Errorf("%s: err = %v; want errReadOnly", op, err)
		}
	}
	if a.fatal != nil {
		t.Fatalf("a refused write is not a policy failure: %v", a.fatal)
	}
	data, err := a.ReadFile(vroot + "/a/cm.yaml")
	if err != nil || string(data) != cmYAML {
		t.Fatalf("ReadFile = %q, %v", data, err)
	}
	f, err := a.Open("a/cm.yaml") // relative paths are taken from the root
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := f.Stat(); st.Size() != int64(len(cmYAML)) {
		t.Errorf("Stat().Size() = %d", st.Size())
	}
	if _, err := f.Write([]byte("x")); !errors.Is(err, errReadOnly) {
		t.Errorf("File.Write err = %v", err)
	}
	if !a.IsDir(vroot+"/a") || a.IsDir(vroot+"/a/cm.yaml") || !a.Exists(vroot+"/a/cm.yaml") || a.Exists(vroot+"/nope") {
		t.Error("IsDir/Exists disagree with the tree")
	}
	names, err := a.ReadDir(vroot + "/a")
	if diff := cmp.Diff([]string{"cm.yaml", "link"}, names); diff != "" || err != nil {
		t.Errorf("ReadDir: %v (-want +got):\n%s", err, diff)
	}
	d, f2, err := a.CleanedAbs(vroot + "/a/cm.yaml")
	if err != nil || d.String() != vroot+"/a" || f2 != "cm.yaml" {
		t.Errorf("CleanedAbs = %q, %q, %v", d, f2, err)
	}
	if _, err := a.Glob(vroot + "/*"); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Glob err = %v", err)
	}
	if a.fatal != nil {
		t.Fatalf("fatal after ordinary calls: %v", a.fatal)
	}
	// Kustomize cleans "/seal-repo/a/../../../etc/passwd" to "/etc/passwd".
	if _, _, err := a.CleanedAbs("/etc/passwd"); !errors.Is(err, ErrOutsideRepository) {
		t.Errorf("CleanedAbs outside: err = %v", err)
	}
	if _, err := a.ReadFile(vroot + "/a/link"); !errors.Is(err, ErrOutsideRepository) {
		t.Errorf("ReadFile through an escaping link: err = %v", err)
	}
	if !errors.Is(a.fatal, ErrOutsideRepository) {
		t.Errorf("fatal = %v; want the escape kept", a.fatal)
	}
}

func TestAdapterRefusesUncheckedKustomization(t *testing.T) {
	a := testAdapter(t, map[string]string{"x/kustomization.yaml": "resources: []\n"})
	if _, err := a.ReadFile(vroot + "/x/kustomization.yaml"); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("err = %v; want ErrUnsupported", err)
	}
}

// logGuard turns kustomize's log.Fatal into a panic build recovers, so a
// crafted input cannot exit the agent; other log output is dropped.
func TestLogGuard(t *testing.T) {
	prev := log.Writer()
	log.SetOutput(logGuard{})
	defer log.SetOutput(prev)
	log.Printf("dropped %s", secretValue) // must neither panic nor print
	got := func() (p any) {
		defer func() { p = recover() }()
		log.Fatalf("kustomize giving up on %s", "x")
		return nil
	}()
	if got == nil {
		t.Fatal("log.Fatal did not panic under logGuard")
	}
	if s, _ := got.(string); strings.Contains(s, "giving up") {
		t.Error("the panic carries the log message")
	}
}

func TestDecodeRecoversPanics(t *testing.T) {
	err := decodeManifests("apps/x.yaml", []byte(cmYAML), func(int, int, *unstructured.Unstructured) error {
		panic("boom")
	})
	wantErr(t, err, ErrPanic, "apps/x.yaml")
}

func TestPlaintextSecretsAllowed(t *testing.T) {
	tests := []struct {
		name  string
		path  string
		files map[string]string
		want  []string
	}{
		{name: "plain", files: map[string]string{"s.yaml": secretYAML}, want: []string{"creds"}},
		{name: "kustomize literals and env", path: "a", files: map[string]string{
			"a/kustomization.yaml": "resources: [s.yaml]\nsecretGenerator:\n- {name: lit, literals: [a=b], options: {disableNameSuffixHash: true}}\n- {name: env, envs: [e.env], options: {disableNameSuffixHash: true}}\n",
			"a/s.yaml":             secretYAML, "a/e.env": "A=B\n"}, want: []string{"creds", "env", "lit"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := fakeOptions(tt.path)
			opts.AllowPlaintextSecrets = true
			res, err := Render(context.Background(), mapFS(tt.files), opts)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, names(res)); diff != "" {
				t.Errorf("objects (-want +got):\n%s", diff)
			}
		})
	}
}
