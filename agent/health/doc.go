// Package health waits for applied objects to become healthy, the way
// kstatus (sigs.k8s.io/cli-utils/pkg/kstatus) judges them: Deployments,
// StatefulSets, DaemonSets and ReplicaSets rolled out, Jobs complete,
// PVCs bound, LoadBalancer Services with an address, CRDs established,
// custom resources Ready, and Bitnami SealedSecrets Synced (a rule of its
// own, since kstatus does not know that condition).
//
// It reads each kind once per namespace (a GET per object when they are
// few and all healthy, else one LIST) and then watches each kind that is
// not healthy yet, never polling, until every object is Current, one has Failed, or the context
// ends; the error names each object that is not healthy with kstatus's
// message. It reads objects only; it never changes one.
package health
