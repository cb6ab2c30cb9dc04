package agent_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when a test leaves goroutines behind (Run,
// tasks, MCP sessions, the browser and approvals must all stop).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// net/http keep-alive connections of the shared default client.
		goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
	)
}
