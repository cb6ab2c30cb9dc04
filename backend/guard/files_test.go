package guard_test

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"neko/backend/guard"
)

func TestSafeName(t *testing.T) {
	for _, n := range []string{"model.vrm", "猫娘.vrm", "a b.vrma", "x..y"} {
		if err := guard.SafeName(n); err != nil {
			t.Errorf("%q refused: %v", n, err)
		}
	}
	for _, n := range []string{"", ".", "..", "../x", "a/b", `a\b`, "/etc/passwd", `C:\x`, "c:x", ".hidden",
		"a\x00b", "a\nb", strings.Repeat("a", 256), "\xff"} {
		if err := guard.SafeName(n); !errors.Is(err, guard.ErrUnsafeName) {
			t.Errorf("%q accepted", n)
		}
	}
}

func TestSaveStream(t *testing.T) {
	dir := t.TempDir()
	n, err := guard.SaveStream(dir, "a.vrm", strings.NewReader("hello"), 10)
	if err != nil || n != 5 {
		t.Fatalf("%d %v", n, err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "a.vrm")); string(b) != "hello" {
		t.Fatalf("content %q", b)
	}
	if _, err := guard.SaveStream(dir, "b.vrm", strings.NewReader("01234567890"), 10); !errors.Is(err, guard.ErrTooLarge) {
		t.Fatalf("oversize: %v", err)
	}
	if _, err := guard.SaveStream(dir, "../escape.vrm", strings.NewReader("x"), 10); !errors.Is(err, guard.ErrUnsafeName) {
		t.Fatalf("traversal: %v", err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("left behind: %v", ents)
	}
	// Replacing a planted symlink replaces the link, never its target.
	if runtime.GOOS != "windows" {
		outside := filepath.Join(t.TempDir(), "victim")
		os.WriteFile(outside, []byte("keep"), 0o600)
		os.Symlink(outside, filepath.Join(dir, "link.vrm"))
		if _, err := guard.SaveStream(dir, "link.vrm", strings.NewReader("new"), 10); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(outside); string(b) != "keep" {
			t.Fatalf("symlink target overwritten: %q", b)
		}
	}
}

// rawGet sends path unmodified (no client-side cleaning) and returns the
// status and body.
func rawGet(t *testing.T, addr, path string) (int, string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: "+addr+"\r\nConnection: close\r\n\r\n")
	resp, err := http.ReadResponse(bufioReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestFileServerConfinement(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "vrm")
	os.MkdirAll(filepath.Join(root, "sub"), 0o755)
	os.WriteFile(filepath.Join(root, "ok.vrm"), []byte("model"), 0o644)
	os.WriteFile(filepath.Join(root, "sub", "in.txt"), []byte("inside"), 0o644)
	os.WriteFile(filepath.Join(base, "secret.txt"), []byte("CANARY-OUTSIDE"), 0o644)
	if runtime.GOOS != "windows" {
		os.Symlink(filepath.Join(base, "secret.txt"), filepath.Join(root, "link.txt"))
		os.Symlink(base, filepath.Join(root, "dirlink"))
		os.Symlink("sub/in.txt", filepath.Join(root, "innerlink.txt"))
	}
	fsrv, err := guard.NewFileServer(root)
	if err != nil {
		t.Fatal(err)
	}
	defer fsrv.Close()
	mux := http.NewServeMux()
	mux.Handle("/user_vrm/", http.StripPrefix("/user_vrm", fsrv))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	addr := srv.Listener.Addr().String()

	if code, body := rawGet(t, addr, "/user_vrm/ok.vrm"); code != 200 || body != "model" {
		t.Fatalf("plain file: %d %q", code, body)
	}
	if runtime.GOOS != "windows" {
		if code, body := rawGet(t, addr, "/user_vrm/innerlink.txt"); code != 200 || body != "inside" {
			t.Errorf("symlink inside the root: %d %q", code, body)
		}
	}
	for _, p := range []string{
		"/user_vrm/../secret.txt", "/user_vrm/%2e%2e/secret.txt", "/user_vrm/..%2fsecret.txt",
		"/user_vrm/%2e%2e%2fsecret.txt", "/user_vrm/..%5csecret.txt", "/user_vrm/sub/../../secret.txt",
		"/user_vrm//" + filepath.Join(base, "secret.txt"), "/user_vrm/link.txt", "/user_vrm/dirlink/secret.txt",
		"/user_vrm/%252e%252e/secret.txt", "/user_vrm/", "/user_vrm/sub/",
	} {
		code, body := rawGet(t, addr, p)
		if strings.Contains(body, "CANARY-OUTSIDE") || strings.Contains(body, "ok.vrm") || strings.Contains(body, "in.txt") {
			t.Errorf("%s leaked: %d %q", p, code, body)
		}
		if code == 200 {
			t.Errorf("%s: status 200 (%q)", p, body)
		}
	}
}
