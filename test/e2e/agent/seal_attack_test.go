package agent_test

import (
	"testing"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

// TestSealAttacks: a pusher with write access to the environment
// repository but without the key uses the kustomization next to a sealed
// Secret to move, rename, re-kind or copy its value, to feed a generator
// with unbound or foreign inputs, or to give a Secret plaintext. Each
// revision is refused as a whole: nothing applied or pruned in either
// namespace, Ready=False naming the sealed file and where the value would
// have landed, no value in the log, events, status; the next revision
// without the attack applies.
func TestSealAttacks(t *testing.T) {
	t.Parallel()
	const envPlain = "env-token-9c2a7e"
	const plain = "plain-injected-41d0bb"
	attacks := []sealAttack{
		{name: "kustomization namespace moves the sealed Secret",
			mention: []string{"apps/db.yaml", "Secret {other}/db", "sealed for Secret {ns}/db"},
			files: func(s *sealEnv) (string, []string, map[string][]byte) {
				return "namespace: {other}\n", nil, nil
			}},
		{name: "namePrefix renames it",
			mention: []string{"apps/db.yaml", "Secret {ns}/evil-db"},
			files: func(s *sealEnv) (string, []string, map[string][]byte) {
				return "namePrefix: evil-\n", nil, nil
			}},
		{name: "nameSuffix renames it",
			mention: []string{"apps/db.yaml", "Secret {ns}/db-copy"},
			files: func(s *sealEnv) (string, []string, map[string][]byte) {
				return "nameSuffix: -copy\n", nil, nil
			}},
		{name: "strategic merge patch file with allowNameChange renames it",
			mention: []string{"apps/db.yaml", "Secret {ns}/stolen"},
			files: func(s *sealEnv) (string, []string, map[string][]byte) {
				return "patches:\n- path: rename.yaml\n  target: {kind: Secret, name: db}\n  options: {allowNameChange: true}\n", nil,
					map[string][]byte{"apps/rename.yaml": []byte("apiVersion: v1\nkind: Secret\nmetadata:\n  name: stolen\n")}
			}},
		{name: "JSON 6902 patch file with allowKindChange makes it a ConfigMap",
			mention: []string{"apps/db.yaml", "ConfigMap {ns}/db"},
			files: func(s *sealEnv) (string, []string, map[string][]byte) {
				return "patches:\n- path: rekind.yaml\n  target: {kind: Secret, name: db}\n  options: {allowKindChange: true}\n", nil,
					map[string][]byte{"apps/rekind.yaml": []byte("- op: replace\n  path: /kind\n  value: ConfigMap\n- op: move\n  from: /stringData\n  path: /data\n- op: remove\n  path: /type\n")}
			}},
		{name: "inline JSON 6902 patch copies it into an annotation",
			mention: []string{"apps/db.yaml", "Secret {ns}/db", "metadata.annotations.leak"},
			files: func(s *sealEnv) (string, []string, map[string][]byte) {
				return "patches:\n- target: {kind: Secret, name: db}\n  patch: |-\n    - op: add\n      path: /metadata/annotations\n      value: {}\n    - op: copy\n      from: /stringData/password\n      path: /metadata/annotations/leak\n", nil, nil
			}},
		{name: "inline strategic merge patch with allowKindChange makes it a ConfigMap",
			mention: []string{"apps/db.yaml", "ConfigMap {ns}/db"},
			files: func(s *sealEnv) (string, []string, map[string][]byte) {
				return "patches:\n- target: {kind: Secret, name: db}\n  options: {allowKindChange: true}\n  patch: |-\n    apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: db\n", nil, nil
			}},
		{name: "legacy patchesJson6902 copies it into an annotation",
			mention: []string{"apps/db.yaml", "Secret {ns}/db", "metadata.annotations.leak"},
			files: func(s *sealEnv) (string, []string, map[string][]byte) {
				return "patchesJson6902:\n- target: {version: v1, kind: Secret, name: db}\n  path: leak.yaml\n", nil,
					map[string][]byte{"apps/leak.yaml": []byte("- op: add\n  path: /metadata/annotations\n  value: {}\n- op: copy\n  from: /stringData/password\n  path: /metadata/annotations/leak\n")}
			}},
		{name: "legacy patchesStrategicMerge adds plaintext",
			reason:  v1alpha1.ReasonRenderFailed, // the patch file is itself a plaintext Secret
			mention: []string{"apps/extra.yaml", "plaintext Secret refused"},
			files: func(s *sealEnv) (string, []string, map[string][]byte) {
				s.secrets = append(s.secrets, plain)
				return "patchesStrategicMerge:\n- extra.yaml\n", nil,
					map[string][]byte{"apps/extra.yaml": []byte("apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  extra: " + plain + "\n")}
			}},
		{name: "configMapGenerator files names a sealed file",
			mention: []string{"apps/copy.yaml", "ConfigMap {ns}/leak-"},
			files: func(s *sealEnv) (string, []string, map[string][]byte) {
				return "configMapGenerator:\n- name: leak\n  files: [copy.yaml]\n", nil, map[string][]byte{"apps/copy.yaml": s.db}
			}},
		{name: "secretGenerator files names a sealed file",
			mention: []string{"apps/copy.yaml", "Secret {ns}/leak-"},
			files: func(s *sealEnv) (string, []string, map[string][]byte) {
				return "secretGenerator:\n- name: leak\n  files: [copy.yaml]\n", nil, map[string][]byte{"apps/copy.yaml": s.db}
			}},
		{name: "replacement copies it into ConfigMap data",
			mention: []string{"apps/db.yaml", "ConfigMap {ns}/web-config", "data.greeting"},
			files: func(s *sealEnv) (string, []string, map[string][]byte) {
				return replacement("Secret", "db", "stringData.password", "ConfigMap", "web-config", "data.greeting"), nil, nil
			}},
		{name: "replacement copies it into an annotation",
			mention: []string{"apps/db.yaml", "ConfigMap {ns}/web-config", "metadata.annotations.leak"},
			files: func(s *sealEnv) (string, []string, map[string][]byte) {
				return replacement("Secret", "db", "stringData.password", "ConfigMap", "web-config", "metadata.annotations.leak"), nil, nil
			}},
		{name: "replacement copies it into a name",
			mention: []string{"apps/db.yaml", "metadata.name"},
			files: func(s *sealEnv) (string, []string, map[string][]byte) {
				return replacement("Secret", "db", "stringData.password", "ConfigMap", "web-config", "metadata.name"), nil, nil
			}},
		{name: "replacement copies it into a kind",
			mention: []string{"apps/db.yaml", "kind"},
			files: func(s *sealEnv) (string, []string, map[string][]byte) {
				return replacement("Secret", "db", "stringData.password", "ConfigMap", "web-config", "kind"), nil, nil
			}},
		{name: "generator input encrypted by the sops CLI is unbound",
			mention: []string{"apps/app.env", "no sealed identity", "allowUnbound"},
			files: func(s *sealEnv) (string, []string, map[string][]byte) {
				s.secrets = append(s.secrets, envPlain)
				return "secretGenerator:\n- name: app\n  envs: [app.env]\n", nil,
					map[string][]byte{"apps/app.env": s.sops("app.env", []byte("TOKEN="+envPlain+"\n"))}
			}},
		{name: "generator input bound to another Secret",
			mention: []string{"apps/app.env", "sealed for Secret {ns}/other"},
			files: func(s *sealEnv) (string, []string, map[string][]byte) {
				return "secretGenerator:\n- name: app\n  envs: [app.env]\n", nil,
					map[string][]byte{"apps/app.env": s.sealInput("app.env", []byte("TOKEN="+envPlain+"\n"), s.ns+"/other", envPlain)}
			}},
		{name: "generator input bound to the same name in another namespace",
			mention: []string{"apps/app.env", "sealed for Secret {other}/app"},
			files: func(s *sealEnv) (string, []string, map[string][]byte) {
				return "secretGenerator:\n- name: app\n  envs: [app.env]\n", nil,
					map[string][]byte{"apps/app.env": s.sealInput("app.env", []byte("TOKEN="+envPlain+"\n"), s.other+"/app", envPlain)}
			}},
		{name: "namespace-less binding",
			mention: []string{"apps/nsless.yaml", "without a namespace", "--namespace"},
			files: func(s *sealEnv) (string, []string, map[string][]byte) {
				return "", []string{"nsless.yaml"}, map[string][]byte{"apps/nsless.yaml": s.namespaceLessSecret("nsless", envPlain)}
			}},
		{name: "plaintext added to the sealed Secret by a patch",
			mention: []string{"Secret {ns}/db", "stringData.extra", "not sealed"},
			files: func(s *sealEnv) (string, []string, map[string][]byte) {
				s.secrets = append(s.secrets, plain)
				return "patches:\n- target: {kind: Secret, name: db}\n  patch: |-\n    - op: add\n      path: /stringData/extra\n      value: " + plain + "\n", nil, nil
			}},
		{name: "plaintext copied into the sealed Secret by a replacement from a ConfigMap",
			mention: []string{"Secret {ns}/db", "stringData.greeting", "not sealed"},
			files: func(s *sealEnv) (string, []string, map[string][]byte) {
				return replacement("ConfigMap", "web-config", "data.greeting", "Secret", "db", "stringData.greeting"), nil, nil
			}},
		{name: "plaintext by a secretGenerator literal",
			reason:  v1alpha1.ReasonRenderFailed,
			mention: []string{"apps/kustomization.yaml", `secretGenerator "lit"`, "literals are plaintext"},
			files: func(s *sealEnv) (string, []string, map[string][]byte) {
				s.secrets = append(s.secrets, plain)
				return "secretGenerator:\n- name: lit\n  literals: [token=" + plain + "]\n", nil, nil
			}},
	}
	for _, a := range attacks {
		t.Run(a.name, func(t *testing.T) {
			t.Parallel()
			a.run(t)
		})
	}
}

// replacement is a kustomization replacements entry copying fieldPath of
// one object into a field of another, creating the field.
func replacement(fromKind, fromName, fromPath, toKind, toName, toPath string) string {
	return "replacements:\n- source: {kind: " + fromKind + ", name: " + fromName + ", fieldPath: " + fromPath + "}\n" +
		"  targets:\n  - select: {kind: " + toKind + ", name: " + toName + "}\n    fieldPaths: [" + toPath + "]\n    options: {create: true}\n"
}

// namespaceLessSecret is a Secret manifest without a namespace whose
// sealed identity, Secret//name, is encrypted and under the MAC as seal
// wrote it before it required a namespace: the sops CLI encrypts the
// annotation seal puts there. The value is added to the secrets.
func (s *sealEnv) namespaceLessSecret(name, value string) []byte {
	s.t.Helper()
	s.secrets = append(s.secrets, value)
	manifest := "apiVersion: v1\nkind: Secret\nmetadata:\n  name: " + name + "\n  annotations:\n    seal.dev/sealed-for: Secret//" + name + "\ntype: Opaque\nstringData:\n  password: " + value + "\n"
	return s.sops(name+".yaml", []byte(manifest), "--encrypted-regex", "^(data|stringData|seal.dev/sealed-for)$")
}
