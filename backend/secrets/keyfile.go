package secrets

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"neko/backend/atomicfile"
)

// KeyFileMode is the permission of every file that holds a secret.
const KeyFileMode fs.FileMode = 0o600

// WriteKeyFile writes a file holding secrets atomically with mode 0600
// (missing parent folders are created with mode 0700).
func WriteKeyFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	return atomicfile.Write(path, data, KeyFileMode)
}

// ReadKeyFile reads a file holding secrets. If the file is readable by group
// or others (a copy from another machine, an old version) its mode is
// tightened to 0600 first. It is not followed through a symlink: a key file
// that is a link is refused.
func ReadKeyFile(path string) ([]byte, error) {
	st, err := os.Lstat(path)
	if err != nil {
		return nil, fmt.Errorf("read key file: %w", err)
	}
	if st.Mode()&fs.ModeSymlink != 0 {
		return nil, fmt.Errorf("read key file %s: is a symlink", path)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("read key file %s: not a regular file", path)
	}
	if runtime.GOOS != "windows" && st.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(path, KeyFileMode); err != nil {
			return nil, fmt.Errorf("tighten key file mode: %w", err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read key file: %w", err)
	}
	return b, nil
}
