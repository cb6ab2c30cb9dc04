package llm

import (
	"fmt"
	"strings"

	"neko/backend/config"
)

// Roles a model endpoint serves (reference §7.3).
const (
	RoleConversation = "conversation"
	RoleSummary      = "summary"
	RoleCorrection   = "correction"
	RoleEmotion      = "emotion"
	RoleVision       = "vision"
	RoleAgent        = "agent"
	RoleRealtime     = "realtime"
	RoleTTS          = "tts"
	RoleEmbedding    = "embedding"
)

// Roles lists every role.
var Roles = []string{RoleConversation, RoleSummary, RoleCorrection, RoleEmotion, RoleVision, RoleAgent,
	RoleRealtime, RoleTTS, RoleEmbedding}

// RoleEndpoint is the endpoint resolved for a role.
type RoleEndpoint struct {
	Endpoint
	Role     string
	Provider string // catalog key ("qwen", "free", ...), "custom" or "local"
	APIType  string // realtime: the core provider key, or "local" for a custom URL
	Custom   bool   // from the <role>Model{Url,Id,ApiKey} overrides
	Free     bool   // the free tier
}

// ResolveOptions adjust Resolve.
type ResolveOptions struct {
	// OutsideMainland rewrites free-tier lanlan.tech URLs to lanlan.app.
	OutsideMainland bool
	// Local, when set, serves the text roles if no key is configured for
	// the assist provider (a discovered Ollama, LM Studio, ... server).
	Local *LocalServer
}

// customKey maps a role to its core_config.json override prefix.
func customKey(role string) string {
	switch role {
	case RoleRealtime:
		return "omni"
	case RoleEmbedding:
		return "embedding"
	}
	return role
}

// embeddingModels are the embedding models per assist provider; the
// catalog's default_models.embedding_model is used for the others.
var embeddingModels = map[string]string{
	"openai":  "text-embedding-3-small",
	"glm":     "embedding-3",
	"silicon": "BAAI/bge-m3",
	"gemini":  "gemini-embedding-001",
}

// Resolve returns the endpoint for role from the user's core config and
// the provider catalog, applying the custom overrides and key fallbacks of
// the original: per-provider assist keys fall back to coreApiKey, the free
// tier forces the free assist provider, and a custom <role>Model{Url,Id}
// pair wins when enableCustomApi is on (always for the agent role).
func Resolve(cfg config.CoreConfig, cat *config.Providers, role string, opt ResolveOptions) (RoleEndpoint, error) {
	known := false
	for _, r := range Roles {
		known = known || r == role
	}
	if !known {
		return RoleEndpoint{}, fmt.Errorf("llm: unknown role %q", role)
	}
	coreKey := cfg.String("coreApi")
	if coreKey == "" {
		coreKey = "qwen"
	}
	assistKey := cfg.String("assistApi")
	if assistKey == "" {
		assistKey = "qwen"
	}
	if coreKey == "free" {
		assistKey = "free"
	}
	if ck := customKey(role); cfg.Bool("enableCustomApi", false) || role == RoleAgent {
		url, id := strings.TrimSpace(cfg.String(ck+"ModelUrl")), strings.TrimSpace(cfg.String(ck+"ModelId"))
		if url != "" && id != "" {
			ep := RoleEndpoint{Endpoint: Endpoint{BaseURL: url, Model: id, APIKey: cfg.String(ck + "ModelApiKey")},
				Role: role, Provider: "custom", Custom: true}
			if role == RoleRealtime {
				ep.APIType = "local"
			}
			return ep, nil
		}
	}
	switch role {
	case RoleRealtime, RoleTTS:
		core, ok := cat.CoreByKey(coreKey)
		if !ok {
			return RoleEndpoint{}, fmt.Errorf("llm: unknown core provider %q", coreKey)
		}
		key := cfg.String("coreApiKey")
		if core.IsFreeVersion && core.CoreAPIKey != "" {
			key = core.CoreAPIKey
		}
		ep := RoleEndpoint{Endpoint: Endpoint{BaseURL: freeURL(core.CoreURL, opt.OutsideMainland), APIKey: key, Model: core.CoreModel},
			Role: role, Provider: core.Key, APIType: core.Key, Free: core.IsFreeVersion}
		return ep, nil
	}
	assist, ok := cat.AssistByKey(assistKey)
	if !ok {
		return RoleEndpoint{}, fmt.Errorf("llm: unknown assist provider %q", assistKey)
	}
	key := assistAPIKey(cfg, assist)
	if key == "" && !assist.IsFreeVersion && opt.Local != nil && len(opt.Local.Models) > 0 && role != RoleEmbedding {
		return RoleEndpoint{Endpoint: Endpoint{BaseURL: opt.Local.BaseURL, Model: opt.Local.Models[0]},
			Role: role, Provider: "local"}, nil
	}
	model := ""
	switch role {
	case RoleConversation:
		model = assist.ConversationModel
	case RoleSummary:
		model = assist.SummaryModel
	case RoleCorrection:
		model = assist.CorrectionModel
	case RoleEmotion:
		model = assist.EmotionModel
	case RoleVision:
		model = assist.VisionModel
	case RoleAgent:
		model = assist.AgentModel
	case RoleEmbedding:
		model = embeddingModels[assist.Key]
		if model == "" {
			model = cat.DefaultModels["embedding_model"]
		}
	}
	base := assist.OpenRouterURL
	if assist.IsFreeVersion {
		base = freeURL(base, opt.OutsideMainland || role == RoleAgent)
	}
	return RoleEndpoint{Endpoint: Endpoint{BaseURL: base, APIKey: key, Model: model},
		Role: role, Provider: assist.Key, Free: assist.IsFreeVersion}, nil
}

// assistAPIKey is assistApiKey<Provider>, falling back to coreApiKey; the
// free tier uses the catalog's shared key.
func assistAPIKey(cfg config.CoreConfig, a config.AssistProvider) string {
	if a.IsFreeVersion {
		if a.OpenRouterAPIKey != "" {
			return a.OpenRouterAPIKey
		}
		return a.AudioAPIKey
	}
	if a.Key != "" {
		if k := cfg.String("assistApiKey" + strings.ToUpper(a.Key[:1]) + a.Key[1:]); k != "" {
			return k
		}
	}
	return cfg.String("coreApiKey")
}

func freeURL(u string, outside bool) string {
	if outside {
		return strings.Replace(u, "lanlan.tech", "lanlan.app", 1)
	}
	return u
}
