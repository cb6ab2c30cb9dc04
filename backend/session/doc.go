// Package session is the conversation engine: one Manager per character,
// kept across WebSocket reconnects, that runs text turns (streaming chat +
// TTS) and realtime voice turns (a provider's realtime socket), tags every
// assistant turn with a speech id, handles barge-in, and syncs turns to the
// memory server and the agent. Hub serves the /ws/{name} protocol of the
// original (reference §5) on top of the managers.
package session
