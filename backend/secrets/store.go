package secrets

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"sync"

	"github.com/zalando/go-keyring"
)

// ErrNotFound is returned by a Store's Get for a name it does not hold.
var ErrNotFound = errors.New("secret not found")

// Store keeps named secrets (API keys, tokens).
type Store interface {
	Get(name string) (string, error)
	Set(name, value string) error
	Delete(name string) error
}

// FileStore keeps secrets in one JSON object file written atomically with
// mode 0600. It is the fallback when no OS keychain is available.
type FileStore struct {
	path string
	mu   sync.Mutex
}

// NewFileStore returns a store backed by the file at path (created on the
// first Set).
func NewFileStore(path string) *FileStore { return &FileStore{path: path} }

func (s *FileStore) load() (map[string]string, error) {
	b, err := ReadKeyFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	if len(b) == 0 {
		return m, nil
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("parse %s: %w", s.path, err)
	}
	return m, nil
}

func (s *FileStore) save(m map[string]string) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("encode secrets: %w", err)
	}
	return WriteKeyFile(s.path, b)
}

// Get returns the secret called name, or ErrNotFound.
func (s *FileStore) Get(name string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.load()
	if err != nil {
		return "", err
	}
	v, ok := m[name]
	if !ok {
		return "", ErrNotFound
	}
	return v, nil
}

// Set stores value under name.
func (s *FileStore) Set(name, value string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.load()
	if err != nil {
		return err
	}
	m[name] = value
	return s.save(m)
}

// Delete removes name; deleting a missing name is not an error.
func (s *FileStore) Delete(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.load()
	if err != nil {
		return err
	}
	if _, ok := m[name]; !ok {
		return nil
	}
	delete(m, name)
	return s.save(m)
}

// KeyringStore keeps secrets in the OS keychain (Secret Service on Linux,
// Keychain on macOS, Credential Manager on Windows) under one service name.
type KeyringStore struct {
	Service string
}

// Get returns the secret called name, or ErrNotFound.
func (k KeyringStore) Get(name string) (string, error) {
	v, err := keyring.Get(k.Service, name)
	if errors.Is(err, keyring.ErrNotFound) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("keychain get %s: %w", name, err)
	}
	return v, nil
}

// Set stores value under name.
func (k KeyringStore) Set(name, value string) error {
	if err := keyring.Set(k.Service, name, value); err != nil {
		return fmt.Errorf("keychain set %s: %w", name, err)
	}
	return nil
}

// Delete removes name; deleting a missing name is not an error.
func (k KeyringStore) Delete(name string) error {
	err := keyring.Delete(k.Service, name)
	if err != nil && !errors.Is(err, keyring.ErrNotFound) {
		return fmt.Errorf("keychain delete %s: %w", name, err)
	}
	return nil
}

// Available reports whether the keychain answers at all: a lookup of a name
// that does not exist must come back "not found" rather than fail.
func (k KeyringStore) Available() bool {
	_, err := keyring.Get(k.Service, "neko-keychain-probe")
	return err == nil || errors.Is(err, keyring.ErrNotFound)
}

// FallbackStore writes to Primary (the keychain) and, when Primary fails,
// to Fallback (a FileStore). Get looks in Primary first, then Fallback, so
// secrets written during an outage of the keychain are still found.
type FallbackStore struct {
	Primary  Store
	Fallback Store
	Log      *slog.Logger
}

func (f *FallbackStore) logger() *slog.Logger {
	if f.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return f.Log
}

// Get returns the secret from Primary or, failing that, Fallback.
func (f *FallbackStore) Get(name string) (string, error) {
	v, err := f.Primary.Get(name)
	if err == nil {
		return v, nil
	}
	if !errors.Is(err, ErrNotFound) {
		f.logger().Warn("keychain read failed; using key file", "name", name, "err", err)
	}
	return f.Fallback.Get(name)
}

// Set stores value in Primary and removes any copy in Fallback; when
// Primary fails it stores value in Fallback instead.
func (f *FallbackStore) Set(name, value string) error {
	if err := f.Primary.Set(name, value); err != nil {
		f.logger().Warn("keychain write failed; using key file", "name", name, "err", err)
		return f.Fallback.Set(name, value)
	}
	if err := f.Fallback.Delete(name); err != nil {
		f.logger().Warn("remove old key file entry", "name", name, "err", err)
	}
	return nil
}

// Delete removes name from both stores.
func (f *FallbackStore) Delete(name string) error {
	errP := f.Primary.Delete(name)
	errF := f.Fallback.Delete(name)
	if errF != nil {
		return errF
	}
	if errP != nil {
		f.logger().Warn("keychain delete failed", "name", name, "err", errP)
	}
	return nil
}

// NewStore returns the store neko uses for secrets: the OS keychain (service
// "neko") backed by the 0600 file at filePath when useKeychain is true and
// the keychain answers, otherwise the file alone.
func NewStore(filePath string, useKeychain bool, log *slog.Logger) Store {
	fs := NewFileStore(filePath)
	if !useKeychain {
		return fs
	}
	kr := KeyringStore{Service: "neko"}
	if !kr.Available() {
		if log != nil {
			log.Info("OS keychain not available; secrets stay in the key file", "path", filePath)
		}
		return fs
	}
	return &FallbackStore{Primary: kr, Fallback: fs, Log: log}
}
