// Package voices serves the character voice API of the main server (voice
// list, preview, clone, register, delete, unregister) and keeps
// voice_storage.json: cloned voices grouped by the API key that owns them,
// with local TTS voices under "__LOCAL_TTS__" (reference §4.3, §11.6).
package voices

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"sync"
	"time"

	"neko/backend/atomicfile"
)

// LocalKey groups voices registered on a local TTS server.
const LocalKey = "__LOCAL_TTS__"

// Voice is one stored voice entry ({voice_id, prefix, file_url?,
// audio_md5, ref_language, is_local?, created_at, …}); fields this code
// does not know are kept and written back unchanged.
type Voice map[string]any

// ID returns voice_id.
func (v Voice) ID() string { s, _ := v["voice_id"].(string); return s }

func (v Voice) str(k string) string { s, _ := v[k].(string); return s }

// Store is voice_storage.json, safe for concurrent use.
type Store struct {
	path string
	mu   sync.Mutex
	data map[string]map[string]Voice
}

// OpenStore loads path (a missing file is an empty store). A file that is
// not valid JSON is kept aside as path.corrupt-<time> and the store starts
// empty, so nothing the user had is lost or overwritten.
func OpenStore(path string) (*Store, error) {
	s := &Store{path: path, data: map[string]map[string]Voice{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(b) == 0 {
		return s, nil
	}
	if err := json.Unmarshal(b, &s.data); err != nil {
		aside := fmt.Sprintf("%s.corrupt-%d", path, time.Now().Unix())
		if rerr := os.Rename(path, aside); rerr != nil {
			return nil, fmt.Errorf("%s is not valid JSON (%v) and could not be kept aside: %w", path, err, rerr)
		}
		s.data = map[string]map[string]Voice{}
		return s, nil
	}
	for k, m := range s.data {
		if m == nil {
			s.data[k] = map[string]Voice{}
		}
	}
	return s, nil
}

// Path returns the file the store writes.
func (s *Store) Path() string { return s.path }

// Voices returns a copy of the voices stored under key.
func (s *Store) Voices(key string) map[string]Voice {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]Voice{}
	for id, v := range s.data[key] {
		c := Voice{}
		for k, x := range v {
			c[k] = x
		}
		out[id] = c
	}
	return out
}

// Get returns one voice under key.
func (s *Store) Get(key, id string) (Voice, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.data[key][id]
	return v, ok
}

// FindClone returns a voice under key cloned from audio with this MD5 and
// reference language (the dedupe rule of voice_clone).
func (s *Store) FindClone(key, md5, lang string) (Voice, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.data[key]))
	for id := range s.data[key] {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		v := s.data[key][id]
		if v.str("audio_md5") == md5 && v.str("ref_language") == lang {
			return v, true
		}
	}
	return nil, false
}

// Put stores v (which must have a voice_id) under key and saves the file.
func (s *Store) Put(key string, v Voice) error {
	id := v.ID()
	if id == "" {
		return errors.New("voice without voice_id")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.data[key] == nil {
		s.data[key] = map[string]Voice{}
	}
	old, had := s.data[key][id]
	s.data[key][id] = v
	if err := s.saveLocked(); err != nil {
		if had {
			s.data[key][id] = old
		} else {
			delete(s.data[key], id)
		}
		return err
	}
	return nil
}

// Delete removes a voice under key; it reports whether it existed.
func (s *Store) Delete(key, id string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.data[key][id]
	if !ok {
		return false, nil
	}
	delete(s.data[key], id)
	if err := s.saveLocked(); err != nil {
		s.data[key][id] = v
		return false, err
	}
	return true, nil
}

// saveLocked writes the file atomically with mode 0600: its keys are API keys.
func (s *Store) saveLocked() error {
	b, err := json.MarshalIndent(s.data, "", "  ")
	if err != nil {
		return fmt.Errorf("encode voice storage: %w", err)
	}
	if err := atomicfile.Write(s.path, b, 0o600); err != nil {
		return fmt.Errorf("save voice storage: %w", err)
	}
	return nil
}
