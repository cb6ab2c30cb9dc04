// Package llm holds neko's model-provider clients: OpenAI-compatible chat
// (streaming and not), embeddings and transcription over HTTP, realtime voice
// over the OpenAI-Realtime event protocol family (Qwen-Omni, OpenAI, GLM,
// StepFun, custom) and Gemini Live, the per-role endpoint resolution from
// core_config.json and api_providers.json, and discovery of local
// OpenAI-compatible servers on loopback.
//
// Every failure a provider can cause is reported as *Error whose Code is one
// of the status codes the frontend translates (API_KEY_REJECTED,
// API_RATE_LIMIT, ...). Cancellation of the caller's context is reported as
// the context's own error, never as *Error.
package llm
