package receiver

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

func TestNormalizeURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://github.com/org/env.git", "github.com/org/env"},
		{"https://GitHub.com/Org/Env", "github.com/org/env"},
		{"https://user@github.com/org/env.git/", "github.com/org/env"},
		{"git@github.com:org/env.git", "github.com/org/env"},
		{"github.com:org/env", "github.com/org/env"},
		{"ssh://git@github.com:22/org/env.git", "github.com/org/env"},
		{"git://github.com/org/env.git", "github.com/org/env"},
		{"http://127.0.0.1:3000/team/env-1.git", "127.0.0.1/team/env-1"},
		{"https://gitlab.example.com/group/sub/env.git", "gitlab.example.com/group/sub/env"},
		{"https://github.com/", ""},
		{"not a url", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := NormalizeURL(tt.in); got != tt.want {
			t.Errorf("NormalizeURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParsePush(t *testing.T) {
	tests := []struct {
		provider v1alpha1.ReceiverProvider
		payload  string
		header   http.Header
		want     *Push
	}{
		{v1alpha1.ProviderGitHub, "github-push.json", http.Header{"X-Github-Event": {"push"}}, &Push{
			URLs: []string{"https://github.com/Octo-Org/Env.git", "git@github.com:Octo-Org/Env.git", "https://github.com/Octo-Org/Env", "git://github.com/Octo-Org/Env.git"},
			Refs: []string{"refs/heads/main"},
		}},
		{v1alpha1.ProviderGitHub, "github-ping.json", http.Header{"X-Github-Event": {"ping"}}, nil},
		{v1alpha1.ProviderGitLab, "gitlab-push.json", nil, &Push{
			URLs: []string{
				"https://gitlab.example.com/octo-org/env.git", "git@gitlab.example.com:octo-org/env.git", "https://gitlab.example.com/octo-org/env",
				"git@gitlab.example.com:octo-org/env.git", "https://gitlab.example.com/octo-org/env.git", "git@gitlab.example.com:octo-org/env.git", "https://gitlab.example.com/octo-org/env",
			},
			Refs: []string{"refs/heads/main"},
		}},
		{v1alpha1.ProviderGitLab, "gitlab-merge-request.json", nil, nil},
		{v1alpha1.ProviderGitea, "gitea-push.json", http.Header{"X-Gitea-Event": {"push"}}, &Push{
			URLs: []string{"http://gitea.example.com:3000/octo-org/env.git", "ssh://git@gitea.example.com:2222/octo-org/env.git", "http://gitea.example.com:3000/octo-org/env"},
			Refs: []string{"refs/heads/main"},
		}},
		{v1alpha1.ProviderBitbucket, "bitbucket-push.json", http.Header{"X-Event-Key": {"repo:push"}}, &Push{
			// The deleted branch old-feature is no ref to sync.
			URLs: []string{"https://bitbucket.org/octo-org/env"},
			Refs: []string{"refs/heads/main"},
		}},
		{v1alpha1.ProviderGeneric, "generic-push.json", nil, &Push{
			URLs: []string{"https://git.example.com/octo-org/env.git"},
			Refs: []string{"refs/heads/main"},
		}},
	}
	for _, tt := range tests {
		t.Run(string(tt.provider)+" "+tt.payload, func(t *testing.T) {
			got, err := ParsePush(tt.provider, tt.header, readTestdata(t, tt.payload))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("push (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParsePushRefusesMalformedJSON(t *testing.T) {
	for _, p := range []v1alpha1.ReceiverProvider{v1alpha1.ProviderGitHub, v1alpha1.ProviderGitLab, v1alpha1.ProviderBitbucket, v1alpha1.ProviderGeneric} {
		header := http.Header{"X-Github-Event": {"push"}, "X-Event-Key": {"repo:push"}}
		if _, err := ParsePush(p, header, []byte(`{"ref":`)); err == nil {
			t.Errorf("%s: malformed JSON parsed without an error", p)
		}
	}
}

func TestMatches(t *testing.T) {
	push := &Push{URLs: []string{"https://github.com/org/env.git"}, Refs: []string{"refs/heads/main", "refs/tags/v1"}}
	tests := []struct {
		name string
		gs   *v1alpha1.GitSync
		want bool
	}{
		{"same branch", gitSync("ns", "a", "git@github.com:org/env", nil), true},
		{"default branch", gitSync("ns", "a", "https://github.com/org/env", func(gs *v1alpha1.GitSync) { gs.Spec.Ref = v1alpha1.GitRef{} }), true},
		{"tag pushed", gitSync("ns", "a", "https://github.com/org/env", func(gs *v1alpha1.GitSync) { gs.Spec.Ref = v1alpha1.GitRef{Tag: "v1"} }), true},
		{"other tag", gitSync("ns", "a", "https://github.com/org/env", func(gs *v1alpha1.GitSync) { gs.Spec.Ref = v1alpha1.GitRef{Tag: "v2"} }), false},
		{"other branch", gitSync("ns", "a", "https://github.com/org/env", func(gs *v1alpha1.GitSync) { gs.Spec.Ref = v1alpha1.GitRef{Branch: "dev"} }), false},
		{"branch named like the tag", gitSync("ns", "a", "https://github.com/org/env", func(gs *v1alpha1.GitSync) { gs.Spec.Ref = v1alpha1.GitRef{Branch: "v1"} }), false},
		{"other repository", gitSync("ns", "a", "https://github.com/org/env2", nil), false},
		{"other host", gitSync("ns", "a", "https://gitlab.com/org/env", nil), false},
		{"repository prefix", gitSync("ns", "a", "https://github.com/org/en", nil), false},
	}
	for _, tt := range tests {
		if got := push.Matches(tt.gs); got != tt.want {
			t.Errorf("%s: Matches = %v, want %v", tt.name, got, tt.want)
		}
	}
}
