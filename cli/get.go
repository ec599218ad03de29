package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// getOptions are the flags and argument of seal get gitsyncs.
type getOptions struct {
	kubeTarget
	Name          string
	Namespace     string
	AllNamespaces bool
	Out           *listOutput
}

// gitSyncAliases are the names a GitSync goes by on the command line, as
// kubectl accepts gitsync, gitsyncs and the short name.
var gitSyncAliases = []string{"gitsyncs", "gs"}

func newGetCmd(f *Factory) *cobra.Command {
	return kindGroupCmd("get", "List objects of seal-agent, as kubectl get does", newGetGitSyncsCmd(f))
}

func newGetGitSyncsCmd(f *Factory) *cobra.Command {
	opts := &getOptions{}
	cmd := &cobra.Command{
		Use:     "gitsync [NAME]",
		Aliases: gitSyncAliases,
		Short:   "List GitSyncs: whether each is Ready, why, and the revision it applied",
		Long: `List the GitSyncs of a namespace (seal-system unless -n says otherwise),
or of every namespace with -A, as kubectl get would: NAME, READY (the Ready
condition for the current spec: Unknown before the first sync and while a
changed spec waits for one), REASON, REVISION (last applied), AGE and
SUSPENDED. -o wide adds URL, REF, PATH, LAST-ATTEMPTED and MESSAGE; -o
json, yaml, name, jsonpath=… and go-template=… print the objects
themselves, a List, or the object alone when NAME is given.

seal status shows the same GitSyncs with their messages and exits 1 when
one is not Ready; seal get always exits 0 once it could list them.`,
		Example: `  # The GitSyncs seal bootstrap created
  seal get gitsyncs

  # Every namespace, with the source of each
  seal get gitsyncs -A -o wide

  # The revision one GitSync applied
  seal get gitsync production -o jsonpath='{.status.lastAppliedRevision}'`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usagef("seal get gitsyncs takes at most one NAME, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Name = args[0]
			}
			return runGet(cmd.Context(), f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.Namespace, "namespace", "n", defaultAgentNamespace, "GitSyncs in `NAMESPACE`")
	fl.BoolVarP(&opts.AllNamespaces, "all-namespaces", "A", false, "GitSyncs in every namespace, with a NAMESPACE column")
	opts.Out = addListOutput(cmd)
	opts.addKubeFlags(fl)
	return cmd
}

// kindGroupCmd is a command such as seal get that takes the kind of
// object as its first word, like kubectl: seal get gitsyncs. Run without
// a kind, or with one it does not know, it says which kinds there are.
func kindGroupCmd(use, short string, kinds ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{
		Use:   use + " KIND",
		Short: short,
		RunE: func(cmd *cobra.Command, args []string) error {
			var names []string
			for _, c := range cmd.Commands() {
				names = append(names, c.Name())
			}
			if len(args) == 0 {
				return withHint(usagef("%s needs the kind of object: %s", cmd.CommandPath(), strings.Join(names, ", ")),
					"run `%s --help` for usage", cmd.CommandPath())
			}
			return withHint(usagef("%s: unknown kind %q; the kinds are: %s", cmd.CommandPath(), args[0], strings.Join(names, ", ")),
				"run `%s --help` for usage", cmd.CommandPath())
		},
	}
	cmd.AddCommand(kinds...)
	return cmd
}

func runGet(ctx context.Context, f *Factory, opts *getOptions) error {
	if opts.AllNamespaces && opts.Name != "" {
		return usagef("a NAME cannot be combined with -A/--all-namespaces: pass -n NAMESPACE")
	}
	printer, err := opts.Out.printer(f.IO.Err, opts.AllNamespaces)
	if err != nil {
		return err
	}
	table := opts.Out.isTable()
	c, where, err := opts.gitSyncClient(f)
	if err != nil {
		return err
	}
	scope := statusScope{namespace: opts.Namespace, name: opts.Name}
	if opts.AllNamespaces {
		scope.namespace = ""
	}
	items, _, err := listGitSyncs(ctx, c, where, scope)
	if err != nil {
		return err
	}
	if opts.Name != "" && len(items) == 0 {
		return withHint(fmt.Errorf("GitSync %q not found %s of the cluster at %s", opts.Name, scope.where(), where),
			"seal get gitsyncs -A lists the GitSyncs of every namespace")
	}
	if table && len(items) == 0 {
		fmt.Fprintf(f.IO.Err, "No GitSyncs found %s.\n", scope.where())
		return nil
	}
	var obj runtime.Object
	switch {
	case table:
		obj = gitSyncTable(items, f.Now())
	case opts.Name != "":
		u, err := toUnstructured(items[0])
		if err != nil {
			return err
		}
		obj = u
	default:
		list := &unstructured.UnstructuredList{Object: map[string]any{"apiVersion": "v1", "kind": "List"}}
		for _, gs := range items {
			u, err := toUnstructured(gs)
			if err != nil {
				return err
			}
			list.Items = append(list.Items, *u)
		}
		obj = list
	}
	if err := printer.PrintObj(obj, f.IO.Out); err != nil {
		return fmt.Errorf("printing the GitSyncs: %w", err)
	}
	return nil
}
