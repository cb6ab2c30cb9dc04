package secrets

import "maps"

// KeepStored returns the value to store for one secret field: the stored
// value when the incoming one is a masked placeholder (the UI sent back what
// GET showed it), otherwise the incoming value. An empty incoming value
// clears the secret.
func KeepStored(incoming, stored string) string {
	if IsMasked(incoming) {
		return stored
	}
	return incoming
}

// MergeMasked returns incoming with every masked placeholder under a secret
// field replaced by the value at the same place in stored, so a settings page
// that round-trips a masked GET never overwrites a key with asterisks. A
// placeholder with no stored counterpart becomes "" (a placeholder is never
// stored). Placeholders outside secret fields are left alone: a prompt may
// well contain "****". incoming is not modified.
func MergeMasked(incoming, stored any) any {
	out, _ := merge(incoming, stored, false)
	return out
}

func merge(in, st any, secret bool) (any, bool) {
	switch t := in.(type) {
	case string:
		if !secret || !IsMasked(t) {
			return t, false
		}
		if s, ok := st.(string); ok && !IsMasked(s) {
			return s, true
		}
		return "", true
	case map[string]any:
		sm, _ := st.(map[string]any)
		var cp map[string]any
		for k, e := range t {
			var se any
			if sm != nil {
				se = sm[k]
			}
			m, ch := merge(e, se, secret || IsSecretKey(k))
			if ch {
				if cp == nil {
					cp = maps.Clone(t)
				}
				cp[k] = m
			}
		}
		if cp == nil {
			return t, false
		}
		return cp, true
	case []any:
		sa, _ := st.([]any)
		var cp []any
		for i, e := range t {
			var se any
			if i < len(sa) {
				se = sa[i]
			}
			m, ch := merge(e, se, secret)
			if ch {
				if cp == nil {
					cp = append([]any(nil), t...)
				}
				cp[i] = m
			}
		}
		if cp == nil {
			return t, false
		}
		return cp, true
	default:
		return in, false
	}
}
