package v1alpha1_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

func newGitSync(ns, name string, spec v1alpha1.GitSyncSpec) *v1alpha1.GitSync {
	return &v1alpha1.GitSync{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: spec}
}

func TestAPIServerAppliesDefaults(t *testing.T) {
	c, ns := env(t)
	ctx := context.Background()
	yes := true
	tests := []struct {
		name string
		spec v1alpha1.GitSyncSpec
		want v1alpha1.GitSyncSpec
	}{
		{
			name: "minimal",
			spec: v1alpha1.GitSyncSpec{URL: "https://git.example.com/env.git"},
			want: v1alpha1.GitSyncSpec{
				URL: "https://git.example.com/env.git", Ref: v1alpha1.GitRef{Branch: "main"},
				Interval: metav1.Duration{Duration: 5 * time.Minute}, Timeout: &metav1.Duration{Duration: 2 * time.Minute}, Prune: &yes, Wait: &yes, DeletionPolicy: v1alpha1.DeletionPolicyDelete,
			},
		},
		{
			name: "tag is not given a branch",
			spec: v1alpha1.GitSyncSpec{URL: "git@github.com:org/env.git", Ref: v1alpha1.GitRef{Tag: "v1.0.0"}, Interval: metav1.Duration{Duration: 10 * time.Second}},
			want: v1alpha1.GitSyncSpec{
				URL: "git@github.com:org/env.git", Ref: v1alpha1.GitRef{Tag: "v1.0.0"},
				Interval: metav1.Duration{Duration: 10 * time.Second}, Timeout: &metav1.Duration{Duration: 2 * time.Minute}, Prune: &yes, Wait: &yes, DeletionPolicy: v1alpha1.DeletionPolicyDelete,
			},
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gs := newGitSync(ns, "defaults-"+string(rune('a'+i)), tt.spec)
			if err := c.Client.Create(ctx, gs); err != nil {
				t.Fatal(err)
			}
			var got v1alpha1.GitSync
			if err := c.Client.Get(ctx, client.ObjectKeyFromObject(gs), &got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got.Spec); diff != "" {
				t.Errorf("spec after defaulting (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAPIServerValidates(t *testing.T) {
	c, ns := env(t)
	ctx := context.Background()
	valid := func() v1alpha1.GitSyncSpec { return v1alpha1.GitSyncSpec{URL: "https://git.example.com/env.git"} }
	tests := []struct {
		name    string
		objName string
		edit    func(*v1alpha1.GitSyncSpec)
		wantErr string // empty: accepted
	}{
		{name: "https", edit: func(s *v1alpha1.GitSyncSpec) {}},
		{name: "ssh", edit: func(s *v1alpha1.GitSyncSpec) { s.URL = "ssh://git@git.example.com:2222/org/env.git" }},
		{name: "scp-like", edit: func(s *v1alpha1.GitSyncSpec) { s.URL = "git@github.com:org/env.git" }},
		{name: "https with username only", edit: func(s *v1alpha1.GitSyncSpec) { s.URL = "https://bot@git.example.com/env.git" }},
		{name: "path and commit", edit: func(s *v1alpha1.GitSyncSpec) {
			s.Path = "clusters/prod/..hidden"
			s.Ref.Commit = "0123456789abcdef0123456789abcdef01234567"
		}},
		{name: "interval at minimum", edit: func(s *v1alpha1.GitSyncSpec) { s.Interval.Duration = 10 * time.Second }},
		{name: "empty url", edit: func(s *v1alpha1.GitSyncSpec) { s.URL = "" }, wantErr: "spec.url"},
		{name: "ftp url", edit: func(s *v1alpha1.GitSyncSpec) { s.URL = "ftp://git.example.com/env.git" }, wantErr: "url must start with https://"},
		{name: "local path", edit: func(s *v1alpha1.GitSyncSpec) { s.URL = "/srv/git/env.git" }, wantErr: "url must start with https://"},
		{name: "password in url", edit: func(s *v1alpha1.GitSyncSpec) { s.URL = "https://bot:hunter2@git.example.com/env.git" }, wantErr: "url must not contain a password"},
		{name: "branch and tag", edit: func(s *v1alpha1.GitSyncSpec) { s.Ref = v1alpha1.GitRef{Branch: "main", Tag: "v1"} }, wantErr: "set at most one of branch, tag and commit"},
		{name: "tag and commit", edit: func(s *v1alpha1.GitSyncSpec) {
			s.Ref = v1alpha1.GitRef{Tag: "v1", Commit: "0123456789abcdef0123456789abcdef01234567"}
		}, wantErr: "set at most one of branch, tag and commit"},
		{name: "short commit", edit: func(s *v1alpha1.GitSyncSpec) { s.Ref.Commit = "0123456" }, wantErr: "commit must be a full 40-character"},
		{name: "bad branch", edit: func(s *v1alpha1.GitSyncSpec) { s.Ref.Branch = "feature..x" }, wantErr: "branch must be a valid Git branch name"},
		{name: "path with parent", edit: func(s *v1alpha1.GitSyncSpec) { s.Path = "apps/../../etc" }, wantErr: `path must not contain ".."`},
		{name: "path is parent", edit: func(s *v1alpha1.GitSyncSpec) { s.Path = ".." }, wantErr: `path must not contain ".."`},
		{name: "absolute path", edit: func(s *v1alpha1.GitSyncSpec) { s.Path = "/etc" }, wantErr: "path must be relative"},
		{name: "interval below minimum", edit: func(s *v1alpha1.GitSyncSpec) { s.Interval.Duration = 5 * time.Second }, wantErr: "interval must be at least 10s"},
		{name: "timeout below minimum", edit: func(s *v1alpha1.GitSyncSpec) { s.Timeout = &metav1.Duration{Duration: time.Millisecond} }, wantErr: "timeout must be at least 1s"},
		{name: "bad target namespace", edit: func(s *v1alpha1.GitSyncSpec) { s.TargetNamespace = "Not_A_Namespace" }, wantErr: "spec.targetNamespace"},
		{name: "empty secret name", edit: func(s *v1alpha1.GitSyncSpec) { s.SecretRef = &v1alpha1.LocalObjectReference{} }, wantErr: "spec.secretRef.name"},
		{name: "name too long for a label", objName: strings.Repeat("n", 64), edit: func(s *v1alpha1.GitSyncSpec) {}, wantErr: "metadata.name must be at most 63 characters"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := valid()
			tt.edit(&spec)
			name := tt.objName
			if name == "" {
				name = "v" + strings.Repeat("x", i)
			}
			err := c.Client.Create(ctx, newGitSync(ns, name, spec))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("valid GitSync refused: %v", err)
			case tt.wantErr != "" && err == nil:
				t.Fatalf("invalid GitSync accepted, want an error containing %q", tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}
