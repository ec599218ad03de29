package render

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strings"

	"sigs.k8s.io/kustomize/api/types"
	sigsyaml "sigs.k8s.io/yaml"
)

// scanner checks every kustomization reachable from the one being built
// before kustomize runs, because kustomize acts on some references at once:
// it fetches URLs over HTTP and clones remote bases with the git program.
// It refuses remote references, references that leave the repository, helm
// charts and plaintext secretGenerator inputs, and tells the adapter which
// files must arrive encrypted.
type scanner struct {
	r           *reader
	seen        map[string]bool   // kustomization directories scanned
	kfiles      map[string]bool   // real paths of kustomization files
	mustEncrypt map[string]string // real path -> the generator that reads it
	secretKust  map[string]bool   // kustomization files with secret generators
	whole       map[string]bool   // real paths a generator reads whole (files:)
	manifests   map[string]string // real paths read as manifests -> "kfile: field"
	openAPI     bool              // some kustomization sets a custom OpenAPI schema
}

func newScanner(r *reader) *scanner {
	return &scanner{r: r, seen: map[string]bool{}, kfiles: map[string]bool{}, mustEncrypt: map[string]string{}, secretKust: map[string]bool{}, whole: map[string]bool{}, manifests: map[string]string{}}
}

// ref is one path-valued entry of a kustomization.
type ref struct {
	field, value string
	dirOK        bool // may name a directory holding a kustomization
	inline       bool // the value is the content itself
}

// scanDir checks the kustomization in dir (a real path) and, recursively,
// the directories it refers to.
func (s *scanner) scanDir(dir string) error {
	if s.seen[dir] {
		return nil
	}
	s.seen[dir] = true
	var kfile string
	for _, n := range kustomizationNames {
		real, info, err := s.r.res.resolve(joinPath(dir, n))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if !info.Mode().IsRegular() {
			continue
		}
		if kfile != "" {
			return fmt.Errorf("%s: %w: more than one kustomization file (%s, %s)", dir, ErrInvalidManifest, path.Base(kfile), n)
		}
		kfile = real
		s.kfiles[real] = true
	}
	if kfile == "" {
		return nil // kustomize reports the missing kustomization
	}
	data, _, err := s.r.read(kfile, false)
	if err != nil {
		return err
	}
	if err := checkYAMLShape(kfile, data); err != nil {
		return err
	}
	var k types.Kustomization
	if err := sigsyaml.Unmarshal(data, &k); err != nil {
		return fmt.Errorf("%s: %w: %s", kfile, ErrInvalidManifest, yamlProblem(err, 0))
	}
	if len(k.OpenAPI) > 0 {
		s.openAPI = true
	}
	if len(k.HelmCharts) > 0 || len(k.HelmChartInflationGenerator) > 0 {
		return fmt.Errorf("%s: %w: helm charts (render them into the repository instead)", kfile, ErrUnsupported)
	}
	for _, g := range k.SecretGenerator {
		if err := s.secretGenerator(kfile, dir, g.Name, g.KvPairSources); err != nil {
			return err
		}
		s.wholeFiles(dir, g.KvPairSources)
	}
	for _, g := range k.ConfigMapGenerator {
		s.wholeFiles(dir, g.KvPairSources)
	}
	for _, rf := range refs(&k) {
		if err := s.checkRef(kfile, dir, rf); err != nil {
			return err
		}
	}
	return nil
}

// refs lists the path-valued entries of k, and its inline patches. Entries
// that may be either (patchesStrategicMerge, generator and transformer
// configs) are told apart by checkRef: a line break means inline content.
func refs(k *types.Kustomization) []ref {
	var out []ref
	add := func(field string, dirOK bool, vs ...string) {
		for _, v := range vs {
			if v != "" {
				out = append(out, ref{field: field, value: v, dirOK: dirOK})
			}
		}
	}
	add("resources", true, k.Resources...)
	//lint:ignore SA1019 kustomize still honours bases, so they are checked too
	add("bases", true, k.Bases...)
	add("components", true, k.Components...)
	add("transformers", false, k.Transformers...)
	add("validators", false, k.Validators...)
	add("generators", false, k.Generators...)
	add("crds", false, k.Crds...)
	add("configurations", false, k.Configurations...)
	add("openapi", false, k.OpenAPI["path"])
	//lint:ignore SA1019 kustomize still honours patchesJson6902
	for _, p := range append(k.Patches, k.PatchesJson6902...) {
		add("patches", false, p.Path)
		if p.Patch != "" {
			out = append(out, ref{field: "patches", value: p.Patch, inline: true})
		}
	}
	//lint:ignore SA1019 kustomize still honours patchesStrategicMerge
	for _, p := range k.PatchesStrategicMerge {
		add("patchesStrategicMerge", false, string(p))
	}
	for _, r := range k.Replacements {
		add("replacements", false, r.Path)
	}
	for _, g := range k.ConfigMapGenerator {
		add("configMapGenerator", false, sourcePaths(g.KvPairSources)...)
	}
	for _, g := range k.SecretGenerator {
		add("secretGenerator", false, sourcePaths(g.KvPairSources)...)
	}
	return out
}

