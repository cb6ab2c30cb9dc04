package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// WriteFileAtomic writes data to path so that a reader (or a crash) sees
// either the old file or the new one, never a mix: it writes a temporary file
// in the same folder, syncs it, renames it over path and syncs the folder.
// On a full disk the error says so first (the old file is left as it was).
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	err := writeFileAtomic(path, data, perm)
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return fmt.Errorf("not enough disk space to save %s (nothing was changed): %w", filepath.Base(path), err)
	}
	return err
}

func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(perm); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	ok = true
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// writeJSONFile writes v as indented JSON atomically.
func writeJSONFile(path string, v any, perm os.FileMode) error {
	data, err := indentJSON(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", filepath.Base(path), err)
	}
	return WriteFileAtomic(path, data, perm)
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
	if err := WriteFileAtomic(bak, data, 0o600); err != nil {
		return "", err
	}
	return bak, nil
}
