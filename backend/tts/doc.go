// Package tts turns the assistant's reply text into speech: every TTS engine
// of the original N.E.K.O. (Qwen realtime, StepFun, DashScope CosyVoice,
// GLM CogTTS, Gemini, OpenAI-compatible, GPT-SoVITS, local CosyVoice) and an
// offline OS voice sit behind one worker contract.
//
// A Worker takes requests (speech id, text), end-of-utterance and interrupt,
// and replies with one ready report, errors carrying a status code, and audio
// tagged with its speech id: PCM s16le at 48 kHz (resampled from the
// engine's own rate) or OGG/Opus passed through unchanged. A new speech id
// closes the previous stream; an interrupt mutes every late callback of the
// cancelled stream, so no stale audio ever leaves the worker.
//
// Text is split at clause boundaries (Latin and CJK punctuation) as it
// streams in, so speech starts after the first clause, and markdown, emoji
// and bracketed stage directions are removed before speaking.
package tts
