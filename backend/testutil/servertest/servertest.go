// Package servertest is the TestMain of test packages that start the
// servers: it checks for leaked goroutines after the tests, and it lets the
// test binary stand in for the neko binary in split-mode tests (a child
// started with the args in an environment variable runs those servers).
package servertest

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"neko/backend/launcher"
	"neko/backend/testutil/zmqleak"
)

// Main runs the tests with a goroutine leak check. When childEnv is set in
// the environment, the process is a child instead: it runs the servers its
// value names (`serve --only agent …`) until a signal, exactly as the
// neko binary's headless main does, and exits.
func Main(m *testing.M, childEnv string) {
	if args := os.Getenv(childEnv); args != "" {
		o, err := launcher.Parse(strings.Fields(args), os.Getenv)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		os.Exit(launcher.RunHeadless(o, nil, os.Stdout, os.Stderr))
	}
	goleak.VerifyTestMain(m, append(zmqleak.Ignore(),
		// Idle keep-alive connections of the shared HTTP pools.
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
	)...)
}
