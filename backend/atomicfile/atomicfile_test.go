package atomicfile_test

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"neko/backend/atomicfile"
)

func TestWriteCreatesReplacesAndLeavesNoTemp(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a", "b", "keys.json")
	for i, write := range []func(string, []byte, os.FileMode) error{atomicfile.Write, atomicfile.WriteNoSync} {
		want := fmt.Sprintf(`{"round":%d}`, i)
		if err := write(path, []byte(want), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != want {
			t.Fatalf("read back %q, %v; want %q", got, err, want)
		}
		st, _ := os.Stat(path)
		if st.Mode().Perm() != 0o600 {
			t.Fatalf("mode %v, want 0600", st.Mode().Perm())
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("folder holds %d entries, want only the file (no temp left)", len(entries))
	}
}

func TestFailedWriteKeepsOldFileAndNoTemp(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "taken")
	if err := os.MkdirAll(filepath.Join(target, "child"), 0o755); err != nil {
		t.Fatal(err)
	}
	// A non-empty folder cannot be replaced by a file: the rename fails.
	if err := atomicfile.Write(target, []byte("x"), 0o644); err == nil {
		t.Fatal("writing over a non-empty folder succeeded")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || !entries[0].IsDir() {
		t.Fatalf("folder after a failed write: %v (a temp file was left)", entries)
	}
}

func TestIsDiskFull(t *testing.T) {
	wrapped := fmt.Errorf("save: %w", &os.PathError{Op: "write", Path: "f", Err: syscall.ENOSPC})
	if !atomicfile.IsDiskFull(wrapped) || !atomicfile.IsDiskFull(syscall.EDQUOT) {
		t.Fatal("ENOSPC/EDQUOT not recognised")
	}
	if atomicfile.IsDiskFull(os.ErrPermission) {
		t.Fatal("a permission error taken for a full disk")
	}
}
