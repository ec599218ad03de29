package cli

import (
	"fmt"

	"github.com/seal-gitops/seal/keys"
)

// Finding codes of the key policy (the seal section of .sops.yaml).
const (
	codePolicyMissing   = "policy-missing-recipient"   // a file or rule lacks a recipient the policy requires
	codePolicyForbidden = "policy-forbidden-recipient" // a file or rule names a recipient the policy forbids
)

// policyName names a policy entry for messages: "seal.policy.require (.sops.yaml line 4)".
func (rs *sopsRules) policyName(list string, e keys.PolicyEntry) string {
	return fmt.Sprintf("%s.policy.%s (%s line %d)", keys.PolicyKey, list, rs.name(), e.Line)
}

// policyFindings checks an encrypted file's recipients against the policy.
func policyFindings(s *auditFile, line int, recipients []string, rs *sopsRules) []finding {
	if rs.cfg == nil {
		return nil
	}
	missing, forbidden := rs.cfg.Policy.Violations(recipients)
	var fs []finding
	for _, e := range missing {
		fs = append(fs, finding{File: s.Name, Line: line, Code: codePolicyMissing,
			Problem: fmt.Sprintf("recipient %s is missing: %s requires it on every encrypted file", e.Short(), rs.policyName("require", e)),
			Fix:     "add it to the file's creation rule, then run `seal keys rotate " + s.Name + "`"})
	}
	for _, f := range forbidden {
		fs = append(fs, finding{File: s.Name, Line: line, Code: codePolicyForbidden,
			Problem: fmt.Sprintf("recipient %s is forbidden by %s", keys.Short(f.Recipient), rs.policyName("forbid", f.Entry)),
			Fix:     "remove it from the file's creation rule, then run `seal keys rotate --new-data-key " + s.Name + "`"})
	}
	return fs
}

// rulePolicyFindings reports the creation rules that break the policy, on
// the .sops.yaml at each rule's line: files encrypted by them would.
func rulePolicyFindings(rs *sopsRules) []finding {
	if rs.cfg == nil {
		return nil
	}
	var fs []finding
	for _, v := range rs.cfg.RuleViolations() {
		line := max(v.Rule.Line, 1)
		for _, e := range v.Missing {
			fs = append(fs, finding{File: rs.name(), Line: line, Code: codePolicyMissing,
				Problem: fmt.Sprintf("creation_rules[%d] lacks recipient %s, which %s requires", v.Rule.Index, e.Short(), rs.policyName("require", e)),
				Fix:     "add it to the rule's age recipients"})
		}
		for _, f := range v.Forbidden {
			fs = append(fs, finding{File: rs.name(), Line: line, Code: codePolicyForbidden,
				Problem: fmt.Sprintf("creation_rules[%d] names recipient %s, which %s forbids", v.Rule.Index, keys.Short(f.Recipient), rs.policyName("forbid", f.Entry)),
				Fix:     "remove it from the rule's age recipients"})
		}
	}
	return fs
}

// rulePolicyError is why rotation refuses a rule that breaks the policy,
// nil when it complies.
func (rs *sopsRules) rulePolicyError(r *keys.Rule) error {
	if rs.cfg == nil {
		return nil
	}
	missing, forbidden := rs.cfg.Policy.Violations(r.Recipients)
	switch {
	case len(missing) > 0:
		return withHint(fmt.Errorf("%s lacks recipient %s, which %s requires: rotating would leave the file without it",
			rs.ruleName(r), missing[0].Short(), rs.policyName("require", missing[0])),
			"add the recipient to the rule, then rotate again")
	case len(forbidden) > 0:
		return withHint(fmt.Errorf("%s names recipient %s, which %s forbids: rotating would wrap the file for it",
			rs.ruleName(r), keys.Short(forbidden[0].Recipient), rs.policyName("forbid", forbidden[0].Entry)),
			"remove the recipient from the rule, then rotate again")
	}
	return nil
}
