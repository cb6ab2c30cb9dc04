package secrets_test

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"neko/backend/secrets"
)

func TestWriteKeyFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sub", "keys.json")
	if err := secrets.WriteKeyFile(p, []byte("one")); err != nil {
		t.Fatal(err)
	}
	if err := secrets.WriteKeyFile(p, []byte("two")); err != nil {
		t.Fatal(err)
	}
	b, err := secrets.ReadKeyFile(p)
	if err != nil || string(b) != "two" {
		t.Fatalf("%q %v", b, err)
	}
	if runtime.GOOS != "windows" {
		if st, _ := os.Stat(p); st.Mode().Perm() != 0o600 {
			t.Errorf("mode %v", st.Mode().Perm())
		}
		os.Chmod(p, 0o644)
		if _, err := secrets.ReadKeyFile(p); err != nil {
			t.Fatal(err)
		}
		if st, _ := os.Stat(p); st.Mode().Perm() != 0o600 {
			t.Errorf("mode not tightened: %v", st.Mode().Perm())
		}
		link := filepath.Join(filepath.Dir(p), "link")
		os.Symlink(p, link)
		if _, err := secrets.ReadKeyFile(link); err == nil {
			t.Error("symlinked key file read")
		}
	}
	ents, _ := os.ReadDir(filepath.Dir(p))
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temp file left: %s", e.Name())
		}
	}
}

func TestFileStore(t *testing.T) {
	p := filepath.Join(t.TempDir(), "secrets.json")
	s := secrets.NewFileStore(p)
	if _, err := s.Get("a"); !errors.Is(err, secrets.ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
	if err := s.Set("a", "1"); err != nil {
		t.Fatal(err)
	}
	if err := s.Set("b", "2"); err != nil {
		t.Fatal(err)
	}
	if v, err := secrets.NewFileStore(p).Get("a"); err != nil || v != "1" {
		t.Fatalf("reopen: %q %v", v, err)
	}
	if err := s.Delete("a"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete("nope"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get("a"); !errors.Is(err, secrets.ErrNotFound) {
		t.Fatal("deleted value still there")
	}
	os.WriteFile(p, []byte("{broken"), 0o600)
	if _, err := s.Get("b"); err == nil || errors.Is(err, secrets.ErrNotFound) {
		t.Fatalf("corrupt file: %v", err)
	}
}

// failing is a keychain that is down (no Secret Service on the bus).
type failing struct{}

func (failing) Get(string) (string, error) { return "", errors.New("no keychain") }
func (failing) Set(string, string) error   { return errors.New("no keychain") }
func (failing) Delete(string) error        { return errors.New("no keychain") }

var _ secrets.Store = failing{}

func TestFallbackStore(t *testing.T) {
	file := secrets.NewFileStore(filepath.Join(t.TempDir(), "s.json"))
	fb := &secrets.FallbackStore{Primary: failing{}, Fallback: file}
	if err := fb.Set("k", "v"); err != nil {
		t.Fatal(err)
	}
	if v, err := fb.Get("k"); err != nil || v != "v" {
		t.Fatalf("%q %v", v, err)
	}
	if v, _ := file.Get("k"); v != "v" {
		t.Fatal("fallback not written")
	}
	if err := fb.Delete("k"); err != nil {
		t.Fatal(err)
	}
}

// TestNewStore uses whatever keychain this machine has (none in a bare
// container, where it must fall back to the file quickly and still work).
// It runs before TestKeyringStore swaps in go-keyring's mock provider.
func TestNewStore(t *testing.T) {
	p := filepath.Join(t.TempDir(), "s.json")
	done := make(chan error, 1)
	go func() {
		s := secrets.NewStore(p, true, nil)
		if err := s.Set("neko-test-key", "v1"); err != nil {
			done <- err
			return
		}
		v, err := s.Get("neko-test-key")
		if err == nil && v != "v1" {
			err = errors.New("read back " + v)
		}
		_ = s.Delete("neko-test-key")
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("keychain probe hung")
	}
}

// TestKeyringStore runs the keychain store against go-keyring's in-process
// provider (no Secret Service daemon runs here), and checks that a value
// written to the keychain is removed from the key file.
func TestKeyringStore(t *testing.T) {
	keyring.MockInit()
	kr := secrets.KeyringStore{Service: "neko-test"}
	if !kr.Available() {
		t.Fatal("mock keychain unavailable")
	}
	file := secrets.NewFileStore(filepath.Join(t.TempDir(), "s.json"))
	file.Set("k", "old")
	fb := &secrets.FallbackStore{Primary: kr, Fallback: file}
	if err := fb.Set("k", "new"); err != nil {
		t.Fatal(err)
	}
	if _, err := file.Get("k"); !errors.Is(err, secrets.ErrNotFound) {
		t.Error("stale copy left in the key file")
	}
	if v, err := fb.Get("k"); err != nil || v != "new" {
		t.Fatalf("%q %v", v, err)
	}
	if err := fb.Delete("k"); err != nil {
		t.Fatal(err)
	}
	if _, err := kr.Get("k"); !errors.Is(err, secrets.ErrNotFound) {
		t.Fatal("not deleted")
	}
}
