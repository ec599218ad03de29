package cli

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// exportBootstrap prints what bootstrap would apply as one YAML stream, to
// commit to Git and apply with any tool: the install manifests, the
// GitSync's Namespace when it is not the agent's, and the GitSync. The
// credentials Secret is left out (it would put the credentials in Git in
// plain text); stderr says how to create it and how to seal for the agent.
func exportBootstrap(f *Factory, p *bootstrapPlan) error {
	objs := append([]*unstructured.Unstructured{}, p.manifests...)
	if p.namespace != p.agentNamespace {
		objs = append(objs, namespaceObject(p.namespace))
	}
	objs = append(objs, gitSyncObject(p))
	var buf bytes.Buffer
	mode := "cluster mode"
	if p.opts.Tenant {
		mode = "tenant mode"
	}
	fmt.Fprintf(&buf, "# seal-agent (%s, image %s) and GitSync %s/%s,\n# exported by seal bootstrap --export.\n", mode, p.image, p.namespace, p.name)
	for _, o := range objs {
		data, err := yaml.Marshal(o.Object)
		if err != nil {
			return fmt.Errorf("exporting %s %s: %w", o.GetKind(), o.GetName(), err)
		}
		buf.WriteString("---\n")
		buf.Write(data)
	}
	if _, err := f.IO.Out.Write(buf.Bytes()); err != nil {
		return err
	}
	if p.secretName != "" {
		fmt.Fprintf(f.IO.Err, "note: the GitSync reads its Git credentials from Secret %s/%s, which is not exported: "+
			"it would put them in Git in plain text. Create it in the cluster with the keys %s\n",
			p.namespace, p.secretName, credentialKeys(p.secretData))
	}
	fmt.Fprintf(f.IO.Err, "note: once the agent runs, make .sops.yaml encrypt %s for it: seal keys fetch --update-config '%s'\n",
		exportedDir(p.path), p.pathRegex)
	return nil
}

// credentialKeys lists the keys of the credentials Secret, never values.
func credentialKeys(data map[string][]byte) string {
	names := make([]string, 0, len(data))
	for k := range data {
		names = append(names, k)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func exportedDir(p string) string {
	if p == "" {
		return "the repository"
	}
	return p
}
