//go:build desktop || bindings

package main

import (
	"log/slog"
	"os"
	"os/exec"
)

// relaunch starts a new instance with the same arguments (the window mode
// changed: Wails cannot make a framed window frameless at run time).
func relaunch(log *slog.Logger) {
	exe, err := os.Executable()
	if err != nil {
		log.Error("relaunch", "err", err)
		return
	}
	cmd := exec.Command(exe, os.Args[1:]...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		log.Error("relaunch", "err", err)
	}
}
