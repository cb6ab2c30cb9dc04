//go:build windows

package workshop

import (
	"path/filepath"

	"golang.org/x/sys/windows/registry"
)

// RegistrySteamRoots reads Steam's install folder from the registry (the
// per-user SteamPath first, then the machine-wide InstallPath).
func RegistrySteamRoots() []string {
	var out []string
	probe := []struct {
		root  registry.Key
		path  string
		value string
	}{
		{registry.CURRENT_USER, `Software\Valve\Steam`, "SteamPath"},
		{registry.LOCAL_MACHINE, `SOFTWARE\WOW6432Node\Valve\Steam`, "InstallPath"},
		{registry.LOCAL_MACHINE, `SOFTWARE\Valve\Steam`, "InstallPath"},
	}
	for _, p := range probe {
		k, err := registry.OpenKey(p.root, p.path, registry.QUERY_VALUE)
		if err != nil {
			continue
		}
		v, _, err := k.GetStringValue(p.value)
		k.Close()
		if err == nil && v != "" {
			out = append(out, filepath.Clean(filepath.FromSlash(v)))
		}
	}
	return out
}

func isCaseInsensitiveFS() bool { return true }
