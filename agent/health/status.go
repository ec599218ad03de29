package health

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

// sealedSecret is the Bitnami SealedSecret kind; kstatus does not know
// its Synced condition, so it gets a rule of its own.
var sealedSecret = schema.GroupKind{Group: "bitnami.com", Kind: "SealedSecret"}

// settled lists kinds that have no status to wait for, so the wait skips
// them without listing them.
var settled = map[schema.GroupKind]bool{
	{Kind: "ConfigMap"}: true, {Kind: "Secret"}: true, {Kind: "ServiceAccount"}: true,
	{Kind: "LimitRange"}: true, {Kind: "ResourceQuota"}: true, {Kind: "Endpoints"}: true,
	{Group: "rbac.authorization.k8s.io", Kind: "Role"}: true, {Group: "rbac.authorization.k8s.io", Kind: "RoleBinding"}: true,
	{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole"}: true, {Group: "rbac.authorization.k8s.io", Kind: "ClusterRoleBinding"}: true,
	{Group: "networking.k8s.io", Kind: "NetworkPolicy"}: true, {Group: "scheduling.k8s.io", Kind: "PriorityClass"}: true,
	{Group: "admissionregistration.k8s.io", Kind: "ValidatingWebhookConfiguration"}: true,
	{Group: "admissionregistration.k8s.io", Kind: "MutatingWebhookConfiguration"}:   true,
}

// Result is one object's health.
type Result struct {
	Status  status.Status
	Message string
}

// compute is kstatus's verdict on u, with the SealedSecret rule.
func compute(u *unstructured.Unstructured) Result {
	if u.GroupVersionKind().GroupKind() == sealedSecret {
		return sealedSecretStatus(u)
	}
	res, err := status.Compute(u)
	if err != nil {
		return Result{Status: status.UnknownStatus, Message: err.Error()}
	}
	return Result{Status: res.Status, Message: res.Message}
}

// sealedSecretStatus: the sealed-secrets controller sets Synced=True once
// it has unsealed the object into its Secret, Synced=False with the reason
// it could not.
func sealedSecretStatus(u *unstructured.Unstructured) Result {
	gen := u.GetGeneration()
	observed, found, _ := unstructured.NestedInt64(u.Object, "status", "observedGeneration")
	if found && observed < gen {
		return Result{Status: status.InProgressStatus, Message: "the sealed-secrets controller has not seen the latest generation"}
	}
	obj, err := status.GetObjectWithConditions(u.Object)
	if err != nil {
		return Result{Status: status.UnknownStatus, Message: err.Error()}
	}
	for _, c := range obj.Status.Conditions {
		if c.Type != "Synced" {
			continue
		}
		if c.Status == "True" {
			return Result{Status: status.CurrentStatus, Message: "SealedSecret is Synced"}
		}
		return Result{Status: status.InProgressStatus, Message: "SealedSecret not Synced: " + c.Message}
	}
	return Result{Status: status.InProgressStatus, Message: "SealedSecret not Synced yet: the sealed-secrets controller has not unsealed it"}
}
