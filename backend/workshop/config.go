package workshop

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"neko/backend/atomicfile"
)

// ConfigFile is the workshop settings file inside the config folder.
const ConfigFile = "workshop_config.json"

// FolderConfig is workshop_config.json (the original's keys). Unknown keys are
// kept and written back unchanged.
type FolderConfig struct {
	DefaultWorkshopFolder string `json:"default_workshop_folder,omitempty"`
	UserModFolder         string `json:"user_mod_folder,omitempty"`
	UserWorkshopFolder    string `json:"user_workshop_folder,omitempty"`
	AutoCreateFolder      *bool  `json:"auto_create_folder,omitempty"`
	extra                 map[string]json.RawMessage
}

// AutoCreate reports auto_create_folder (default true).
func (c FolderConfig) AutoCreate() bool { return c.AutoCreateFolder == nil || *c.AutoCreateFolder }

var knownConfigKeys = []string{"default_workshop_folder", "user_mod_folder", "user_workshop_folder", "auto_create_folder"}

// MarshalJSON writes the known keys plus the unknown ones kept from the file.
func (c FolderConfig) MarshalJSON() ([]byte, error) {
	out := map[string]any{}
	for k, v := range c.extra {
		out[k] = v
	}
	out["default_workshop_folder"] = c.DefaultWorkshopFolder
	out["user_mod_folder"] = c.UserModFolder
	if c.UserWorkshopFolder != "" {
		out["user_workshop_folder"] = c.UserWorkshopFolder
	}
	out["auto_create_folder"] = c.AutoCreate()
	return json.Marshal(out)
}

// UnmarshalJSON reads the known keys leniently (a wrong type is ignored, not
// fatal) and keeps the rest.
func (c *FolderConfig) UnmarshalJSON(data []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	str := func(k string) string {
		var s string
		if v, ok := raw[k]; ok && json.Unmarshal(v, &s) == nil {
			return s
		}
		return ""
	}
	*c = FolderConfig{
		DefaultWorkshopFolder: str("default_workshop_folder"),
		UserModFolder:         str("user_mod_folder"),
		UserWorkshopFolder:    str("user_workshop_folder"),
	}
	if v, ok := raw["auto_create_folder"]; ok {
		var b bool
		if json.Unmarshal(v, &b) == nil {
			c.AutoCreateFolder = &b
		}
	}
	for _, k := range knownConfigKeys {
		delete(raw, k)
	}
	if len(raw) > 0 {
		c.extra = raw
	}
	return nil
}

// loadFolderConfig reads the file; a missing file is the zero config. A
// malformed file is reported and treated as empty; it is kept on disk (and
// backed up before the next save) so nothing the user wrote is lost.
func loadFolderConfig(path string) (FolderConfig, bool, error) {
	var c FolderConfig
	data, err := readLimited(path, 1<<20)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return c, true, nil
		}
		return c, false, fmt.Errorf("read %s: %w", ConfigFile, err)
	}
	if err := json.Unmarshal(data, &c); err != nil {
		return FolderConfig{}, false, fmt.Errorf("parse %s: %w", ConfigFile, err)
	}
	return c, true, nil
}

// saveFolderConfig writes atomically; when the current file could not be
// parsed it is first copied to a timestamped .bak.
func saveFolderConfig(path string, c FolderConfig, backupOld bool) error {
	if backupOld {
		if old, err := os.ReadFile(path); err == nil {
			bak := fmt.Sprintf("%s.%s.bak", path, time.Now().UTC().Format("20060102T150405"))
			if err := writeFileAtomic(bak, old, 0o600); err != nil {
				return fmt.Errorf("back up %s: %w", ConfigFile, err)
			}
		}
	}
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", ConfigFile, err)
	}
	return writeFileAtomic(path, append(data, '\n'), 0o644)
}

// checkFolderSetting validates a folder path a client wants to store.
func checkFolderSetting(key, p string) (string, error) {
	p = strings.TrimSpace(p)
	if p == "" {
		return "", nil
	}
	if strings.ContainsRune(p, 0) || len(p) > 4096 {
		return "", fmt.Errorf("%s: %w", key, ErrBadPath)
	}
	p = filepath.FromSlash(p)
	if !filepath.IsAbs(p) {
		return "", fmt.Errorf("%s must be an absolute folder path: %w", key, ErrBadPath)
	}
	return filepath.Clean(p), nil
}

// writeFileAtomic writes data to a temp file in the same folder, fsyncs it and
// renames it over path.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	return atomicfile.Write(path, data, perm)
}
