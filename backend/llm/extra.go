package llm

import "strings"

// ExtraBody returns the per-model additions to a chat request body that
// turn "thinking" off (or low) for the families that think by default, as
// the original's get_extra_body does. Unknown models get nil.
func ExtraBody(model string) map[string]any {
	m := strings.ToLower(model)
	switch {
	case strings.Contains(m, "qwen") || strings.Contains(m, "qwq"):
		return map[string]any{"enable_thinking": false}
	case strings.Contains(m, "glm"):
		return map[string]any{"thinking": map[string]any{"type": "disabled"}}
	case strings.Contains(m, "gemini-2.5"):
		return map[string]any{"extra_body": map[string]any{"google": map[string]any{
			"thinking_config": map[string]any{"thinking_budget": 0}}}}
	case strings.Contains(m, "gemini-3"):
		return map[string]any{"extra_body": map[string]any{"google": map[string]any{
			"thinking_config": map[string]any{"thinking_level": "low"}}}}
	case strings.Contains(m, "step-2-mini"):
		return map[string]any{"tools": []any{map[string]any{
			"type":     "web_search",
			"function": map[string]any{"description": "Search the internet for current information."},
		}}}
	}
	return nil
}

// usesMaxCompletionTokens reports whether the model rejects max_tokens in
// favour of max_completion_tokens (OpenAI reasoning and gpt-5 families).
func usesMaxCompletionTokens(model string) bool {
	m := strings.ToLower(model)
	return strings.HasPrefix(m, "gpt-5") || strings.HasPrefix(m, "o1") || strings.HasPrefix(m, "o3") || strings.HasPrefix(m, "o4")
}
