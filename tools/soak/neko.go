package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Neko is the headless binary running as a child process on spare ports
// with its own data folder.
type Neko struct {
	cmd     *exec.Cmd
	Main    int
	Memory  int
	Data    string
	exited  chan struct{}
	logDone chan struct{} // its output has been copied
	waitErr error

	// Counted in its log: warnings, errors, and ZeroMQ bridge reconnects
	// (a lost heartbeat makes both sides recreate their sockets).
	Warnings, Errors, BridgeReconnects atomic.Int64
}

// FreePorts returns n loopback TCP ports that were free a moment ago
// (held together so they differ).
func FreePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// StartNeko runs `bin serve` on fresh ports with data as its folder; its
// output goes to logw. It returns once the binary says it is ready.
func StartNeko(ctx context.Context, bin, data string, logw io.Writer) (*Neko, error) {
	ports, err := FreePorts(6)
	if err != nil {
		return nil, err
	}
	args := []string{"serve", "-data", data, "-main-port", strconv.Itoa(ports[0]), "-memory-port", strconv.Itoa(ports[1]),
		"-agent-port", strconv.Itoa(ports[2]), "-zmq-session-port", strconv.Itoa(ports[3]),
		"-zmq-agent-port", strconv.Itoa(ports[4]), "-zmq-analyze-port", strconv.Itoa(ports[5])}
	cmd := exec.Command(bin, args...)
	cmd.Env = os.Environ()
	stopWithParent(cmd)
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	n := &Neko{cmd: cmd, Main: ports[0], Memory: ports[1], Data: data, exited: make(chan struct{}), logDone: make(chan struct{})}
	ready := make(chan struct{})
	var once sync.Once
	go func() {
		defer close(n.logDone)
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(logw, line)
			n.count(line)
			if strings.Contains(line, "neko is ready") {
				once.Do(func() { close(ready) })
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	go func() {
		n.waitErr = cmd.Wait()
		pw.Close()
		close(n.exited)
	}()
	select {
	case <-ready:
		return n, nil
	case <-n.exited:
		return nil, fmt.Errorf("neko exited during startup: %v (see its log)", n.waitErr)
	case <-time.After(60 * time.Second):
		n.Stop()
		return nil, errors.New("neko did not say it was ready within 60 s (see its log)")
	case <-ctx.Done():
		n.Stop()
		return nil, ctx.Err()
	}
}

// Pid is the child's process id.
func (n *Neko) Pid() int { return n.cmd.Process.Pid }

// Exited is closed when the process has ended.
func (n *Neko) Exited() <-chan struct{} { return n.exited }

// Stop sends SIGTERM, waits up to 20 s for the ordered shutdown, then
// kills. It reports whether the process stopped by itself and its exit,
// once the process's output has been written out.
func (n *Neko) Stop() (clean bool, err error) {
	defer func() {
		select {
		case <-n.logDone:
		case <-time.After(5 * time.Second):
		}
	}()
	select {
	case <-n.exited:
		return false, n.waitErr
	default:
	}
	_ = n.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-n.exited:
		return true, n.waitErr
	case <-time.After(20 * time.Second):
		_ = n.cmd.Process.Kill()
		<-n.exited
		return false, errors.New("neko did not stop within 20 s of SIGTERM; killed")
	}
}

func (n *Neko) count(line string) {
	switch {
	case strings.Contains(line, "level=ERROR"):
		n.Errors.Add(1)
	case strings.Contains(line, "level=WARN"):
		n.Warnings.Add(1)
		if strings.Contains(line, "component=bridge.main") && strings.Contains(line, "recreating sockets") {
			n.BridgeReconnects.Add(1)
		}
	}
}
