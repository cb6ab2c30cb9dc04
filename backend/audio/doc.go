// Package audio is neko's audio pipeline: a streaming soxr-quality resampler,
// PCM conversion helpers, the local player (oto, cgo only), the fan-out of
// assistant speech to the player and WebSocket clients, the lip-sync envelope
// and the microphone path (VAD, AGC, limiter, resampling to 16 kHz).
package audio
