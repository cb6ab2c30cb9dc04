package guard

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"strings"
	"unicode/utf8"
)

// ErrUnsafeName is returned for a file name that could leave its folder.
var ErrUnsafeName = errors.New("unsafe file name")

// ErrTooLarge is returned by SaveStream when the stream exceeds its limit.
var ErrTooLarge = errors.New("file too large")

// SafeName checks that name is a plain file name that stays in its folder:
// not empty, ".", "..", nor hidden; no slash, backslash, colon, NUL or
// control character; valid UTF-8 and at most 255 bytes.
func SafeName(name string) error {
	switch {
	case name == "", name == ".", name == "..", len(name) > 255, !utf8.ValidString(name),
		strings.HasPrefix(name, "."), strings.ContainsAny(name, `/\:`):
		return fmt.Errorf("%w: %q", ErrUnsafeName, name)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("%w: %q", ErrUnsafeName, name)
		}
	}
	return nil
}

// SaveStream streams src into dir/name without holding it in memory: it
// writes a temporary file inside dir, syncs it and renames it into place, so
// a reader never sees half a file. Everything happens through an os.Root,
// so neither the name nor a symlink planted in dir can lead outside it.
// More than limit bytes (when limit > 0) fail with ErrTooLarge and leave
// nothing behind. It returns the number of bytes written.
func SaveStream(dir, name string, src io.Reader, limit int64) (int64, error) {
	if err := SafeName(name); err != nil {
		return 0, err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return 0, fmt.Errorf("open upload folder: %w", err)
	}
	defer root.Close()
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	tmp := ".upload-" + hex.EncodeToString(rnd[:]) + ".part"
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return 0, fmt.Errorf("create upload: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			_ = f.Close()
			_ = root.Remove(tmp)
		}
	}()
	r := src
	if limit > 0 {
		r = io.LimitReader(src, limit+1)
	}
	n, err := io.Copy(f, r)
	if err != nil {
		if IsBodyTooLarge(err) {
			return n, fmt.Errorf("%w: %w", ErrTooLarge, err)
		}
		return n, fmt.Errorf("write upload: %w", err)
	}
	if limit > 0 && n > limit {
		return n, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)
	}
	if err := f.Sync(); err != nil {
		return n, fmt.Errorf("sync upload: %w", err)
	}
	if err := f.Close(); err != nil {
		return n, fmt.Errorf("close upload: %w", err)
	}
	if err := root.Rename(tmp, name); err != nil {
		return n, fmt.Errorf("store upload: %w", err)
	}
	ok = true
	return n, nil
}

// FileServer serves the files under one folder (a static mount such as
// /user_vrm) with the escapes closed: every open goes through an os.Root,
// so "..", absolute paths and symlinks pointing outside the folder are
// refused, and folders without an index.html are not listed.
type FileServer struct {
	root *os.Root
	h    http.Handler
}

// NewFileServer opens dir. Mount it with http.StripPrefix and Close it
// when the server stops.
func NewFileServer(dir string) (*FileServer, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open static folder: %w", err)
	}
	return &FileServer{root: root, h: http.FileServerFS(noListFS{root.FS()})}, nil
}

// ServeHTTP serves one file.
func (s *FileServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.ContainsAny(r.URL.Path, "\\\x00") {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	s.h.ServeHTTP(w, r)
}

// Close releases the folder.
func (s *FileServer) Close() error { return s.root.Close() }

// noListFS hides folders that have no index.html, so the file server never
// lists a folder's content.
type noListFS struct{ fsys fs.FS }

func (n noListFS) Open(name string) (fs.File, error) {
	f, err := n.fsys.Open(name)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	if st.IsDir() {
		idx := "index.html"
		if name != "." {
			idx = name + "/index.html"
		}
		if _, err := fs.Stat(n.fsys, idx); err != nil {
			_ = f.Close()
			return nil, fs.ErrNotExist
		}
	}
	return f, nil
}
