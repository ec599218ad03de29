package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// GroupVersion is the API group and version of GitSync.
var GroupVersion = schema.GroupVersion{Group: "seal.dev", Version: "v1alpha1"}

// Kind is the kind of GitSync objects.
const Kind = "GitSync"

// AddToScheme registers GitSync, Receiver and their lists with s.
func AddToScheme(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion, &GitSync{}, &GitSyncList{}, &Receiver{}, &ReceiverList{})
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
