package workshop

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// AppID is N.E.K.O's Steam App ID; its workshop items live in
// <library>/steamapps/workshop/content/4099310/<item id>/.
const AppID = "4099310"

// SteamRoots returns candidate Steam install folders for goos under home, in
// priority order, plus registryRoots (the Windows registry's answer, looked up
// by the caller). Folders that do not exist are dropped; symlinked roots
// (~/.steam/steam usually points at ~/.local/share/Steam) appear once.
func SteamRoots(home, goos string, registryRoots []string) []string {
	var cands []string
	cands = append(cands, registryRoots...)
	if home != "" {
		switch goos {
		case "windows":
			// the registry is the source of truth; this is Steam's default folder
			for _, env := range []string{"ProgramFiles(x86)", "ProgramFiles"} {
				if d := os.Getenv(env); d != "" {
					cands = append(cands, filepath.Join(d, "Steam"))
				}
			}
		case "darwin":
			cands = append(cands, filepath.Join(home, "Library", "Application Support", "Steam"))
		default:
			cands = append(cands,
				filepath.Join(home, ".steam", "steam"),
				filepath.Join(home, ".steam", "root"),
				filepath.Join(home, ".local", "share", "Steam"),
				filepath.Join(home, ".var", "app", "com.valvesoftware.Steam", ".local", "share", "Steam"),
				filepath.Join(home, "snap", "steam", "common", ".local", "share", "Steam"))
		}
	}
	return existingDirs(cands)
}

// existingDirs keeps the folders that exist, deduplicated by their resolved path.
func existingDirs(paths []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range paths {
		if p == "" || !filepath.IsAbs(p) {
			continue
		}
		real, err := filepath.EvalSymlinks(filepath.Clean(p))
		if err != nil {
			continue
		}
		if fi, err := os.Stat(real); err != nil || !fi.IsDir() {
			continue
		}
		key := real
		if isCaseInsensitiveFS() {
			key = strings.ToLower(real)
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, real)
	}
	return out
}

// LibraryFolders returns the Steam library folders a Steam root knows about:
// the root itself and every "path" in its libraryfolders.vdf (the current
// format with numbered objects and the older format with numbered strings).
// A missing or malformed libraryfolders.vdf yields just the root.
func LibraryFolders(root string) ([]string, error) {
	libs := []string{root}
	var firstErr error
	for _, rel := range []string{filepath.Join("steamapps", "libraryfolders.vdf"), filepath.Join("config", "libraryfolders.vdf")} {
		data, err := readLimited(filepath.Join(root, rel), vdfMaxBytes)
		if err != nil {
			if !os.IsNotExist(err) && firstErr == nil {
				firstErr = err
			}
			continue
		}
		doc, err := ParseVDF(data)
		if err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("parse %s: %w", filepath.Join(root, rel), err)
			}
			continue
		}
		libs = append(libs, libraryPaths(doc)...)
	}
	return libs, firstErr
}

// libraryPaths reads the numbered entries of a "libraryfolders" (or legacy
// "LibraryFolders") object.
func libraryPaths(doc *KV) []string {
	lf := doc.Child("libraryfolders")
	if lf == nil || !lf.IsObject {
		return nil
	}
	var out []string
	for _, c := range lf.Children {
		if !isDigits(c.Key) {
			continue // "TimeNextStatsReport", "ContentStatsID", …
		}
		p := c.Value
		if c.IsObject {
			pv := c.Child("path")
			if pv == nil || pv.IsObject {
				continue
			}
			p = pv.Value
		}
		if p = cleanLibraryPath(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// cleanLibraryPath accepts only absolute paths without NULs; Windows paths
// come with doubled backslashes already unescaped by the parser.
func cleanLibraryPath(p string) string {
	p = strings.TrimSpace(p)
	if p == "" || strings.ContainsRune(p, 0) || len(p) > 4096 {
		return ""
	}
	p = filepath.FromSlash(p)
	if !filepath.IsAbs(p) {
		return ""
	}
	return filepath.Clean(p)
}

// WorkshopContentDirs returns every existing
// <library>/steamapps/workshop/content/<AppID> folder of the given Steam
// roots, in order, without duplicates. Problems with individual
// libraryfolders.vdf files are returned as warnings; they never hide the
// libraries that could be read.
func WorkshopContentDirs(roots []string) (dirs []string, warnings []error) {
	var cands []string
	for _, r := range roots {
		libs, err := LibraryFolders(r)
		if err != nil {
			warnings = append(warnings, err)
		}
		for _, l := range libs {
			cands = append(cands, filepath.Join(l, "steamapps", "workshop", "content", AppID))
		}
	}
	return existingDirs(cands), warnings
}

func isDigits(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// readLimited reads a regular file of at most limit bytes. It checks the
// type before opening, so a FIFO or device planted in an item never blocks
// or feeds the reader.
func readLimited(path string, limit int64) ([]byte, error) {
	pre, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !pre.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %w", path, ErrNotRegular)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() || !os.SameFile(pre, fi) {
		return nil, fmt.Errorf("%s changed while opening: %w", path, ErrNotRegular)
	}
	if fi.Size() > limit {
		return nil, fmt.Errorf("%s is %d bytes: %w (limit %d)", path, fi.Size(), ErrTooLarge, limit)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s grew past %d bytes: %w", path, limit, ErrTooLarge)
	}
	return data, nil
}
