// Package e2e holds the agent's end-to-end test: a user's text turn on the
// main server's WebSocket reaches the agent over ZeroMQ, an MCP tool runs,
// and her next reply on the WebSocket tells the result.
package e2e
