// Package guard is the security middleware in front of neko's three local
// servers: a Host allow-list against DNS rebinding, an Origin check, a
// per-install CSRF token on every mutating request and WebSocket upgrade,
// an instance token between the main server and the memory/agent servers,
// and request body, upload and JSON depth limits with clear 4xx replies.
// It also owns the per-install token file and a token-bucket limiter for
// WebSocket messages.
package guard
