package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// canary is a folder outside every served root whose content must never
// come back through the server.
type canary struct {
	Dir      string // absolute
	File     string // absolute path of the text file
	Content  string // only inside files, never in any request
	Listed   string // only in file names inside Dir, never in any request
	fileBase string
}

func newCanary() (canary, error) {
	dir, err := os.MkdirTemp("", "nekoprobe-canary-")
	if err != nil {
		return canary{}, fmt.Errorf("canary: %w", err)
	}
	dir, _ = filepath.Abs(dir)
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	c := canary{Dir: dir, Content: "NEKOPROBE-CONTENT-" + randomHex(12), Listed: "nekoprobe-listed-" + randomHex(8)}
	c.fileBase = "nekoprobe-canary.txt"
	c.File = filepath.Join(dir, c.fileBase)
	files := map[string]string{
		c.fileBase:                     c.Content,
		"preview.png":                  c.Content,
		c.Listed + ".chara.json":       `{"档案名":"` + c.Content + `"}`,
		c.Listed + ".mp3":              c.Content,
		c.Listed + ".model3.json":      `{"Version":3,"x":"` + c.Content + `"}`,
		"recent_" + c.Listed + ".json": `[]`,
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			os.RemoveAll(dir)
			return canary{}, fmt.Errorf("canary: %w", err)
		}
	}
	return c, nil
}

func (c canary) remove() { _ = os.RemoveAll(c.Dir) }

// leaked reports what of the canary (or a system file) a reply shows.
func (c canary) leaked(body []byte) string {
	s := string(body)
	switch {
	case strings.Contains(s, c.Content):
		return "the content of a file outside the served folder"
	case strings.Contains(s, c.Listed):
		return "the names of files outside the served folder"
	case strings.Contains(s, "root:x:0:0") || strings.Contains(s, "root:*:0:0"):
		return "/etc/passwd"
	case strings.Contains(s, "for 16-bit app support"):
		return "win.ini"
	}
	return ""
}

// relFromRoot is the canary path with its volume and leading separator
// removed, in slash form ("tmp/nekoprobe-canary-1/…").
func relFromRoot(abs string) string {
	abs = strings.TrimPrefix(abs, filepath.VolumeName(abs))
	return strings.TrimLeft(filepath.ToSlash(abs), "/")
}

// traversalPaths returns encodings of "go up and read target" for use in a
// URL path after a mount ("/static/<here>").
func traversalPaths(target string) []string {
	ups := 14
	rel := relFromRoot(target)
	encRel := strings.ReplaceAll(rel, "/", "%2f")
	return []string{
		strings.Repeat("../", ups) + rel,
		strings.Repeat("%2e%2e/", ups) + rel,
		strings.Repeat("..%2f", ups) + encRel,
		strings.Repeat("%2e%2e%2f", ups) + encRel,
		strings.Repeat("..%5c", ups) + strings.ReplaceAll(rel, "/", "%5c"),
		strings.Repeat(`..\`, ups) + strings.ReplaceAll(rel, "/", `\`),
		strings.Repeat("%252e%252e%252f", ups) + strings.ReplaceAll(rel, "/", "%252f"),
		strings.Repeat("....//", ups) + rel,
		strings.Repeat("..;/", ups) + rel,
		strings.Repeat("%c0%ae%c0%ae/", ups) + rel,
		"/" + filepath.ToSlash(target),
		"%2f" + strings.ReplaceAll(strings.TrimPrefix(filepath.ToSlash(target), "/"), "/", "%2f"),
	}
}

// traversalValues returns values for a query parameter or a single path
// segment that should name a file inside the endpoint's own folder.
func traversalValues(target string) []string {
	rel := relFromRoot(target)
	vals := []string{
		target,
		strings.Repeat("../", 14) + rel,
		strings.Repeat(`..\`, 14) + strings.ReplaceAll(rel, "/", `\`),
		"file://" + filepath.ToSlash(target),
	}
	if s := filepath.ToSlash(target); s != target {
		vals = append(vals, s)
	}
	return vals
}

func (p *prober) checkTraversal(ctx context.Context) {
	targets := []string{p.canary.File, p.canary.Dir, "/etc/passwd"}
	for _, m := range p.opt.Mounts {
		for _, t := range targets[:1] {
			for _, tp := range append(traversalPaths(t), traversalPaths("/etc/passwd")...) {
				path := strings.TrimSuffix(m, "/") + "/" + tp
				p.traversalReply(m, path, p.raw(ctx, p.opt.Base, "GET", path, nil))
			}
		}
	}
	for _, ep := range p.opt.FileEndpoints {
		for _, t := range targets {
			for _, v := range traversalValues(t) {
				var path string
				if ep.Param != "" {
					path = ep.Path + "?" + ep.Param + "=" + url.QueryEscape(v)
				} else {
					path = strings.Replace(ep.Path, "{name}", url.PathEscape(v), 1)
				}
				r := p.do(ctx, request{Method: "GET", Path: path, Header: map[string]string{"Origin": p.ownOrigin()}})
				p.traversalReply(ep.Path, path, r)
			}
		}
	}
}

func (p *prober) traversalReply(where, path string, r reply) {
	name := "GET " + path
	if r.Err != nil {
		p.checked("traversal", name, r.String())
		return
	}
	if what := p.canary.leaked(r.Body); what != "" && r.Status < 400 {
		p.find("traversal", name, "%s returned %s (%d)", where, what, r.Status)
		return
	}
	if r.Status < 300 && existsTrue(r.Body) && strings.Contains(path, "nekoprobe-canary") {
		p.find("traversal", name, "%s confirms a file outside its folder exists", where)
		return
	}
	p.checked("traversal", name, r.String())
}

func existsTrue(b []byte) bool {
	s := strings.ReplaceAll(string(b), " ", "")
	return strings.Contains(s, `"exists":true`)
}

// checkSymlinks plants links to the canary inside folders the server
// serves and asks for them through the mount.
func (p *prober) checkSymlinks(ctx context.Context) {
	for mount, dir := range p.opt.Symlinks {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			p.skip(fmt.Sprintf("symlink check for %s: %s is not a folder", mount, dir))
			continue
		}
		tag := "nekoprobe-" + randomHex(6)
		fileLink := filepath.Join(dir, tag+".txt")
		dirLink := filepath.Join(dir, tag+"-dir")
		if err := os.Symlink(p.canary.File, fileLink); err != nil {
			p.skip(fmt.Sprintf("symlink check for %s: %v", mount, err))
			continue
		}
		if err := os.Symlink(p.canary.Dir, dirLink); err != nil {
			os.Remove(fileLink)
			p.skip(fmt.Sprintf("symlink check for %s: %v", mount, err))
			continue
		}
		m := strings.TrimSuffix(mount, "/")
		for _, path := range []string{m + "/" + tag + ".txt", m + "/" + tag + "-dir/" + p.canary.fileBase, m + "/" + tag + "-dir/"} {
			p.traversalReply(mount+" (symlink)", path, p.raw(ctx, p.opt.Base, "GET", path, nil))
		}
		os.Remove(fileLink)
		os.Remove(dirLink)
	}
}
