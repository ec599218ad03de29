package helm

// MergeValues merges src over dst as `helm template -f a.yaml -f b.yaml`
// merges b over a: maps merge key by key, anything else in src replaces
// what dst holds. dst is changed and returned. Helm's own merge for -f
// lives in its CLI package (pkg/cli/values), which also reads files from
// disk and URLs; this is the same rule without the reading.
func MergeValues(dst, src map[string]any) map[string]any {
	if dst == nil {
		dst = map[string]any{}
	}
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				dst[k] = MergeValues(dm, sm)
				continue
			}
		}
		dst[k] = v
	}
	return dst
}
