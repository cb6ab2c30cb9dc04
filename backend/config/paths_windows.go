//go:build windows

package config

import "golang.org/x/sys/windows"

// windowsDocuments returns the Documents known folder (FOLDERID_Documents),
// which follows the user's redirection (OneDrive, another drive).
func windowsDocuments() string {
	d, err := windows.KnownFolderPath(windows.FOLDERID_Documents, 0)
	if err != nil {
		return ""
	}
	return d
}
