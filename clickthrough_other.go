//go:build (desktop || bindings) && !linux && !windows

package main

import "errors"

// clickThroughSupported says whether setClickThrough works here. macOS
// keeps the pet window's drag handle instead (setIgnoresMouseEvents would
// need Objective-C glue this build does not carry).
const clickThroughSupported = false

func setClickThrough(bool) error {
	return errors.New("click-through is not available on this platform; use the drag handle")
}
