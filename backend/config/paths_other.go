//go:build !windows

package config

func windowsDocuments() string { return "" }
