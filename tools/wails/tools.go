//go:build tools

// Package tools pins the Wails v2 CLI so `go build -o .cache/bin/wails
// github.com/wailsapp/wails/v2/cmd/wails` from this module builds it with a
// golang.org/x/tools that compiles on Go 1.26 (the CLI's own pin does not).
package tools

import _ "github.com/wailsapp/wails/v2/cmd/wails"
