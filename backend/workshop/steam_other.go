//go:build !windows

package workshop

import "runtime"

// RegistrySteamRoots is empty outside Windows.
func RegistrySteamRoots() []string { return nil }

func isCaseInsensitiveFS() bool { return runtime.GOOS == "darwin" }
