package main

import (
	"os/exec"
	"syscall"
)

// stopWithParent has the kernel send SIGTERM to neko when the soak itself
// dies (even by SIGKILL), so no server is left behind on its ports.
func stopWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
