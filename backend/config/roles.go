package config

import "strings"

// Model roles the app resolves (reference §7.3).
const (
	RoleRealtime     = "realtime"
	RoleConversation = "conversation"
	RoleVision       = "vision"
	RoleSummary      = "summary"
	RoleCorrection   = "correction"
	RoleEmotion      = "emotion"
	RoleAgent        = "agent"
	RoleEmbedding    = "embedding"
	RoleTTSDefault   = "tts_default"
	RoleTTSCustom    = "tts_custom"
)

// ModelEndpoint is where one role's requests go.
type ModelEndpoint struct {
	BaseURL  string // OpenAI-compatible base URL, or the realtime WebSocket URL
	APIKey   string
	Model    string
	APIType  string // the provider key (qwen, openai, …) or "local" for a custom endpoint
	IsCustom bool   // from the user's per-role override
}

// Configured reports whether the role can be called.
func (e ModelEndpoint) Configured() bool { return e.BaseURL != "" && e.Model != "" }

// ModelEndpoint resolves a role from core_config.json and the provider
// catalog: the per-role custom override when enableCustomApi is on (the agent
// role's override applies even when it is off), else the core provider for
// realtime and default TTS, else the assist provider.
func (s *Store) ModelEndpoint(role string) ModelEndpoint {
	core := s.Core()
	return resolveRole(core, s.Providers, role)
}

func resolveRole(core CoreConfig, prov *Providers, role string) ModelEndpoint {
	customRole := role
	switch role {
	case RoleRealtime:
		customRole = "omni"
	case RoleTTSCustom, RoleTTSDefault:
		customRole = "tts"
	}
	custom := core.Bool("enableCustomApi", false) || role == RoleAgent
	if custom {
		url, id := core.String(customRole+"ModelUrl"), core.String(customRole+"ModelId")
		if url != "" && (id != "" || customRole == "tts") {
			return ModelEndpoint{BaseURL: url, Model: id, APIKey: core.String(customRole + "ModelApiKey"), APIType: "local", IsCustom: true}
		}
	}
	coreKey := core.String("coreApi")
	if coreKey == "" {
		coreKey = "qwen"
	}
	assistKey := core.String("assistApi")
	if assistKey == "" || coreKey == "free" {
		if coreKey == "free" {
			assistKey = "free"
		} else {
			assistKey = coreKey
		}
	}
	switch role {
	case RoleRealtime, RoleTTSDefault:
		cp, ok := prov.CoreByKey(coreKey)
		if !ok {
			return ModelEndpoint{APIType: coreKey}
		}
		key := core.String("coreApiKey")
		if cp.CoreAPIKey != "" && key == "" {
			key = cp.CoreAPIKey
		}
		return ModelEndpoint{BaseURL: cp.CoreURL, Model: cp.CoreModel, APIKey: key, APIType: coreKey}
	}
	ap, ok := prov.AssistByKey(assistKey)
	if !ok {
		return ModelEndpoint{APIType: assistKey}
	}
	key := assistAPIKey(core, ap)
	if role == RoleTTSCustom {
		if q := core.String("assistApiKeyQwen"); q != "" {
			key = q
		}
		return ModelEndpoint{APIKey: key, APIType: assistKey}
	}
	model := ""
	switch role {
	case RoleConversation:
		model = ap.ConversationModel
	case RoleVision:
		model = ap.VisionModel
	case RoleSummary:
		model = ap.SummaryModel
	case RoleCorrection:
		model = ap.CorrectionModel
	case RoleEmotion:
		model = ap.EmotionModel
	case RoleAgent:
		model = ap.AgentModel
	case RoleEmbedding:
		model = prov.DefaultModels["embedding_model"]
		if assistKey != "qwen" {
			return ModelEndpoint{APIType: assistKey} // only DashScope's embedding model is known
		}
	}
	return ModelEndpoint{BaseURL: ap.OpenRouterURL, Model: model, APIKey: key, APIType: assistKey}
}

// assistAPIKey is assistApiKey<Provider>, falling back to the core key (and
// to the catalog's shipped key for the free tier).
func assistAPIKey(core CoreConfig, ap AssistProvider) string {
	suffix := strings.ToUpper(ap.Key[:1]) + ap.Key[1:]
	if k := core.String("assistApiKey" + suffix); k != "" {
		return k
	}
	if ap.OpenRouterAPIKey != "" {
		return ap.OpenRouterAPIKey
	}
	return core.String("coreApiKey")
}
