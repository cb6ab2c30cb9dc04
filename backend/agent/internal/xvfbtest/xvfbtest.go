// Package xvfbtest starts a private Xvfb display (and X clients on it) for
// tests; everything is stopped when the test ends.
package xvfbtest

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"neko/backend/testutil"
)

// Start runs Xvfb on a free display (chosen by Xvfb itself via -displayfd)
// with a w×h screen and returns the DISPLAY value.
func Start(tb testing.TB, w, h int) string {
	tb.Helper()
	bin := testutil.RequireTool(tb, "Xvfb")
	r, wr, err := os.Pipe()
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "-displayfd", "3", "-screen", "0", fmt.Sprintf("%dx%dx24", w, h), "-nolisten", "tcp", "-noreset")
	cmd.ExtraFiles = []*os.File{wr}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	wr.Close()
	tb.Cleanup(func() { cancel(); _ = cmd.Wait() })
	num := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		num <- strings.TrimSpace(line)
		r.Close()
	}()
	select {
	case n := <-num:
		if n == "" {
			tb.Fatal("Xvfb did not report a display")
		}
		return ":" + n
	case <-time.After(20 * time.Second):
		tb.Fatal("Xvfb did not start")
	}
	return ""
}

// Client is a running X client whose output is collected.
type Client struct {
	mu  sync.Mutex
	out strings.Builder
}

// Output returns what the client printed so far.
func (c *Client) Output() string { c.mu.Lock(); defer c.mu.Unlock(); return c.out.String() }

func (c *Client) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.out.Write(p)
}

// Xev opens an xev window named name at geometry (e.g. "600x400+0+0") and
// waits until it is mapped; its event printout is in Output.
func Xev(tb testing.TB, display, name, geometry string) *Client {
	tb.Helper()
	bin := testutil.RequireTool(tb, "xev")
	testutil.RequireTool(tb, "xdotool")
	c := &Client{}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "-display", display, "-geometry", geometry, "-name", name)
	cmd.Stdout, cmd.Stderr = c, c
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { cancel(); _ = cmd.Wait() })
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if out, err := Run(tb, display, "xdotool", "search", "--onlyvisible", "--name", "^"+name+"$"); err == nil && strings.TrimSpace(out) != "" {
			return c
		}
		time.Sleep(50 * time.Millisecond)
	}
	tb.Fatalf("xev window %q never appeared", name)
	return nil
}

// Run runs an X tool against display and returns its output.
func Run(tb testing.TB, display, tool string, args ...string) (string, error) {
	tb.Helper()
	bin := testutil.RequireTool(tb, tool)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "DISPLAY="+display)
	out, err := cmd.CombinedOutput()
	return string(out), err
}
