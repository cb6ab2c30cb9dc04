package workshop

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode"
)

// Errors for refused paths and files; handlers map them to 403/413/404.
var (
	ErrOutside     = errors.New("path is outside the allowed folder")
	ErrBadPath     = errors.New("invalid relative path")
	ErrTooLarge    = errors.New("file too large")
	ErrNotRegular  = errors.New("not a regular file")
	ErrSymlinkOut  = errors.New("symlink leads outside its folder")
	ErrNotFound    = errors.New("not found")
	ErrUnavailable = errors.New("needs the Steam client")
)

// CleanRel checks a relative path taken from untrusted content (a card's
// model path, a file name) and returns it cleaned with forward slashes. It
// refuses empty paths, absolute paths (including Windows drive and UNC
// forms), ".." components, NULs and control characters.
func CleanRel(p string) (string, error) {
	if p == "" || len(p) > 1024 {
		return "", fmt.Errorf("%w: %q", ErrBadPath, truncate(p, 60))
	}
	for _, r := range p {
		if r == 0 || unicode.IsControl(r) {
			return "", fmt.Errorf("%w: control character in %q", ErrBadPath, truncate(p, 60))
		}
	}
	s := strings.ReplaceAll(p, `\`, "/")
	if strings.HasPrefix(s, "/") || (len(s) >= 2 && s[1] == ':') {
		return "", fmt.Errorf("%w: absolute path %q", ErrBadPath, truncate(p, 60))
	}
	for _, part := range strings.Split(s, "/") {
		if part == ".." {
			return "", fmt.Errorf("%w: %q climbs out with ..", ErrBadPath, truncate(p, 60))
		}
	}
	s = filepath.ToSlash(filepath.Clean(filepath.FromSlash(s)))
	if s == "." {
		return "", fmt.Errorf("%w: %q names no file", ErrBadPath, truncate(p, 60))
	}
	return s, nil
}

// within reports whether path (already resolved) is base or inside base.
func within(base, path string) bool {
	rel, err := filepath.Rel(base, path)
	if err != nil {
		return false
	}
	return rel == "." || (rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel))
}

// resolveUnder resolves p (absolute, or relative to the first base) with
// symlinks followed and returns it when it lies inside one of bases (also
// resolved). It is the check behind every path a client sends.
func resolveUnder(p string, bases []string) (string, error) {
	if p == "" || strings.ContainsRune(p, 0) {
		return "", fmt.Errorf("%w: empty path", ErrBadPath)
	}
	p = filepath.FromSlash(p)
	if !filepath.IsAbs(p) {
		if len(bases) == 0 {
			return "", ErrOutside
		}
		rel, err := CleanRel(p)
		if err != nil {
			return "", err
		}
		p = filepath.Join(bases[0], filepath.FromSlash(rel))
	}
	real, err := filepath.EvalSymlinks(filepath.Clean(p))
	if err != nil {
		if os.IsNotExist(err) {
			// judge by the lexical path so a missing file is "not found", not "outside"
			clean := filepath.Clean(p)
			for _, b := range bases {
				if rb, err2 := filepath.EvalSymlinks(b); err2 == nil && (within(rb, clean) || within(b, clean)) {
					return "", fmt.Errorf("%w: %s", ErrNotFound, clean)
				}
			}
			return "", ErrOutside
		}
		return "", fmt.Errorf("resolve %s: %w", p, err)
	}
	for _, b := range bases {
		rb, err := filepath.EvalSymlinks(b)
		if err != nil {
			continue
		}
		if within(rb, real) {
			return real, nil
		}
	}
	return "", ErrOutside
}

// confinedFile resolves rel inside root (root already resolved) and checks
// that the result is a regular file still inside root.
func confinedFile(root, rel string) (string, os.FileInfo, error) {
	clean, err := CleanRel(rel)
	if err != nil {
		return "", nil, err
	}
	full := filepath.Join(root, filepath.FromSlash(clean))
	real, err := filepath.EvalSymlinks(full)
	if err != nil {
		if os.IsNotExist(err) {
			return "", nil, fmt.Errorf("%w: %s", ErrNotFound, clean)
		}
		return "", nil, fmt.Errorf("resolve %s: %w", clean, err)
	}
	if !within(root, real) {
		return "", nil, fmt.Errorf("%w: %s", ErrSymlinkOut, clean)
	}
	fi, err := os.Stat(real)
	if err != nil {
		return "", nil, fmt.Errorf("stat %s: %w", clean, err)
	}
	if !fi.Mode().IsRegular() {
		return "", nil, fmt.Errorf("%w: %s", ErrNotRegular, clean)
	}
	return real, fi, nil
}
