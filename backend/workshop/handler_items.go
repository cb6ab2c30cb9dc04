package workshop

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"time"

	"neko/backend/httpjson"
)

// steamItems scans every Steam content folder.
func (s *Service) steamItems(ctx context.Context) ([]Item, error) {
	var all []Item
	for _, dir := range s.SteamContentDirs() {
		items, err := ScanContentDir(ctx, dir, true, s.lim)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			s.log.Warn("scan workshop content", "dir", dir, "err", err)
		}
		all = append(all, items...)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	return all, nil
}

// subscribedItem is the original's /subscribed-items entry, answered from
// the content folder: every installed item counts as subscribed.
func subscribedItem(it Item, root string) map[string]any {
	title := it.Title
	if title == it.ID {
		title = "Workshop item " + it.ID
	}
	ts := it.Modified.Unix()
	out := map[string]any{
		"publishedFileId": it.ID, "title": title, "description": it.Description, "tags": nonNil(it.Tags),
		"state": map[string]bool{"subscribed": true, "legacyItem": false, "installed": true, "needsUpdate": false,
			"downloading": false, "downloadPending": false, "isWorkshopItem": true},
		"installedFolder": it.Folder, "fileSizeOnDisk": it.Size,
		"downloadProgress": map[string]any{"bytesDownloaded": 0, "bytesTotal": 0, "percentage": 0},
		"timeAdded":        ts, "timeUpdated": ts, "source": "content_folder",
	}
	if it.Preview != "" {
		out["previewImage"] = filepath.Join(it.Folder, filepath.FromSlash(it.Preview))
		if u := ItemURL(root, it, it.Preview); u != "" {
			out["previewUrl"] = u
		}
	}
	return out
}

func (s *Service) handleSubscribed(w http.ResponseWriter, r *http.Request) {
	items, err := s.steamItems(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	root, _, _ := s.Root()
	out := make([]map[string]any, 0, len(items))
	for _, it := range items {
		out = append(out, subscribedItem(it, root))
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"success": true, "items": out, "total": len(out)})
}

func (s *Service) findSteamItem(w http.ResponseWriter, r *http.Request) (Item, bool) {
	id := r.PathValue("id")
	if !isDigits(id) {
		httpjson.Error(w, http.StatusBadRequest, "invalid_id", "item id must be numeric")
		return Item{}, false
	}
	for _, dir := range s.SteamContentDirs() {
		p := filepath.Join(dir, id)
		if fi, err := os.Lstat(p); err != nil || !fi.IsDir() {
			continue
		}
		it, err := ScanItem(r.Context(), p, s.lim)
		if err != nil {
			s.fail(w, r, err)
			return Item{}, false
		}
		it.ID = id
		return it, true
	}
	httpjson.Error(w, http.StatusNotFound, "not_found", "item is not installed")
	return Item{}, false
}

func (s *Service) handleItem(w http.ResponseWriter, r *http.Request) {
	if it, ok := s.findSteamItem(w, r); ok {
		root, _, _ := s.Root()
		httpjson.Write(w, http.StatusOK, map[string]any{"success": true, "item": subscribedItem(it, root)})
	}
}

func (s *Service) handleItemPath(w http.ResponseWriter, r *http.Request) {
	if it, ok := s.findSteamItem(w, r); ok {
		httpjson.Write(w, http.StatusOK, map[string]any{"success": true, "item_id": it.ID, "path": it.Folder})
	}
}

// handleItems is neko's addition: every item of the workshop root and the
// Steam content folders with its models, cards and /workshop URLs.
func (s *Service) handleItems(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	root, src, err := s.Root()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	items, err := ScanContentDir(ctx, root, src == SourceSteam, s.lim)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	seen := map[string]bool{}
	for _, it := range items {
		seen[it.Folder] = true
	}
	steam, err := s.steamItems(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for _, it := range steam {
		if !seen[it.Folder] {
			items = append(items, it)
		}
	}
	out := make([]map[string]any, 0, len(items))
	for _, it := range items {
		urls := map[string]string{}
		for _, m := range append(append([]Model{}, it.Live2D...), it.VRM...) {
			if u := ItemURL(root, it, m.Path); u != "" {
				urls[m.Path] = u
			}
		}
		out = append(out, map[string]any{"item": it, "urls": urls})
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"success": true, "workshop_path": root, "items": out, "total": len(out)})
}
