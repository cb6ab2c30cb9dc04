package guard_test

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"neko/backend/guard"
)

func TestLoadOrCreateToken(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config", ".neko_token")
	tok, err := guard.LoadOrCreateToken(path)
	if err != nil {
		t.Fatal(err)
	}
	if !guard.ValidToken(tok) || len(tok) != 43 {
		t.Fatalf("token %q", tok)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
	again, err := guard.LoadOrCreateToken(path)
	if err != nil || again != tok {
		t.Fatalf("reload: %q %v, want %q", again, err, tok)
	}
	other, _ := guard.LoadOrCreateToken(filepath.Join(t.TempDir(), ".neko_token"))
	if other == tok {
		t.Fatal("two installs got the same token")
	}
}

func TestTokenFileRepairAndRotate(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".neko_token")
	if err := os.WriteFile(path, []byte("short\x00junk"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := guard.OpenTokenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	tok := s.Token()
	if !guard.ValidToken(tok) {
		t.Fatalf("damaged file not replaced: %q", tok)
	}
	b, _ := os.ReadFile(path)
	if strings.TrimSpace(string(b)) != tok {
		t.Fatalf("file %q, token %q", b, tok)
	}
	if st, _ := os.Stat(path); runtime.GOOS != "windows" && st.Mode().Perm() != 0o600 {
		t.Errorf("mode after repair %v", st.Mode().Perm())
	}
	next, err := s.Rotate()
	if err != nil || next == tok || s.Token() != next {
		t.Fatalf("rotate: %q %v", next, err)
	}
	if got, _ := guard.LoadOrCreateToken(path); got != next {
		t.Fatalf("rotated token not persisted: %q", got)
	}
	// A loose mode from a copied folder is tightened on load.
	if runtime.GOOS != "windows" {
		os.Chmod(path, 0o644)
		if _, err := guard.OpenTokenStore(path); err != nil {
			t.Fatal(err)
		}
		if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
			t.Errorf("mode not tightened: %v", st.Mode().Perm())
		}
	}
}

func TestTokenFileSymlinkRefused(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symlinks need privileges on Windows")
	}
	dir := t.TempDir()
	target := filepath.Join(dir, "elsewhere")
	os.WriteFile(target, []byte(strings.Repeat("a", 43)), 0o600)
	link := filepath.Join(dir, ".neko_token")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if _, err := guard.OpenTokenStore(link); err == nil {
		t.Fatal("a symlinked token file was accepted")
	}
}

func TestInjectTokenMeta(t *testing.T) {
	tok := "abc_DEF-123"
	meta := `<meta name="neko-token" content="abc_DEF-123">`
	for _, c := range []struct{ in, want string }{
		{`<!doctype html><html><head><title>x</title></head><body></body></html>`,
			`<!doctype html><html><head>` + meta + `<title>x</title></head><body></body></html>`},
		{`<HTML lang="ja"><HEAD data-x="1"><meta charset="utf-8"></HEAD></HTML>`,
			`<HTML lang="ja"><HEAD data-x="1">` + meta + `<meta charset="utf-8"></HEAD></HTML>`},
		{`<html><header>h</header><head></head></html>`,
			`<html><header>h</header><head>` + meta + `</head></html>`},
		{`<html><body>no head</body></html>`, `<html>` + meta + `<body>no head</body></html>`},
		{`plain`, meta + `plain`},
	} {
		if got := string(guard.InjectTokenMeta([]byte(c.in), tok)); got != c.want {
			t.Errorf("InjectTokenMeta(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
	evil := guard.InjectTokenMeta([]byte("<head>"), `"><script>`)
	if bytes.Contains(evil, []byte("<script>")) {
		t.Errorf("token not escaped: %s", evil)
	}
}
