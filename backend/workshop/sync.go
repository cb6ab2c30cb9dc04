package workshop

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path"
	"path/filepath"
	"strings"
)

// SyncResult is the /sync-characters reply body (the original's counters
// plus the names, so the UI can say what happened).
type SyncResult struct {
	Added        int      `json:"added"`
	Skipped      int      `json:"skipped"`
	Errors       int      `json:"errors"`
	AddedNames   []string `json:"added_names"`
	SkippedNames []string `json:"skipped_names"`
	ErrorDetails []string `json:"error_details,omitempty"`
}

// ErrNoCharacters is returned by SyncCharacters when no character store was
// given to New.
var ErrNoCharacters = errors.New("workshop: character import is not wired")

// SyncCharacters imports the *.chara.json cards of every installed Steam
// workshop item into the character list, by the original's rules: a card
// whose name already exists (compared case-insensitively) is skipped and
// never overwritten; reserved fields of the card are dropped; voice_id is
// forced empty; a model the card names and the item contains becomes the
// avatar with asset_source "steam_workshop" and the item id.
func (s *Service) SyncCharacters(ctx context.Context) (SyncResult, error) {
	if s.chars == nil {
		return SyncResult{}, ErrNoCharacters
	}
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	res := SyncResult{AddedNames: []string{}, SkippedNames: []string{}}
	taken := map[string]bool{}
	for _, n := range s.chars.Names() {
		taken[strings.ToLower(n)] = true
	}
	for _, dir := range s.SteamContentDirs() {
		items, err := ScanContentDir(ctx, dir, true, s.lim)
		if err != nil {
			if ctx.Err() != nil {
				return res, ctx.Err()
			}
			res.Errors++
			res.ErrorDetails = append(res.ErrorDetails, err.Error())
			s.log.Warn("scan workshop content", "dir", dir, "err", err)
		}
		for _, it := range items {
			for _, rj := range it.Rejected {
				if strings.HasSuffix(strings.ToLower(rj.Path), ".chara.json") {
					res.Errors++
					res.ErrorDetails = append(res.ErrorDetails, fmt.Sprintf("item %s: %s: %s", it.ID, rj.Path, rj.Reason))
				}
			}
			for _, cf := range it.Cards {
				s.importCard(it, cf, taken, &res)
			}
		}
	}
	if res.Added > 0 || res.Errors > 0 {
		s.log.Info("workshop cards synced", "added", res.Added, "skipped", res.Skipped, "errors", res.Errors)
	}
	return res, nil
}

func (s *Service) importCard(it Item, cf CardFile, taken map[string]bool, res *SyncResult) {
	fail := func(err error) {
		res.Errors++
		res.ErrorDetails = append(res.ErrorDetails, fmt.Sprintf("item %s: %s: %v", it.ID, cf.Path, err))
		s.log.Warn("workshop card not imported", "item", it.ID, "card", cf.Path, "err", err)
	}
	real, _, err := confinedFile(it.Folder, cf.Path)
	if err != nil {
		fail(err)
		return
	}
	data, err := readLimited(real, s.lim.MaxCardBytes)
	if err != nil {
		fail(err)
		return
	}
	card, err := ParseCard(data)
	if err != nil {
		fail(err)
		return
	}
	key := strings.ToLower(card.Name)
	if taken[key] {
		res.Skipped++
		res.SkippedNames = append(res.SkippedNames, card.Name)
		return
	}
	profile, err := CardProfile(card, it)
	if err != nil {
		fail(err)
		return
	}
	if err := s.chars.AddCharacter(card.Name, profile); err != nil {
		fail(fmt.Errorf("add character %q: %w", card.Name, err))
		return
	}
	taken[key] = true
	res.Added++
	res.AddedNames = append(res.AddedNames, card.Name)
}

// CardProfile turns a card from item into a characters.json profile object:
// the card's free-form fields in order (reserved fields and nulls dropped)
// plus a "_reserved" object with an empty voice_id and, when the card names a
// model the item contains, the avatar binding.
func CardProfile(card Card, it Item) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	first := true
	put := func(k string, v []byte) error {
		kb, err := json.Marshal(k)
		if err != nil {
			return err
		}
		if !first {
			buf.WriteByte(',')
		}
		first = false
		buf.Write(kb)
		buf.WriteByte(':')
		buf.Write(v)
		return nil
	}
	for _, f := range card.Fields {
		if reservedCardFields[f.Key] || string(f.Value) == "null" {
			continue
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, f.Value); err != nil {
			return nil, fmt.Errorf("field %q: %w", truncate(f.Key, 40), err)
		}
		if err := put(f.Key, compact.Bytes()); err != nil {
			return nil, err
		}
	}
	reserved := map[string]any{"voice_id": ""}
	if kind, p, ok := bindModel(card, it); ok {
		av := map[string]any{
			"model_type":      kind,
			"asset_source":    "steam_workshop",
			"asset_source_id": it.ID,
			"live2d":          map[string]any{"model_path": ""},
			"vrm":             map[string]any{"model_path": ""},
		}
		av[kind] = map[string]any{"model_path": p}
		reserved["avatar"] = av
	}
	rb, err := json.Marshal(reserved)
	if err != nil {
		return nil, err
	}
	if err := put("_reserved", rb); err != nil {
		return nil, err
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// bindModel finds the model a card names among the item's scanned models:
// the exact confined path, the legacy "<folder>" → "<folder>/<folder>.model3.json"
// form, or a unique model in a folder of that name anywhere in the item. A
// path that is absolute or climbs with ".." never binds.
func bindModel(card Card, it Item) (kind, modelPath string, ok bool) {
	ref, ok := cardModelRef(card)
	if !ok {
		return "", "", false
	}
	rel, err := CleanRel(ref.path)
	if err != nil {
		return "", "", false
	}
	models := it.Live2D
	if ref.kind == "vrm" {
		models = it.VRM
	}
	cands := []string{rel}
	if ref.kind == "live2d" && !strings.HasSuffix(strings.ToLower(rel), ".json") {
		base := path.Base(rel)
		cands = append(cands, rel+"/"+base+".model3.json", rel+"/"+base+".model.json")
	}
	for _, c := range cands {
		for _, m := range models {
			if m.Path == c {
				return ref.kind, m.Path, true
			}
		}
	}
	// the card's folder may sit deeper in the item (e.g. "models/<name>/")
	want := path.Base(rel)
	if ref.kind == "live2d" && strings.HasSuffix(strings.ToLower(rel), ".json") {
		want = path.Base(path.Dir(rel))
	}
	var found []Model
	for _, m := range models {
		dir := path.Base(path.Dir(m.Path))
		if strings.EqualFold(dir, want) || strings.EqualFold(path.Base(m.Path), path.Base(rel)) {
			found = append(found, m)
		}
	}
	if len(found) == 1 {
		return ref.kind, found[0].Path, true
	}
	return "", "", false
}

// ItemURL is the address of a file of an item under the /workshop mount, or
// "" when the item is not inside the mounted root.
func ItemURL(root string, it Item, rel string) string {
	r, err := filepath.EvalSymlinks(root)
	if err != nil || !within(r, it.Folder) {
		return ""
	}
	sub, err := filepath.Rel(r, filepath.Join(it.Folder, filepath.FromSlash(rel)))
	if err != nil {
		return ""
	}
	parts := strings.Split(filepath.ToSlash(sub), "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return "/workshop/" + strings.Join(parts, "/")
}
