package workshop

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
)

// Limits bound what a scan reads from untrusted items. Zero fields take the
// defaults of DefaultLimits.
type Limits struct {
	MaxCardBytes  int64 // one *.chara.json
	MaxModelBytes int64 // one *.model3.json / *.model.json
	MaxVRMBytes   int64 // one *.vrm
	MaxReadBytes  int64 // /read-file
	MaxEntries    int   // files and folders visited per item
	MaxDepth      int   // folder depth inside an item
	MaxItems      int   // items per content folder
}

// DefaultLimits are generous for real items and small enough to refuse abuse.
func DefaultLimits() Limits {
	return Limits{
		MaxCardBytes:  1 << 20,
		MaxModelBytes: 4 << 20,
		MaxVRMBytes:   1 << 30,
		MaxReadBytes:  5 << 20,
		MaxEntries:    20000,
		MaxDepth:      8,
		MaxItems:      5000,
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxCardBytes > 0 {
		d.MaxCardBytes = l.MaxCardBytes
	}
	if l.MaxModelBytes > 0 {
		d.MaxModelBytes = l.MaxModelBytes
	}
	if l.MaxVRMBytes > 0 {
		d.MaxVRMBytes = l.MaxVRMBytes
	}
	if l.MaxReadBytes > 0 {
		d.MaxReadBytes = l.MaxReadBytes
	}
	if l.MaxEntries > 0 {
		d.MaxEntries = l.MaxEntries
	}
	if l.MaxDepth > 0 {
		d.MaxDepth = l.MaxDepth
	}
	if l.MaxItems > 0 {
		d.MaxItems = l.MaxItems
	}
	return d
}

// Config wires a Service.
type Config struct {
	// ConfigDir holds workshop_config.json (<data>/config). Required.
	ConfigDir string
	// DefaultFolder is the local mod folder used when nothing else is found
	// (<data>/workshop). Required.
	DefaultFolder string
	// Home is the user's home folder for Steam discovery; "" uses
	// os.UserHomeDir. Tests pass a generated tree.
	Home string
	// GOOS selects the platform's Steam folders; "" is runtime.GOOS.
	GOOS string
	// SteamRoots, when non-nil, replaces the registry lookup on Windows
	// (tests; the shell leaves it nil).
	SteamRoots []string
	// Limits bound scans; zero fields take DefaultLimits.
	Limits Limits
	// Logger receives warnings; nil discards.
	Logger *slog.Logger
}

// Characters is what the workshop needs from the character list; the
// integrator implements it over the config package.
type Characters interface {
	// Names lists the existing character names.
	Names() []string
	// AddCharacter stores a new character. profile is one JSON object in
	// the characters.json profile shape (free-form fields in card order plus
	// "_reserved"); it fails when the name exists.
	AddCharacter(name string, profile []byte) error
}

// Service answers workshop questions for one data folder. It is safe for
// concurrent use.
type Service struct {
	cfg   Config
	lim   Limits
	chars Characters
	log   *slog.Logger

	mu      sync.Mutex // guards workshop_config.json read-modify-write
	syncMu  sync.Mutex // one character sync at a time
	rootGen atomic.Uint64
}

// New builds a Service. chars may be nil when card import is not wired (then
// /sync-characters answers 503).
func New(cfg Config, chars Characters) *Service {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Service{cfg: cfg, lim: cfg.Limits.withDefaults(), chars: chars, log: log.With("component", "workshop")}
	if s.cfg.GOOS == "" {
		s.cfg.GOOS = runtime.GOOS
	}
	if s.cfg.Home == "" {
		var err error
		if s.cfg.Home, err = os.UserHomeDir(); err != nil {
			s.log.Warn("no home folder: Steam libraries cannot be found", "err", err)
		}
	}
	return s
}

// SteamContentDirs returns every <library>/steamapps/workshop/content/4099310
// folder found on this machine, best library first. It reads the disk each
// call (Steam may add a library at any time); it is cheap.
func (s *Service) SteamContentDirs() []string {
	roots := s.cfg.SteamRoots
	if roots == nil && s.cfg.GOOS == runtime.GOOS {
		roots = RegistrySteamRoots()
	}
	dirs, warns := WorkshopContentDirs(SteamRoots(s.cfg.Home, s.cfg.GOOS, roots))
	for _, w := range warns {
		s.log.Warn("steam library list unreadable", "err", w)
	}
	return dirs
}

// RootSource says which rule of the resolution order chose the root.
type RootSource string

// The resolution order of the original (reference §13.3).
const (
	SourceUserModFolder RootSource = "user_mod_folder"
	SourceSteam         RootSource = "steam"
	SourceCached        RootSource = "user_workshop_folder"
	SourceDefault       RootSource = "default_workshop_folder"
)

// Root resolves the workshop root to mount at /workshop: the user's mod
// folder, else the Steam workshop content folder, else the cached folder,
// else the default folder (created when auto_create_folder allows). A Steam
// folder found here is cached in workshop_config.json.
func (s *Service) Root() (string, RootSource, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, parsed, err := loadFolderConfig(s.configPath())
	if err != nil {
		s.log.Warn("workshop config ignored", "err", err)
	}
	if p, err := checkFolderSetting("user_mod_folder", c.UserModFolder); err == nil && p != "" {
		if s.ensureDir(p, c.AutoCreate()) {
			return p, SourceUserModFolder, nil
		}
		s.log.Warn("user mod folder unusable, falling back", "path", p)
	}
	if dirs := s.SteamContentDirs(); len(dirs) > 0 {
		if c.UserWorkshopFolder != dirs[0] && parsed {
			c.UserWorkshopFolder = dirs[0]
			if err := saveFolderConfig(s.configPath(), c, false); err != nil {
				s.log.Warn("cache workshop folder", "err", err)
			}
		}
		return dirs[0], SourceSteam, nil
	}
	if p, err := checkFolderSetting("user_workshop_folder", c.UserWorkshopFolder); err == nil && p != "" && isDir(p) {
		return p, SourceCached, nil
	}
	def := s.cfg.DefaultFolder
	if p, err := checkFolderSetting("default_workshop_folder", c.DefaultWorkshopFolder); err == nil && p != "" {
		def = p
	}
	if def == "" {
		return "", "", fmt.Errorf("workshop: no default folder configured: %w", ErrNotFound)
	}
	if !s.ensureDir(def, c.AutoCreate()) {
		return def, SourceDefault, fmt.Errorf("workshop folder %s: %w", def, ErrNotFound)
	}
	return def, SourceDefault, nil
}

func (s *Service) configPath() string { return filepath.Join(s.cfg.ConfigDir, ConfigFile) }

func (s *Service) ensureDir(p string, create bool) bool {
	if isDir(p) {
		return true
	}
	if !create {
		return false
	}
	if err := os.MkdirAll(p, 0o755); err != nil {
		s.log.Warn("create workshop folder", "path", p, "err", err)
		return false
	}
	return true
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// bases are the folders client-supplied paths may point into: the resolved
// root and every Steam content folder.
func (s *Service) bases() []string {
	var out []string
	if r, _, err := s.Root(); err == nil {
		out = append(out, r)
	}
	return append(out, s.SteamContentDirs()...)
}
