package cli

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/keys"
	"github.com/seal-gitops/seal/manifests"
)

// bootstrapPlan is everything seal bootstrap works out before it talks to
// the cluster: checked flags, credentials read, manifests rendered.
type bootstrapPlan struct {
	wd         string
	opts       *bootstrapOptions
	name       string // of the GitSync
	namespace  string // of the GitSync and the Secret
	path       string // in the repository, cleaned; "" for the root
	secretName string // "" when the repository is fetched anonymously
	secretData map[string][]byte

	manifests      []*unstructured.Unstructured
	agentNamespace string // where the manifests install the agent
	deployment     string // the agent's Deployment
	image          string // the agent's

	root       string // of the Git checkout around wd, else wd
	inCheckout bool   // wd is in a Git checkout
	pathRegex  string
	sopsConfig string // the .sops.yaml to update; "" with --skip-sops-config
}

// planBootstrap checks the flags, reads the credentials and renders the
// manifests. Mistakes in flags are usage errors.
func planBootstrap(f *Factory, opts *bootstrapOptions) (*bootstrapPlan, error) {
	wd, err := factoryWD(f)
	if err != nil {
		return nil, err
	}
	p := &bootstrapPlan{wd: wd, opts: opts, namespace: opts.Namespace}
	if err := p.checkFlags(); err != nil {
		return nil, err
	}
	creds, err := readGitCredentials(f, wd, opts)
	if err != nil {
		return nil, err
	}
	if creds != nil {
		p.secretName, p.secretData = p.name+"-git-credentials", creds
	}
	if err := p.render(); err != nil {
		return nil, err
	}
	p.pathRegex = sopsPathRegex(p.path)
	if p.root, p.inCheckout = checkoutRoot(wd); !p.inCheckout {
		p.root = wd
	}
	if !opts.SkipSopsConfig {
		p.sopsConfig = filepath.Join(p.root, keys.ConfigName)
		// A file seal cannot edit is reported now, before the cluster
		// is touched.
		if _, err := ruleRecipients(p.sopsConfig, p.pathRegex); err != nil {
			return nil, fmt.Errorf("%w (or pass --skip-sops-config)", err)
		}
	}
	return p, nil
}

func (p *bootstrapPlan) checkFlags() error {
	o := p.opts
	switch {
	case o.URL == "":
		return usagef("--url is required: the Git repository to sync")
	case o.Branch == "":
		return usagef("--branch must not be empty")
	case o.Interval < v1alpha1.MinInterval:
		return usagef("--interval %s: must be at least %s", o.Interval, v1alpha1.MinInterval)
	case o.Timeout <= 0:
		return usagef("--timeout %s: must be positive", o.Timeout)
	case o.DryRun && o.Export:
		return usagef("--dry-run and --export cannot be combined: --export never talks to the cluster")
	case o.Tenant && o.ServiceAccount == "":
		return usagef("--tenant needs --service-account NAME: in tenant mode each GitSync applies as a service account of its namespace")
	}
	if o.ServiceAccount != "" {
		if msgs := validation.IsDNS1123Subdomain(o.ServiceAccount); len(msgs) > 0 {
			return usagef("--service-account %q: not a valid service account name: %s", o.ServiceAccount, strings.Join(msgs, "; "))
		}
	}
	if err := checkGitURL(o); err != nil {
		return err
	}
	var err error
	if p.path, err = cleanRepoPath(o.Path); err != nil {
		return err
	}
	p.name = o.Name
	if p.name == "" {
		p.name = defaultGitSyncName(o.Branch)
	}
	if msgs := validation.IsDNS1123Subdomain(p.name); len(msgs) > 0 || len(p.name) > 63 {
		return usagef("--name %q: a GitSync name must be a lower-case DNS name of at most 63 characters", p.name)
	}
	if msgs := validation.IsDNS1123Label(o.Namespace); len(msgs) > 0 {
		return usagef("--namespace %q: not a valid namespace name: %s", o.Namespace, strings.Join(msgs, "; "))
	}
	return nil
}

// cleanRepoPath checks --path and returns it cleaned, "" for the root.
func cleanRepoPath(p string) (string, error) {
	if p == "" {
		return "", usagef("--path is required: the directory of the repository to sync (. for its root)")
	}
	slash := filepath.ToSlash(p)
	if strings.HasPrefix(slash, "/") {
		return "", usagef("--path %q: must be relative to the repository's root", p)
	}
	for _, part := range strings.Split(slash, "/") {
		if part == ".." {
			return "", usagef("--path %q: must not contain ..", p)
		}
	}
	clean := path.Clean(slash)
	if clean == "." {
		return "", nil
	}
	return clean, nil
}

// defaultGitSyncName derives a GitSync name from a branch: lower-cased,
// runs of other characters than a-z, 0-9 and - turned into one -, at most
// 63 characters; "cluster" when nothing is left.
func defaultGitSyncName(branch string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(branch) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '-' {
			b.WriteRune(r)
			dash = false
		} else if !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	name := strings.Trim(b.String(), "-")
	if len(name) > 63 {
		name = strings.TrimRight(name[:63], "-")
	}
	if name == "" {
		return "cluster"
	}
	return name
}

// sopsPathRegex is the path_regex of the files under dir: YAML files,
// matched relative to the directory of .sops.yaml, the repository's root.
func sopsPathRegex(dir string) string {
	if dir == "" {
		return `\.ya?ml$`
	}
	return "^" + regexp.QuoteMeta(dir) + `/.*\.ya?ml$`
}

// render builds the install manifests and finds the agent's namespace and
// Deployment in them.
func (p *bootstrapPlan) render() error {
	image := p.opts.Image
	if image == "" {
		var err error
		if image, err = defaultAgentImage(p.opts.version); err != nil {
			return err
		}
	}
	objs, err := manifests.Build(manifests.Options{Image: image, Tenant: p.opts.Tenant})
	if err != nil {
		if p.opts.Image != "" {
			return usagef("--image %q: %v", p.opts.Image, err)
		}
		return err
	}
	p.image = image
	p.manifests = objs
	for _, o := range objs {
		switch o.GetKind() {
		case "Namespace":
			p.agentNamespace = o.GetName()
		case "Deployment":
			p.deployment = o.GetName()
		}
	}
	if p.agentNamespace == "" || p.deployment == "" {
		return errors.New("manifests: the install manifests lack the agent's Namespace or Deployment")
	}
	return nil
}

// checkoutRoot returns the nearest directory from dir up that holds .git
// (a directory, or a file in worktrees and submodules): the root of the
// checkout, which .sops.yaml's path_regex and --path are relative to.
// Unlike git rev-parse --show-toplevel it needs no git and keeps symbolic
// links as the working directory names them, so paths print relative to it.
func checkoutRoot(dir string) (string, bool) {
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Lstat(filepath.Join(d, ".git")); err == nil {
			return d, true
		}
		if filepath.Dir(d) == d {
			return "", false
		}
	}
}
