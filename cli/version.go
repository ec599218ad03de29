package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"

	"github.com/seal-gitops/seal/internal/version"
)

// agentDeployment is the Deployment the install manifests and the chart
// run seal-agent as.
const agentDeployment = "seal-agent"

// versionOptions are the flags of seal version.
type versionOptions struct {
	kubeTarget
	Client    bool
	Namespace string
	Output    string
}

func newVersionCmd(f *Factory) *cobra.Command {
	opts := &versionOptions{}
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version of seal, and with --client=false of the cluster's seal-agent",
		Long: `Print seal's version: the release and commit "make build" stamps in, or
else what Go recorded when it built the binary ("go install ...@v1.2.3"
records the release; a build in a Git checkout records the commit).
"seal --version" prints the same line.

With --client=false seal also reads the seal-agent Deployment in the
cluster (in -n NAMESPACE, default seal-system) and prints the version of its
image (the image's tag, or its digest) and how many replicas are ready.`,
		Example: `  seal version
  seal version --client=false --context prod
  seal version -o json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runVersion(cmd.Context(), f, opts)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&opts.Client, "client", true, "print only seal's version; --client=false also reads seal-agent's from the cluster")
	fl.StringVarP(&opts.Namespace, "namespace", "n", defaultAgentNamespace, "`NAMESPACE` seal-agent runs in")
	fl.StringVarP(&opts.Output, "output", "o", "", "output `FORMAT`: json or yaml (default: text)")
	opts.addKubeFlags(fl)
	return cmd
}

// versionReport is what seal version -o json|yaml prints.
type versionReport struct {
	Client version.Info  `json:"client"`
	Agent  *agentVersion `json:"agent,omitempty"`
}

// agentVersion is seal-agent's version as read from its Deployment.
type agentVersion struct {
	Version    string `json:"version"`
	Image      string `json:"image"`
	Deployment string `json:"deployment"`
	Replicas   int32  `json:"replicas"`
	Ready      int32  `json:"readyReplicas"`
}

func runVersion(ctx context.Context, f *Factory, opts *versionOptions) error {
	switch opts.Output {
	case "", outputJSON, "yaml":
	default:
		return usagef("--output %q: want json or yaml (or no -o for text)", opts.Output)
	}
	report := versionReport{Client: version.Get()}
	if !opts.Client {
		a, err := readAgentVersion(ctx, f, opts)
		if err != nil {
			return err
		}
		report.Agent = a
	}
	switch opts.Output {
	case outputJSON:
		return writeJSON(f.IO.Out, report)
	case "yaml":
		data, err := yaml.Marshal(report)
		if err != nil {
			return fmt.Errorf("encoding YAML output: %w", err)
		}
		_, err = f.IO.Out.Write(data)
		return err
	}
	w := &stickyWriter{w: f.IO.Out}
	fmt.Fprintf(w, "seal:       %s\n", report.Client)
	if a := report.Agent; a != nil {
		fmt.Fprintf(w, "seal-agent: %s (image %s; Deployment %s, %d/%d ready)\n", a.Version, a.Image, a.Deployment, a.Ready, a.Replicas)
	}
	return w.err
}

// readAgentVersion reads the agent's image from its Deployment.
func readAgentVersion(ctx context.Context, f *Factory, opts *versionOptions) (*agentVersion, error) {
	wd, err := factoryWD(f)
	if err != nil {
		return nil, err
	}
	cfg, where, err := opts.restConfig(f, wd)
	if err != nil {
		return nil, err
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("cluster at %s: %w", where, err)
	}
	obj := fmt.Sprintf("Deployment %s/%s", opts.Namespace, agentDeployment)
	d, err := cs.AppsV1().Deployments(opts.Namespace).Get(ctx, agentDeployment, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, withHint(fmt.Errorf("%s not found in the cluster at %s: is seal-agent installed?", obj, where),
			"install it with seal bootstrap, or pass -n with the namespace it runs in")
	}
	if err != nil {
		return nil, kubeError(err, where, "reading "+obj)
	}
	image := agentImage(d)
	if image == "" {
		return nil, fmt.Errorf("%s has no containers", obj)
	}
	a := &agentVersion{Version: imageVersion(image), Image: image, Deployment: opts.Namespace + "/" + agentDeployment, Ready: d.Status.ReadyReplicas, Replicas: 1}
	if d.Spec.Replicas != nil {
		a.Replicas = *d.Spec.Replicas
	}
	return a, nil
}

// agentImage is the image of the Deployment's container named "agent", or
// of its first container.
func agentImage(d *appsv1.Deployment) string {
	cs := d.Spec.Template.Spec.Containers
	for _, c := range cs {
		if c.Name == "agent" {
			return c.Image
		}
	}
	if len(cs) > 0 {
		return cs[0].Image
	}
	return ""
}

// imageVersion is an image reference's tag, else its digest, else
// "latest" (what a reference without either pulls).
func imageVersion(image string) string {
	if i := strings.LastIndex(image, "@"); i >= 0 {
		return image[i+1:]
	}
	if i := strings.LastIndex(image, ":"); i > strings.LastIndex(image, "/") {
		return image[i+1:]
	}
	return "latest"
}
