//go:build !linux

package main

import "os/exec"

// stopWithParent is Linux-only; elsewhere the soak stops neko itself.
func stopWithParent(*exec.Cmd) {}
