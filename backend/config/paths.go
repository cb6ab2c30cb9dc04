package config

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// AppFolder is the name of neko's folder inside the user's Documents folder
// (the original's, so an existing data folder is picked up).
const AppFolder = "N.E.K.O"

// Paths are the folders of one data root.
type Paths struct {
	Root           string
	Config         string
	Memory         string
	Live2D         string
	VRM            string
	VRMAnimation   string
	CharacterCards string
	Workshop       string
	Logs           string
}

// NewPaths lays out the folders under root.
func NewPaths(root string) Paths {
	return Paths{
		Root:           root,
		Config:         filepath.Join(root, "config"),
		Memory:         filepath.Join(root, "memory"),
		Live2D:         filepath.Join(root, "live2d"),
		VRM:            filepath.Join(root, "vrm"),
		VRMAnimation:   filepath.Join(root, "vrm", "animation"),
		CharacterCards: filepath.Join(root, "character_cards"),
		Workshop:       filepath.Join(root, "workshop"),
		Logs:           filepath.Join(root, "logs"),
	}
}

// Ensure creates every folder.
func (p Paths) Ensure() error {
	for _, d := range []string{p.Config, p.Memory, p.Live2D, p.VRM, p.VRMAnimation, p.CharacterCards, p.Workshop, p.Logs} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("create data folder: %w", err)
		}
	}
	return nil
}

// File returns the path of a file in the config folder.
func (p Paths) File(name string) string { return filepath.Join(p.Config, name) }

// DataRoot picks the data root: $NEKO_DATA_DIR when set, else
// <Documents>/N.E.K.O, where Documents is the OS's documents folder.
func DataRoot() (string, error) {
	if d := strings.TrimSpace(os.Getenv("NEKO_DATA_DIR")); d != "" {
		return filepath.Abs(d)
	}
	docs, err := DocumentsDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(docs, AppFolder), nil
}

// DocumentsDir finds the user's Documents folder: the known folder on
// Windows, ~/Documents on macOS, the XDG documents dir on Linux, else
// ~/Documents.
func DocumentsDir() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find home folder: %w", err)
	}
	switch runtime.GOOS {
	case "windows":
		if d := windowsDocuments(); d != "" {
			return d, nil
		}
	case "darwin":
	default:
		if d := xdgDocuments(home); d != "" {
			return d, nil
		}
	}
	return filepath.Join(home, "Documents"), nil
}

// xdgDocuments reads XDG_DOCUMENTS_DIR from the environment or from
// ~/.config/user-dirs.dirs ("$HOME/Documents" style values).
func xdgDocuments(home string) string {
	if d := os.Getenv("XDG_DOCUMENTS_DIR"); d != "" {
		return expandHome(d, home)
	}
	cfg := os.Getenv("XDG_CONFIG_HOME")
	if cfg == "" {
		cfg = filepath.Join(home, ".config")
	}
	f, err := os.Open(filepath.Join(cfg, "user-dirs.dirs"))
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		val, ok := strings.CutPrefix(line, "XDG_DOCUMENTS_DIR=")
		if !ok {
			continue
		}
		val = strings.Trim(val, `"`)
		d := expandHome(val, home)
		if d == home || d == "" {
			return "" // the spec: pointing at $HOME means "disabled"
		}
		return d
	}
	return ""
}

func expandHome(p, home string) string {
	p = strings.Replace(p, "$HOME", home, 1)
	if strings.HasPrefix(p, "~/") {
		p = filepath.Join(home, p[2:])
	}
	return filepath.Clean(p)
}
