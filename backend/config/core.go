package config

import (
	"encoding/json"
	"fmt"
	"strings"
)

// ModelRoles are the per-role custom model overrides of core_config.json
// (<role>Model{Url,Id,ApiKey}).
var ModelRoles = []string{"conversation", "summary", "correction", "emotion", "vision", "agent", "omni", "tts"}

// AssistProviders are the suffixes of the assistApiKey<Provider> fields.
var AssistProviders = []string{"Qwen", "Openai", "Glm", "Step", "Silicon", "Gemini", "Kimi"}

// CoreConfig is core_config.json: the user's provider choices and keys, in
// the original's camelCase keys. Unknown keys are kept.
type CoreConfig struct {
	*Object
}

// DefaultCoreConfig is the file created on first start.
func DefaultCoreConfig() CoreConfig {
	o := NewObject()
	_ = o.Set("coreApi", "qwen")
	_ = o.Set("coreApiKey", "")
	_ = o.Set("assistApi", "qwen")
	_ = o.Set("enableCustomApi", false)
	_ = o.Set("textGuardMaxLength", 300)
	_ = o.Set("recent_memory_auto_review", true)
	return CoreConfig{o}
}

func parseCoreConfig(data []byte) (CoreConfig, error) {
	o := NewObject()
	if err := json.Unmarshal(data, o); err != nil {
		return CoreConfig{}, fmt.Errorf("core_config.json: %w", err)
	}
	c := CoreConfig{o}
	if err := c.Validate(); err != nil {
		return CoreConfig{}, err
	}
	return c, nil
}

// Validate checks the types of the known fields and names the bad one.
func (c CoreConfig) Validate() error {
	for _, k := range c.keys {
		raw := c.vals[k]
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return fmt.Errorf("core_config.json: field %q: %w", k, err)
		}
		switch {
		case k == "enableCustomApi" || k == "recent_memory_auto_review":
			if _, ok := v.(bool); !ok && v != nil {
				return fmt.Errorf("core_config.json: field %q must be true or false", k)
			}
		case k == "textGuardMaxLength":
			if f, ok := v.(float64); (!ok && v != nil) || f < 0 {
				return fmt.Errorf("core_config.json: field %q must be a non-negative number", k)
			}
		case isStringField(k):
			if _, ok := v.(string); !ok && v != nil {
				return fmt.Errorf("core_config.json: field %q must be a string", k)
			}
		}
	}
	return nil
}

func isStringField(k string) bool {
	if k == "coreApi" || k == "assistApi" || k == "ttsVoiceId" || IsSecretField(k) {
		return true
	}
	for _, r := range ModelRoles {
		if k == r+"ModelUrl" || k == r+"ModelId" {
			return true
		}
	}
	return false
}

// Bool reads a boolean field with a default.
func (c CoreConfig) Bool(key string, def bool) bool {
	var b bool
	if ok, err := c.Get(key, &b); ok && err == nil {
		return b
	}
	return def
}

// Int reads a numeric field with a default.
func (c CoreConfig) Int(key string, def int) int {
	var f float64
	if ok, err := c.Get(key, &f); ok && err == nil {
		return int(f)
	}
	return def
}

// Clone copies the config.
func (c CoreConfig) Clone() CoreConfig { return CoreConfig{c.Object.Clone()} }

// IsSecretField reports whether a config key holds a secret (API keys and
// tokens): those are masked on every GET and stored 0600.
func IsSecretField(key string) bool {
	k := strings.ToLower(key)
	return strings.HasSuffix(k, "apikey") || strings.HasSuffix(k, "api_key") || strings.HasSuffix(k, "token") ||
		strings.HasPrefix(k, "assistapikey") || k == "key"
}

// MaskPrefix starts every masked secret; a POST that sends a value starting
// with it keeps the stored secret.
const MaskPrefix = "••••"

// MaskSecret hides a secret, keeping its last four characters when it is long
// enough that they give nothing away, so the user can tell keys apart.
func MaskSecret(s string) string {
	if s == "" {
		return ""
	}
	r := []rune(s)
	if len(r) >= 16 {
		return MaskPrefix + string(r[len(r)-4:])
	}
	return MaskPrefix
}

// IsMasked reports whether v is a placeholder produced by MaskSecret.
func IsMasked(v string) bool { return strings.HasPrefix(v, MaskPrefix) }

// Masked returns a copy of the config as a generic map with every secret
// masked, for GET responses.
func (c CoreConfig) Masked() map[string]any {
	m := c.Map()
	for k, v := range m {
		if s, ok := v.(string); ok && IsSecretField(k) {
			m[k] = MaskSecret(s)
		}
	}
	return m
}

// Merge applies the fields of an update: masked placeholders keep the stored
// secret, null deletes a field, every other value replaces it.
func (c CoreConfig) Merge(update map[string]any) (CoreConfig, error) {
	out := c.Clone()
	for k, v := range update {
		if k == "" || len(k) > 100 {
			return CoreConfig{}, fmt.Errorf("core_config: invalid field name %q", k)
		}
		if v == nil {
			out.Delete(k)
			continue
		}
		if s, ok := v.(string); ok && IsSecretField(k) && IsMasked(s) {
			continue
		}
		if err := out.Set(k, v); err != nil {
			return CoreConfig{}, err
		}
	}
	return out, out.Validate()
}
