package workshop

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// Model is one avatar model found in an item. Path is relative to the item
// folder with forward slashes.
type Model struct {
	Name string `json:"name"`
	Path string `json:"path"`
	Size int64  `json:"size"`
}

// CardFile is one *.chara.json found in an item.
type CardFile struct {
	Name string `json:"name"` // the card's 档案名 (or "name")
	Path string `json:"path"` // relative to the item folder
}

// Rejection records a file a scan refused and why.
type Rejection struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// Item is one workshop item folder and what it offers.
type Item struct {
	ID     string `json:"id"`
	Folder string `json:"folder"` // absolute, resolved
	Title  string `json:"title"`
	// Description and Tags come from the first card (描述/description, 标签/tags).
	Description string      `json:"description"`
	Tags        []string    `json:"tags"`
	Live2D      []Model     `json:"live2d"`
	VRM         []Model     `json:"vrm"`
	Cards       []CardFile  `json:"cards"`
	Preview     string      `json:"preview,omitempty"` // relative path of preview.* if present
	Size        int64       `json:"size"`
	Modified    time.Time   `json:"modified"`
	Rejected    []Rejection `json:"rejected,omitempty"`
	// Truncated is set when the item hit MaxEntries or MaxDepth.
	Truncated bool `json:"truncated,omitempty"`
}

// previewNames are the original's preview file names, in order.
var previewNames = []string{"preview.jpg", "preview.png", "thumbnail.jpg", "thumbnail.png", "icon.jpg", "icon.png", "header.jpg", "header.png"}

// ScanContentDir scans every item folder of one content folder. Steam content
// folders (numericIDs) only hold folders named by numeric item IDs; other
// names are skipped. Item folders that are symlinks are refused.
func ScanContentDir(ctx context.Context, dir string, numericIDs bool, lim Limits) ([]Item, error) {
	lim = lim.withDefaults()
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, fmt.Errorf("open content folder: %w", err)
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("list content folder: %w", err)
	}
	var items []Item
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return items, err
		}
		if len(items) >= lim.MaxItems {
			break
		}
		name := e.Name()
		if !e.IsDir() || e.Type()&fs.ModeSymlink != 0 || !safeItemName(name) {
			continue
		}
		if numericIDs && !isDigits(name) {
			continue
		}
		it, err := ScanItem(ctx, filepath.Join(root, name), lim)
		if err != nil {
			return items, err
		}
		it.ID = name
		items = append(items, it)
	}
	return items, nil
}

// safeItemName accepts a single path component that is not hidden or special.
func safeItemName(n string) bool {
	if n == "" || n == "." || n == ".." || strings.HasPrefix(n, ".") || len(n) > 255 || !utf8.ValidString(n) {
		return false
	}
	return !strings.ContainsAny(n, "/\\\x00")
}

// ScanItem walks one item folder (without following symlinked folders) and
// collects Live2D models, VRM models, character cards and a preview image.
// Files are checked for size and format; anything suspicious is listed in
// Rejected instead of failing the scan. Only a cancelled ctx or an unreadable
// item folder is an error.
func ScanItem(ctx context.Context, folder string, lim Limits) (Item, error) {
	lim = lim.withDefaults()
	root, err := filepath.EvalSymlinks(folder)
	if err != nil {
		return Item{}, fmt.Errorf("open item: %w", err)
	}
	fi, err := os.Stat(root)
	if err != nil {
		return Item{}, fmt.Errorf("stat item: %w", err)
	}
	it := Item{ID: filepath.Base(root), Folder: root, Title: filepath.Base(root), Modified: fi.ModTime(),
		Live2D: []Model{}, VRM: []Model{}, Cards: []CardFile{}, Tags: []string{}}
	entries := 0
	walkErr := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if err != nil {
			if p != root {
				it.Rejected = append(it.Rejected, Rejection{rel, "unreadable: " + err.Error()})
				if d != nil && d.IsDir() {
					return fs.SkipDir
				}
			}
			return nil
		}
		if p == root {
			return nil
		}
		entries++
		if entries > lim.MaxEntries {
			it.Truncated = true
			return fs.SkipAll
		}
		if d.IsDir() {
			if strings.Count(rel, "/")+1 > lim.MaxDepth {
				it.Truncated = true
				return fs.SkipDir
			}
			return nil
		}
		it.visitFile(root, rel, d, lim)
		return nil
	})
	if walkErr != nil && !errors.Is(walkErr, fs.SkipAll) {
		return it, walkErr
	}
	for _, n := range previewNames {
		if _, _, err := confinedFile(root, n); err == nil {
			it.Preview = n
			break
		}
	}
	if len(it.Cards) > 0 && it.Cards[0].Name != "" {
		it.Title = it.Cards[0].Name
	}
	sortModels(it.Live2D)
	sortModels(it.VRM)
	sort.Slice(it.Cards, func(i, j int) bool { return it.Cards[i].Path < it.Cards[j].Path })
	return it, nil
}

func sortModels(m []Model) { sort.Slice(m, func(i, j int) bool { return m[i].Path < m[j].Path }) }

