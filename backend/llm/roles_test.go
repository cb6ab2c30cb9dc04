package llm_test

import (
	"testing"

	"neko/backend/config"
	"neko/backend/llm"
)

func coreCfg(t *testing.T, kv map[string]any) config.CoreConfig {
	t.Helper()
	c := config.DefaultCoreConfig()
	for k, v := range kv {
		if err := c.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func catalog(t *testing.T) *config.Providers {
	t.Helper()
	p, err := config.LoadProviders()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestResolveRoles(t *testing.T) {
	cat := catalog(t)
	cfg := coreCfg(t, map[string]any{"coreApi": "qwen", "coreApiKey": "core-key", "assistApi": "openai", "assistApiKeyOpenai": "oa-key"})
	rt, err := llm.Resolve(cfg, cat, llm.RoleRealtime, llm.ResolveOptions{})
	if err != nil || rt.BaseURL != "wss://dashscope.aliyuncs.com/api-ws/v1/realtime" || rt.APIKey != "core-key" ||
		rt.Model != "qwen3-omni-flash-realtime-2025-12-01" || rt.APIType != "qwen" {
		t.Fatalf("realtime %+v %v", rt, err)
	}
	conv, _ := llm.Resolve(cfg, cat, llm.RoleConversation, llm.ResolveOptions{})
	if conv.BaseURL != "https://api.openai.com/v1" || conv.APIKey != "oa-key" || conv.Model != "gpt-5-chat-latest" {
		t.Fatalf("conversation %+v", conv)
	}
	emo, _ := llm.Resolve(cfg, cat, llm.RoleEmotion, llm.ResolveOptions{})
	if emo.Model != "gpt-4.1-nano" {
		t.Fatalf("emotion %+v", emo)
	}
	// The assist key falls back to the core key.
	cfg2 := coreCfg(t, map[string]any{"coreApi": "qwen", "coreApiKey": "core-key", "assistApi": "qwen"})
	sum, _ := llm.Resolve(cfg2, cat, llm.RoleSummary, llm.ResolveOptions{})
	emb, _ := llm.Resolve(cfg2, cat, llm.RoleEmbedding, llm.ResolveOptions{})
	if sum.APIKey != "core-key" || sum.Model != "qwen-plus" || emb.Model != "text-embedding-v4" ||
		emb.BaseURL != "https://dashscope.aliyuncs.com/compatible-mode/v1" {
		t.Fatalf("summary %+v embedding %+v", sum, emb)
	}
	if _, err := llm.Resolve(cfg, cat, "bogus", llm.ResolveOptions{}); err == nil {
		t.Fatal("unknown role must fail")
	}
}

func TestResolveFreeTier(t *testing.T) {
	cat := catalog(t)
	cfg := coreCfg(t, map[string]any{"coreApi": "free", "assistApi": "openai"})
	conv, _ := llm.Resolve(cfg, cat, llm.RoleConversation, llm.ResolveOptions{})
	if !conv.Free || conv.Provider != "free" || conv.BaseURL != "https://lanlan.tech/text/v1" || conv.APIKey == "" {
		t.Fatalf("free conversation %+v", conv)
	}
	rt, _ := llm.Resolve(cfg, cat, llm.RoleRealtime, llm.ResolveOptions{OutsideMainland: true})
	if rt.BaseURL != "wss://lanlan.app/core" || rt.APIKey != "free-access" || rt.Model != "free-model" {
		t.Fatalf("free realtime %+v", rt)
	}
	agent, _ := llm.Resolve(cfg, cat, llm.RoleAgent, llm.ResolveOptions{})
	if agent.BaseURL != "https://lanlan.app/text/v1" {
		t.Fatalf("the agent always uses lanlan.app: %+v", agent)
	}
}

func TestResolveCustomOverrides(t *testing.T) {
	cat := catalog(t)
	kv := map[string]any{"coreApi": "qwen", "coreApiKey": "k", "enableCustomApi": true,
		"summaryModelUrl": "http://127.0.0.1:1234/v1", "summaryModelId": "llama3", "summaryModelApiKey": "",
		"omniModelUrl": "ws://127.0.0.1:9000/realtime", "omniModelId": "my-omni",
		"correctionModelUrl": "http://x/v1"} // no id: ignored
	cfg := coreCfg(t, kv)
	sum, _ := llm.Resolve(cfg, cat, llm.RoleSummary, llm.ResolveOptions{})
	if !sum.Custom || sum.BaseURL != "http://127.0.0.1:1234/v1" || sum.Model != "llama3" || sum.APIKey != "" {
		t.Fatalf("summary %+v", sum)
	}
	rt, _ := llm.Resolve(cfg, cat, llm.RoleRealtime, llm.ResolveOptions{})
	if rt.APIType != "local" || rt.Model != "my-omni" {
		t.Fatalf("realtime %+v", rt)
	}
	cor, _ := llm.Resolve(cfg, cat, llm.RoleCorrection, llm.ResolveOptions{})
	if cor.Custom {
		t.Fatalf("correction %+v", cor)
	}
	// Custom off: only the agent override still applies.
	kv["enableCustomApi"] = false
	kv["agentModelUrl"], kv["agentModelId"] = "http://127.0.0.1:8000/v1", "qwen2.5-vl"
	cfg = coreCfg(t, kv)
	sum, _ = llm.Resolve(cfg, cat, llm.RoleSummary, llm.ResolveOptions{})
	agent, _ := llm.Resolve(cfg, cat, llm.RoleAgent, llm.ResolveOptions{})
	if sum.Custom || !agent.Custom || agent.Model != "qwen2.5-vl" {
		t.Fatalf("summary %+v agent %+v", sum, agent)
	}
}

func TestResolveFallsBackToLocalServer(t *testing.T) {
	cat := catalog(t)
	local := &llm.LocalServer{Name: "Ollama", BaseURL: "http://127.0.0.1:11434/v1", Models: []string{"llama3.2", "qwen2.5"}}
	cfg := coreCfg(t, map[string]any{"coreApi": "qwen", "coreApiKey": "", "assistApi": "qwen"})
	conv, _ := llm.Resolve(cfg, cat, llm.RoleConversation, llm.ResolveOptions{Local: local})
	if conv.Provider != "local" || conv.BaseURL != local.BaseURL || conv.Model != "llama3.2" {
		t.Fatalf("conversation %+v", conv)
	}
	cfg = coreCfg(t, map[string]any{"coreApi": "qwen", "coreApiKey": "k", "assistApi": "qwen"})
	conv, _ = llm.Resolve(cfg, cat, llm.RoleConversation, llm.ResolveOptions{Local: local})
	if conv.Provider != "qwen" {
		t.Fatalf("a configured key wins: %+v", conv)
	}
}
