package cli

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

// statusOptions are the flags and argument of seal status.
type statusOptions struct {
	kubeTarget
	Name          string
	Namespace     string
	AllNamespaces bool
	Watch         bool
	// Out binds -o, the template flags and --no-headers; -o json, yaml,
	// name, jsonpath=… and go-template=… print through cli-runtime's
	// printers, the table (no -o, or -o wide) is seal's own.
	Out *listOutput
}

func newStatusCmd(f *Factory) *cobra.Command {
	opts := &statusOptions{}
	cmd := &cobra.Command{
		Use:   "status [NAME]",
		Short: "Show whether the cluster's GitSyncs are in sync with Git",
		Long: `Show the GitSyncs of a cluster: the repository and ref each syncs, the
revision it last applied, whether it is Ready, and why not.

Without -n, GitSyncs are looked for in every namespace (seal bootstrap puts
them in seal-system, but they may live anywhere), with a NAMESPACE column;
-n NAMESPACE looks in that one only. NAME shows only the GitSyncs of that
name.

READY is the GitSync's Ready condition for its current spec: True when the
agent applied it, False when the last sync failed (MESSAGE says why), and
Unknown before the first sync or while a changed spec waits for the agent.
On a terminal MESSAGE is cut to fit its width; otherwise it is printed
whole; -o wide adds the PATH, SUSPENDED and LAST-ATTEMPTED columns, and
--no-headers leaves out the header line. -o json, yaml, name, jsonpath=…,
jsonpath-as-json=…, go-template=… and template print the GitSync objects
themselves, as kubectl does: a List, or the object alone when NAME matches
exactly one.

-w keeps watching after the first listing and prints a line (or, with -o
json or yaml, the object) each time a GitSync changes, until interrupted.

Exit status:
  0  every GitSync shown is Ready
  1  one is not Ready, or NAME names none (yet)
  2  the cluster cannot be reached or read (no kubeconfig, connection
     refused, credentials refused, GitSync not installed), or the command
     is misused (bad flags or arguments)
so CI can wait on it: until seal status production; do sleep 10; done, and
stop when it exits 2. With -w the status is that of the last state shown.`,
		Example: `  # Every GitSync in the cluster
  seal status

  # Follow a sync after a push
  seal status -w -n seal-system production

  # Full status of one GitSync, for scripts
  seal status production -o json | jq .status.lastSync`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usagef("seal status takes at most one NAME, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Name = args[0]
			}
			return runStatus(cmd.Context(), f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.Namespace, "namespace", "n", "", "only GitSyncs in `NAMESPACE` (default: every namespace)")
	fl.BoolVarP(&opts.AllNamespaces, "all-namespaces", "A", false, "GitSyncs in every namespace (the default without -n)")
	fl.BoolVarP(&opts.Watch, "watch", "w", false, "after listing, print each change until interrupted")
	opts.Out = addListOutput(cmd)
	opts.addKubeFlags(fl)
	cmd.ValidArgsFunction = completeGitSyncNames(f, opts)
	return cmd
}

// statusScope is where seal status looks.
type statusScope struct {
	namespace string // "" for every namespace
	name      string // "" for every name
}

func (s statusScope) listOptions() []client.ListOption {
	var opts []client.ListOption
	if s.namespace != "" {
		opts = append(opts, client.InNamespace(s.namespace))
	}
	if s.name != "" {
		opts = append(opts, client.MatchingFields{"metadata.name": s.name})
	}
	return opts
}

func (s statusScope) where() string {
	if s.namespace == "" {
		return "in any namespace"
	}
	return "in namespace " + s.namespace
}

func runStatus(ctx context.Context, f *Factory, opts *statusOptions) error {
	if opts.AllNamespaces && opts.Namespace != "" {
		return usagef("-n/--namespace and -A/--all-namespaces cannot be combined")
	}
	p, err := newStatusPrinter(f, opts, statusScope{namespace: opts.Namespace, name: opts.Name})
	if err != nil {
		return err
	}
	// No client-wide timeout: it would cut a watch short. Each list gets
	// its own deadline instead.
	c, where, err := opts.gitSyncClient(f)
	if err != nil {
		return unreachable(err)
	}
	scope := statusScope{namespace: opts.Namespace, name: opts.Name}
	items, rv, err := listGitSyncs(ctx, c, where, scope)
	if err != nil {
		return unreachable(err)
	}
	if opts.Name != "" && len(items) == 0 && !opts.Watch {
		return withHint(fmt.Errorf("GitSync %q not found %s of the cluster at %s", opts.Name, scope.where(), where),
			"seal status without a NAME lists every GitSync")
	}
	if err := p.initial(items); err != nil {
		return err
	}
	if opts.Watch {
		err := watchGitSyncs(ctx, c, where, scope, items, rv, p.event)
		if err != nil && ctx.Err() == nil {
			return unreachable(err)
		}
		if err := p.err(); err != nil {
			return err
		}
	}
	if !p.allReady() {
		return silentError{ExitFailure}
	}
	return nil
}

// unreachable marks err, which kept seal status from reading the
// GitSyncs, for exit status 2: the status of the GitSyncs is unknown, which
// CI must not take for "not Ready yet".
func unreachable(err error) error { return codeError{err: err, code: ExitUsage} }

// listGitSyncs lists the GitSyncs in scope, sorted by namespace and name,
// and returns the list's resourceVersion to watch from.
func listGitSyncs(ctx context.Context, c client.Client, where string, scope statusScope) ([]*v1alpha1.GitSync, string, error) {
	ctx, cancel := context.WithTimeout(ctx, kubeRequestTimeout)
	defer cancel()
	var list v1alpha1.GitSyncList
	if err := c.List(ctx, &list, scope.listOptions()...); err != nil {
		return nil, "", kubeError(err, where, "listing GitSyncs "+scope.where())
	}
	items := make([]*v1alpha1.GitSync, len(list.Items))
	for i := range list.Items {
		items[i] = &list.Items[i]
	}
	slices.SortFunc(items, func(a, b *v1alpha1.GitSync) int {
		return strings.Compare(a.Namespace+"/"+a.Name, b.Namespace+"/"+b.Name)
	})
	return items, list.ResourceVersion, nil
}

// terminalWidth is the width of the terminal Out is, 0 when it is none.
// $COLUMNS is used when the size cannot be read, then 80.
func terminalWidth(f *Factory) int {
	if !f.IO.OutTerminal {
		return 0
	}
	if file, ok := f.IO.Out.(*os.File); ok {
		if w, _, err := term.GetSize(int(file.Fd())); err == nil && w > 0 {
			return w
		}
	}
	if n, err := strconv.Atoi(f.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	return 80
}

// completeGitSyncNames completes NAME with the GitSyncs of the cluster the
// command's flags name (in -n NAMESPACE, else every namespace).
func completeGitSyncNames(f *Factory, opts *statusOptions) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		wd, err := factoryWD(f)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		cfg, where, err := opts.restConfig(f, wd)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		c, err := newKubeClient(cfg, where)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		items, _, err := listGitSyncs(cmd.Context(), c, where, statusScope{namespace: opts.Namespace})
		if err != nil {
			cobra.CompDebugln(err.Error(), false)
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []cobra.Completion
		for _, gs := range items {
			if strings.HasPrefix(gs.Name, toComplete) && !slices.Contains(out, gs.Name) {
				out = append(out, gs.Name)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}
