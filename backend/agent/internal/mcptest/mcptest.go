// Package mcptest starts the real npm MCP servers the agent tests use
// (installed by `npm ci` in backend/agent/testdata/mcpservers).
package mcptest

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"neko/backend/testutil"
)

func pkgDir(name string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", "mcpservers", "node_modules", "@modelcontextprotocol", name, "dist", "index.js")
}

// Node returns the node binary, skipping (or failing under CI) when absent.
func Node(tb testing.TB) string { return testutil.RequireTool(tb, "node") }

// Everything returns the entry point of server-everything.
func Everything(tb testing.TB) string {
	tb.Helper()
	Node(tb)
	return testutil.RequireFile(tb, pkgDir("server-everything"))
}

// Filesystem returns the entry point of server-filesystem.
func Filesystem(tb testing.TB) string {
	tb.Helper()
	Node(tb)
	return testutil.RequireFile(tb, pkgDir("server-filesystem"))
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// EverythingHTTP starts server-everything over streamable HTTP and returns
// its endpoint URL; the process is killed when the test ends.
func EverythingHTTP(tb testing.TB) string {
	tb.Helper()
	entry := Everything(tb)
	port := FreePort(tb)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, Node(tb), entry, "streamableHttp")
	cmd.Env = append(os.Environ(), fmt.Sprintf("PORT=%d", port))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { cancel(); _ = cmd.Wait() })
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		signalled := false
		for sc.Scan() {
			if !signalled && strings.Contains(sc.Text(), "listening") {
				close(ready)
				signalled = true
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(20 * time.Second):
		tb.Fatal("server-everything streamableHttp did not start")
	}
	return fmt.Sprintf("http://127.0.0.1:%d/mcp", port)
}
