package secrets

import (
	"maps"
	"strings"
	"unicode/utf8"
)

// MaskChar repeated MaskRun times starts every masked value, so IsMasked can
// recognise a placeholder the UI sends back unchanged.
const (
	MaskChar = '*'
	MaskRun  = 8
)

var maskPrefix = strings.Repeat(string(MaskChar), MaskRun)

// secretSuffixes end the normalised name of a field that holds a secret.
var secretSuffixes = []string{
	"apikey", "apikeys", "token", "secret", "secretkey", "password", "passwd",
	"passphrase", "cookie", "cookies", "credential", "credentials", "accesskey",
	"privatekey", "sessdata", "authorization", "bearer", "signature",
}

// secretInfixes anywhere in the normalised name mark a secret
// ("assistApiKeyQwen", "client_secret_id").
var secretInfixes = []string{"apikey", "secret", "password", "accesskey"}

// IsSecretKey reports whether a JSON field name names a secret. Names are
// compared case-insensitively with '_', '-', '.' and spaces removed, so
// "coreApiKey", "api_key", "mcpToken" and "SESSDATA" match while
// "max_tokens", "keyword" and "ttsVoiceId" do not.
func IsSecretKey(name string) bool {
	n := normalise(name)
	if n == "" {
		return false
	}
	for _, s := range secretSuffixes {
		if strings.HasSuffix(n, s) {
			return true
		}
	}
	for _, s := range secretInfixes {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

func normalise(name string) string {
	var b strings.Builder
	b.Grow(len(name))
	for _, r := range name {
		switch r {
		case '_', '-', '.', ' ':
			continue
		}
		if r >= 'A' && r <= 'Z' {
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// MaskValue returns the placeholder shown instead of a secret: eight
// asterisks, followed by the last four characters when the secret is long
// enough (≥ 16 characters) for that to reveal nothing useful. An empty value
// stays empty so the UI can tell "not set" from "set".
func MaskValue(s string) string {
	if s == "" {
		return ""
	}
	n := utf8.RuneCountInString(s)
	if n < 16 {
		return maskPrefix
	}
	r := []rune(s)
	return maskPrefix + string(r[n-4:])
}

// IsMasked reports whether s is a masked placeholder: it starts with a run
// of at least four mask characters, asterisks (MaskValue) or bullets "•"
// (the config package's format). No real key starts that way.
func IsMasked(s string) bool {
	n := 0
	for _, r := range s {
		if r != '*' && r != '•' {
			break
		}
		n++
		if n == 4 {
			return true
		}
	}
	return false
}

// MaskJSON returns v with every string under a secret field replaced by its
// placeholder, recursing through objects and arrays as produced by
// encoding/json (map[string]any, []any). Inside a secret field every string
// leaf is masked (e.g. a "cookies" object). v is not modified; changed
// reports whether anything was masked.
func MaskJSON(v any) (out any, changed bool) {
	return maskValue(v, false)
}

func maskValue(v any, secret bool) (any, bool) {
	switch t := v.(type) {
	case string:
		if secret && t != "" && !IsMasked(t) {
			return MaskValue(t), true
		}
		return t, false
	case map[string]any:
		var cp map[string]any
		for k, e := range t {
			m, ch := maskValue(e, secret || IsSecretKey(k))
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
		var cp []any
		for i, e := range t {
			m, ch := maskValue(e, secret)
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
		return v, false
	}
}
