//go:build !desktop && !bindings

// Command neko runs the companion's three servers without a window: for
// servers, CI, browser use, and machines without a display.
package main

import (
	"os"

	"neko/backend/launcher"
)

var version = "dev"

func main() {
	o, code, serve := launcher.Command(os.Args[1:], version, "headless")
	if !serve {
		os.Exit(code)
	}
	os.Exit(launcher.RunHeadless(o, frontendAssets(), os.Stdout, os.Stderr))
}
