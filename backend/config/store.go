// Package config owns neko's data folder and its JSON files: characters.json,
// core_config.json, user_preferences.json and the shipped provider catalog.
// Files keep the original N.E.K.O. schema, are written atomically, and a
// malformed file is kept as <file>.bak and replaced by defaults with a notice.
package config

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
)

// File names inside the config folder.
const (
	CharactersFile  = "characters.json"
	CoreConfigFile  = "core_config.json"
	PreferencesFile = "user_preferences.json"
)

// Store is the in-memory copy of the config files with their single writer.
// Readers get clones, so a caller can never change the store by accident.
type Store struct {
	Paths     Paths
	Providers *Providers
	Notices   *Notices
	log       *slog.Logger

	mu    sync.Mutex
	chars *Characters
	core  CoreConfig
	prefs Preferences
	subs  []func(Change)
}

// Change names what a save changed, for subscribers.
type Change string

// Changes a subscriber may see.
const (
	ChangedCharacters  Change = "characters"
	ChangedCore        Change = "core_config"
	ChangedPreferences Change = "preferences"
)

// Open creates the data folder under root if needed and loads every file.
func Open(root string, log *slog.Logger) (*Store, error) {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	p := NewPaths(root)
	if err := p.Ensure(); err != nil {
		return nil, err
	}
	prov, err := LoadProviders()
	if err != nil {
		return nil, err
	}
	s := &Store{Paths: p, Providers: prov, Notices: &Notices{}, log: log.With("component", "config")}
	if err := s.load(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Store) load() error {
	chars, err := loadOrDefault(s, CharactersFile, parseCharacters, DefaultCharacters, 0o644)
	if err != nil {
		return err
	}
	core, err := loadOrDefault(s, CoreConfigFile, parseCoreConfig, DefaultCoreConfig, 0o600)
	if err != nil {
		return err
	}
	if fi, err := os.Stat(s.Paths.File(CoreConfigFile)); err == nil && fi.Mode().Perm() != 0o600 {
		_ = os.Chmod(s.Paths.File(CoreConfigFile), 0o600)
	}
	prefs, err := loadOrDefault(s, PreferencesFile, parsePreferences, func() Preferences { return Preferences{} }, 0o644)
	if err != nil {
		return err
	}
	s.chars, s.core, s.prefs = chars, core, prefs
	return nil
}

// loadOrDefault reads a file; when it is missing it writes the default; when
// it is malformed it keeps <file>.bak, writes the default and raises a notice.
func loadOrDefault[T any](s *Store, name string, parse func([]byte) (T, error), def func() T, perm os.FileMode) (T, error) {
	path := s.Paths.File(name)
	data, err := readFileIfExists(path)
	if err != nil {
		var zero T
		return zero, fmt.Errorf("read %s: %w", path, err)
	}
	if data != nil {
		v, perr := parse(data)
		if perr == nil {
			return v, nil
		}
		bak, berr := keepBackup(path, data)
		if berr != nil {
			var zero T
			return zero, fmt.Errorf("%s is malformed (%v) and could not be backed up: %w", name, perr, berr)
		}
		s.log.Warn("malformed config file replaced by defaults", "file", path, "backup", bak, "err", perr)
		s.Notices.Add("CONFIG_FILE_RESET",
			fmt.Sprintf("配置文件 %s 已损坏，已备份为 %s 并恢复默认设置。", name, filepath.Base(bak)),
			fmt.Sprintf("The config file %s was malformed (%v). It was kept as %s and defaults are in use.", name, perr, filepath.Base(bak)),
			map[string]any{"file": name, "backup": bak, "error": perr.Error()})
	}
	v := def()
	if err := writeJSONFile(path, v, perm); err != nil {
		var zero T
		return zero, err
	}
	return v, nil
}

// Subscribe calls fn after every successful save (outside the lock).
func (s *Store) Subscribe(fn func(Change)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.subs = append(s.subs, fn)
}

func (s *Store) notify(c Change) {
	s.mu.Lock()
	subs := append([]func(Change){}, s.subs...)
	s.mu.Unlock()
	for _, fn := range subs {
		fn(c)
	}
}

// Characters returns a copy of characters.json.
func (s *Store) Characters() *Characters {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.chars.Clone()
}

// UpdateCharacters runs fn on a copy and saves it if fn succeeds; concurrent
// updates are serialised, so no update is lost.
func (s *Store) UpdateCharacters(fn func(c *Characters) error) error {
	s.mu.Lock()
	c := s.chars.Clone()
	if err := fn(c); err != nil {
		s.mu.Unlock()
		return err
	}
	if _, ok := c.Get(c.Current); !ok {
		c.Current = ""
		if len(c.List) > 0 {
			c.Current = c.List[0].Name
		}
	}
	if err := writeJSONFile(s.Paths.File(CharactersFile), c, 0o644); err != nil {
		s.mu.Unlock()
		return err
	}
	s.chars = c
	s.mu.Unlock()
	s.notify(ChangedCharacters)
	return nil
}

// ReloadCharacters re-reads characters.json from disk (POST /reload).
func (s *Store) ReloadCharacters() error {
	c, err := loadOrDefault(s, CharactersFile, parseCharacters, DefaultCharacters, 0o644)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.chars = c
	s.mu.Unlock()
	s.notify(ChangedCharacters)
	return nil
}

// Core returns a copy of core_config.json.
func (s *Store) Core() CoreConfig {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.core.Clone()
}

// UpdateCore merges update into core_config.json (see CoreConfig.Merge) and
// saves it with mode 0600.
func (s *Store) UpdateCore(update map[string]any) (CoreConfig, error) {
	s.mu.Lock()
	next, err := s.core.Merge(update)
	if err != nil {
		s.mu.Unlock()
		return CoreConfig{}, err
	}
	if err := writeJSONFile(s.Paths.File(CoreConfigFile), next, 0o600); err != nil {
		s.mu.Unlock()
		return CoreConfig{}, err
	}
	s.core = next
	s.mu.Unlock()
	s.notify(ChangedCore)
	return next.Clone(), nil
}

// Preferences returns a copy of user_preferences.json.
func (s *Store) Preferences() Preferences {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(Preferences, len(s.prefs))
	for i, o := range s.prefs {
		out[i] = o.Clone()
	}
	return out
}

// UpdatePreferences runs fn on the list and saves the result.
func (s *Store) UpdatePreferences(fn func(Preferences) (Preferences, error)) error {
	s.mu.Lock()
	next, err := fn(s.prefs)
	if err != nil {
		s.mu.Unlock()
		return err
	}
	if err := writeJSONFile(s.Paths.File(PreferencesFile), next, 0o644); err != nil {
		s.mu.Unlock()
		return err
	}
	s.prefs = next
	s.mu.Unlock()
	s.notify(ChangedPreferences)
	return nil
}