// visitFile classifies one file. Symlinked files must resolve inside the item.
func (it *Item) visitFile(root, rel string, d fs.DirEntry, lim Limits) {
	lower := strings.ToLower(d.Name())
	kind := ""
	switch {
	case strings.HasSuffix(lower, ".chara.json"):
		kind = "card"
	case strings.HasSuffix(lower, ".model3.json"), strings.HasSuffix(lower, ".model.json"):
		kind = "live2d"
	case strings.HasSuffix(lower, ".vrm"):
		kind = "vrm"
	}
	real, fi, err := confinedFile(root, rel)
	if err != nil {
		if kind != "" || d.Type()&fs.ModeSymlink != 0 {
			it.Rejected = append(it.Rejected, Rejection{rel, reason(err)})
		}
		return
	}
	it.Size += fi.Size()
	reject := func(err error) { it.Rejected = append(it.Rejected, Rejection{rel, reason(err)}) }
	switch kind {
	case "card":
		data, err := readLimited(real, lim.MaxCardBytes)
		if err != nil {
			reject(err)
			return
		}
		c, err := ParseCard(data)
		if err != nil {
			reject(err)
			return
		}
		it.Cards = append(it.Cards, CardFile{Name: c.Name, Path: rel})
		if len(it.Cards) == 1 {
			it.Description = firstString(c, "描述", "description")
			it.Tags = cardTags(c)
		}
	case "live2d":
		if err := checkLive2D(root, rel, real, lim.MaxModelBytes); err != nil {
			reject(err)
			return
		}
		it.Live2D = append(it.Live2D, Model{Name: modelName(d.Name()), Path: rel, Size: fi.Size()})
	case "vrm":
		if err := checkVRM(real, fi.Size(), lim.MaxVRMBytes); err != nil {
			reject(err)
			return
		}
		it.VRM = append(it.VRM, Model{Name: modelName(d.Name()), Path: rel, Size: fi.Size()})
	}
}

func reason(err error) string {
	switch {
	case errors.Is(err, ErrSymlinkOut):
		return "symlink leads outside the item"
	case errors.Is(err, ErrTooLarge):
		return "file too large"
	case errors.Is(err, ErrNotFound):
		return "dangling link or missing file"
	}
	return err.Error()
}

func modelName(file string) string {
	l := strings.ToLower(file)
	for _, suf := range []string{".model3.json", ".model.json", ".vrm"} {
		if strings.HasSuffix(l, suf) {
			return file[:len(file)-len(suf)]
		}
	}
	return file
}

// checkLive2D parses a model settings file and checks that its moc file is a
// confined relative path that exists inside the item.
func checkLive2D(root, rel, real string, limit int64) error {
	data, err := readLimited(real, limit)
	if err != nil {
		return err
	}
	var doc struct {
		FileReferences *struct {
			Moc string `json:"Moc"`
		} `json:"FileReferences"`
		Model string `json:"model"` // Cubism 2 (*.model.json)
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("not a Live2D model file: %w", err)
	}
	moc := doc.Model
	if doc.FileReferences != nil {
		moc = doc.FileReferences.Moc
	}
	if moc == "" {
		return errors.New("Live2D model file names no moc")
	}
	mocRel, err := CleanRel(moc)
	if err != nil {
		return fmt.Errorf("moc path: %w", err)
	}
	dir := filepath.ToSlash(filepath.Dir(filepath.FromSlash(rel)))
	if _, _, err := confinedFile(root, filepath.ToSlash(filepath.Join(dir, mocRel))); err != nil {
		return fmt.Errorf("moc %s: %w", mocRel, err)
	}
	return nil
}

// checkVRM checks the size and the glTF binary header ("glTF", version 2).
func checkVRM(real string, size, limit int64) error {
	if size > limit {
		return fmt.Errorf("%w: %d bytes (limit %d)", ErrTooLarge, size, limit)
	}
	f, err := os.Open(real)
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	defer f.Close()
	var hdr [12]byte
	if _, err := f.ReadAt(hdr[:], 0); err != nil {
		return errors.New("not a VRM (glTF binary) file: too short")
	}
	if !bytes.Equal(hdr[:4], []byte("glTF")) || hdr[4] != 2 {
		return errors.New("not a VRM (glTF 2 binary) file")
	}
	return nil
}

func firstString(c Card, keys ...string) string {
	for _, k := range keys {
		if v := c.String(k); v != "" {
			return truncate(v, 4000)
		}
	}
	return ""
}

// cardTags reads 标签 or tags as a list of strings (at most 32).
func cardTags(c Card) []string {
	out := []string{}
	for _, k := range []string{"标签", "tags"} {
		raw, ok := c.Get(k)
		if !ok {
			continue
		}
		var tags []string
		if json.Unmarshal(raw, &tags) != nil {
			continue
		}
		for _, t := range tags {
			if t = strings.TrimSpace(t); t != "" && len(out) < 32 {
				out = append(out, truncate(t, 100))
			}
		}
		break
	}
	return out
}
