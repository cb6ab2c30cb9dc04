package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"neko/backend/atomicfile"
)

// writeJSONFile writes v as indented JSON atomically.
func writeJSONFile(path string, v any, perm os.FileMode) error {
	data, err := indentJSON(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", filepath.Base(path), err)
	}
	return atomicfile.Write(path, data, perm)
}

// readFileIfExists returns the file's bytes, or nil and no error if absent.
func readFileIfExists(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return b, err
}

// keepBackup copies a malformed file to <file>.bak (replacing an older
// backup) so the user's data is never silently lost.
func keepBackup(path string, data []byte) (string, error) {
	bak := path + ".bak"
	if err := atomicfile.Write(bak, data, 0o600); err != nil {
		return "", err
	}
	return bak, nil
}