// sourcePaths returns the files a generator reads ("key=path" or "path").
func sourcePaths(src types.KvPairSources) []string {
	var out []string
	for _, f := range src.FileSources {
		if k, p, ok := strings.Cut(f, "="); ok && k != "" {
			f = p
		}
		out = append(out, f)
	}
	out = append(out, src.EnvSources...)
	if src.EnvSource != "" {
		out = append(out, src.EnvSource)
	}
	return out
}

func (s *scanner) checkRef(kfile, dir string, rf ref) error {
	if rf.inline || strings.Contains(rf.value, "\n") {
		return s.inline(kfile, dir, rf)
	}
	if isRemote(rf.value) {
		return fmt.Errorf("%s: %s entry %q: %w: vendor it into the repository", kfile, rf.field, rf.value, ErrRemoteReference)
	}
	if strings.HasPrefix(rf.value, "/") {
		return fmt.Errorf("%s: %s entry %q: %w: use a path relative to the kustomization", kfile, rf.field, rf.value, ErrOutsideRepository)
	}
	target := path.Clean(joinPath(dir, rf.value))
	if target == ".." || strings.HasPrefix(target, "../") {
		return fmt.Errorf("%s: %s entry %q: %w", kfile, rf.field, rf.value, ErrOutsideRepository)
	}
	real, info, err := s.r.res.resolve(target)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil // kustomize reports it, or takes the entry as an inline patch
	case err != nil:
		return fmt.Errorf("%s: %s entry %q: %w", kfile, rf.field, rf.value, err)
	case !info.IsDir():
		if isPluginField(rf.field) {
			return s.pluginConfigFile(dir, real)
		}
		if rf.field != "configMapGenerator" && rf.field != "secretGenerator" {
			s.manifests[real] = kfile + ": " + rf.field
		}
		return nil
	case rf.dirOK:
		return s.scanDir(real)
	case isPluginField(rf.field):
		return fmt.Errorf("%s: %s entry %q: %w: plugin configs from a kustomization directory; list the config files instead", kfile, rf.field, rf.value, ErrUnsupported)
	}
	return nil
}

// wholeFiles records the files a generator reads whole (its files:
// entries): a sealed one becomes one token, the whole file's value.
func (s *scanner) wholeFiles(dir string, src types.KvPairSources) {
	for _, f := range src.FileSources {
		if k, p, ok := strings.Cut(f, "="); ok && k != "" {
			f = p
		}
		if real, _, err := s.r.res.resolve(path.Clean(joinPath(dir, f))); err == nil {
			s.whole[real] = true
		}
	}
}

// inline checks an inline patch or generator config. Kustomize parses it
// with kyaml, so it gets the same shape guard as every file.
func (s *scanner) inline(kfile, dir string, rf ref) error {
	if err := checkYAMLShape(kfile+": inline "+rf.field+" entry", []byte(rf.value)); err != nil {
		return err
	}
	if isPluginField(rf.field) {
		return s.pluginConfigs(kfile, dir, []byte(rf.value))
	}
	if !s.r.opts.AllowPlaintextSecrets && fileHoldsSecretData([]byte(rf.value)) {
		return fmt.Errorf("%s: %s: %w: an inline patch puts data in a Secret; move it to a SOPS-encrypted file, or allow plaintext Secrets", kfile, rf.field, ErrPlaintextSecret)
	}
	return nil
}

// remotePrefix matches what kustomize would fetch or clone: anything that
// starts like a URL scheme ("https:", "file:"), scp-like "user@host:",
// go-getter's "git::" and bare github.com paths. It errs on the side of
// refusing: a local file named "a:b" is refused too.
var remotePrefix = regexp.MustCompile(`(?i)^(git::|[a-z][a-z0-9+.-]+:|[a-z][a-z0-9-]*@|github\.com[/:])`)

func isRemote(v string) bool {
	return remotePrefix.MatchString(strings.TrimSpace(v))
}

// checkWholeManifests refuses a sealed file that a generator reads whole
// (files:) and a kustomization also reads as a manifest: the generator's
// read turns the file into one token, which is no manifest, so kustomize
// would fail with a message that does not say why.
func (s *scanner) checkWholeManifests() error {
	for real := range s.whole {
		where, ok := s.manifests[real]
		if !ok {
			continue
		}
		data, err := fs.ReadFile(s.r.fsys, real)
		if err != nil || !s.r.opts.IsEncrypted(data) {
			continue // read errors are reported where the file is read
		}
		return fmt.Errorf("%s: %w: a sealed file read both as a manifest (%s) and whole by a generator's files: entry; "+
			"a sealed Secret manifest cannot feed a generator: seal the generator's input as a file of its own with `seal encrypt --bind-secret NAMESPACE/NAME`",
			real, ErrUnsupported, where)
	}
	return nil
}
