package keys

import (
	"fmt"
	"strings"
)

// ruleKeys returns the age recipients of a rule and the names of the other
// key types it uses. Like sops, key_groups, when present, replace the
// top-level key fields.
func ruleKeys(sr *sopsRule) (recipients, others []string, err error) {
	used := map[string]bool{}
	if len(sr.KeyGroups) > 0 {
		for i := range sr.KeyGroups {
			recipients = append(recipients, groupKeys(&sr.KeyGroups[i], used)...)
		}
		return recipients, otherNames(used), nil
	}
	ages, err := keyField(sr.Age, "age")
	if err != nil {
		return nil, nil, err
	}
	if len(ages) > 0 {
		recipients = splitRecipients(strings.Join(ages, ","))
	}
	for _, f := range []struct {
		name  string
		value any
	}{
		{"pgp", sr.PGP}, {"kms", sr.KMS}, {"gcp_kms", sr.GCPKMS},
		{"azure_keyvault", sr.AzureKeyVault}, {"hc_vault", sr.VaultURI},
	} {
		keys, err := keyField(f.value, f.name)
		if err != nil {
			return nil, nil, err
		}
		used[f.name] = used[f.name] || len(keys) > 0
	}
	used["hckms"] = len(sr.HCKms) > 0
	return recipients, otherNames(used), nil
}

// groupKeys walks a key group as sops does: merged groups first, then age.
func groupKeys(g *sopsKeyGroup, used map[string]bool) []string {
	var out []string
	for i := range g.Merge {
		out = append(out, groupKeys(&g.Merge[i], used)...)
	}
	for _, a := range g.Age {
		out = append(out, splitRecipients(a)...)
	}
	used["pgp"] = used["pgp"] || len(g.PGP) > 0
	used["kms"] = used["kms"] || len(g.KMS) > 0
	used["gcp_kms"] = used["gcp_kms"] || len(g.GCPKMS) > 0
	used["hckms"] = used["hckms"] || len(g.HCKms) > 0
	used["azure_keyvault"] = used["azure_keyvault"] || len(g.AzureKV) > 0
	used["hc_vault"] = used["hc_vault"] || len(g.Vault) > 0
	return out
}

// otherNames lists the used key types in a fixed order.
func otherNames(used map[string]bool) []string {
	var out []string
	for _, n := range []string{"pgp", "kms", "gcp_kms", "hckms", "azure_keyvault", "hc_vault"} {
		if used[n] {
			out = append(out, n)
		}
	}
	return out
}

// keyField reads a key field that may be a comma-separated string or a
// list of strings, as sops' parseKeyField: the string form drops empty
// entries, the list form keeps its items as they are.
func keyField(v any, name string) ([]string, error) {
	switch v := v.(type) {
	case nil:
		return nil, nil
	case string:
		var out []string
		for part := range strings.SplitSeq(v, ",") {
			if p := strings.TrimSpace(part); p != "" {
				out = append(out, p)
			}
		}
		return out, nil
	case []any:
		out := make([]string, len(v))
		for i, item := range v {
			s, ok := item.(string)
			if !ok {
				return nil, fmt.Errorf("%s: expected a string in the list, got %T", name, item)
			}
			out[i] = s
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s: expected a string or a list of strings, got %T", name, v)
}

// splitRecipients splits a comma-separated recipient list as sops'
// MasterKeysFromRecipients: "" is none, other empty entries stay (and are
// then invalid).
func splitRecipients(s string) []string {
	if s == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	for i, p := range parts {
		parts[i] = strings.TrimSpace(p)
	}
	return parts
}
