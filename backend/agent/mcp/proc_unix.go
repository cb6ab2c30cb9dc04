//go:build unix

package mcp

import (
	"os/exec"
	"syscall"
)

// isolate starts the server in its own process group, so that stopping it
// also stops what it spawned (npx, shell wrappers, worker processes).
func isolate(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// killGroup kills whatever is left of the server's process group.
func killGroup(cmd *exec.Cmd) {
	if cmd == nil || cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
}
