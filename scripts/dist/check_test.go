// Tests for check.sh, the package checker `make dist` runs: small real
// packages (dpkg-deb, makensis) that pass, and broken ones that must fail.
package dist_test

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"neko/backend/testutil"
)

func run(t *testing.T, dir, name string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func writeFile(t *testing.T, path string, data []byte, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, mode); err != nil {
		t.Fatal(err)
	}
}

func pngOf(t *testing.T, n int) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewNRGBA(image.Rect(0, 0, n, n))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// stageDeb lays out a package like dist.sh does, with an x86-64 ELF as the binary.
func stageDeb(t *testing.T, dir, depends string, withDesktop bool) string {
	elf, err := os.ReadFile("/bin/true")
	if err != nil {
		t.Skip("no /bin/true to stand in for the binary")
	}
	st := filepath.Join(dir, "stage")
	writeFile(t, filepath.Join(st, "usr/bin/neko"), elf, 0o755)
	if withDesktop {
		desktop, err := os.ReadFile("../../build/linux/neko.desktop")
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(st, "usr/share/applications/neko.desktop"), desktop, 0o644)
	}
	for _, n := range []int{48, 256} {
		writeFile(t, filepath.Join(st, "usr/share/icons/hicolor", strconv.Itoa(n)+"x"+strconv.Itoa(n), "apps/neko.png"), pngOf(t, n), 0o644)
	}
	writeFile(t, filepath.Join(st, "usr/share/doc/neko/copyright"), []byte("MIT\n"), 0o644)
	control, err := os.ReadFile("../../build/linux/control.in")
	if err != nil {
		t.Fatal(err)
	}
	c := strings.NewReplacer("@VERSION@", "1.2.3", "@SIZE@", "100").Replace(string(control))
	if depends != "" {
		lines := strings.Split(c, "\n")
		for i, l := range lines {
			if strings.HasPrefix(l, "Depends:") {
				lines[i] = "Depends: " + depends
			}
		}
		c = strings.Join(lines, "\n")
	}
	writeFile(t, filepath.Join(st, "DEBIAN/control"), []byte(c), 0o644)
	deb := filepath.Join(dir, "neko.deb")
	if out, err := run(t, dir, "dpkg-deb", "--root-owner-group", "--build", st, deb); err != nil {
		t.Fatalf("dpkg-deb: %v\n%s", err, out)
	}
	return deb
}

func TestCheckDeb(t *testing.T) {
	testutil.RequireTool(t, "dpkg-deb")
	testutil.RequireTool(t, "file")
	dir := t.TempDir()
	deb := stageDeb(t, dir, "", true)
	if out, err := run(t, ".", "./check.sh", "deb", deb); err != nil {
		t.Fatalf("a good package failed the check: %v\n%s", err, out)
	}

	for name, mk := range map[string]func(string) string{
		"missing .desktop": func(d string) string { return stageDeb(t, d, "", false) },
		"missing webkit":   func(d string) string { return stageDeb(t, d, "libgtk-3-0, libasound2", true) },
	} {
		d := filepath.Join(dir, strings.ReplaceAll(name, " ", "-"))
		bad := mk(d)
		if out, err := run(t, ".", "./check.sh", "deb", bad); err == nil || !strings.Contains(out, "FAIL") {
			t.Errorf("%s: check passed:\n%s", name, out)
		}
	}
}

func TestCheckNSIS(t *testing.T) {
	makensis := testutil.RequireTool(t, "makensis")
	testutil.RequireTool(t, "file")
	dir := t.TempDir()
	// a tiny installer carrying the files a real one must carry
	writeFile(t, filepath.Join(dir, "neko.exe"), []byte("MZ stand-in"), 0o644)
	writeFile(t, filepath.Join(dir, "tmp", "MicrosoftEdgeWebview2Setup.exe"), []byte("MZ stand-in"), 0o644)
	writeFile(t, filepath.Join(dir, "t.nsi"), []byte(`Unicode true
Name "t"
OutFile "installer.exe"
RequestExecutionLevel user
InstallDir "$LOCALAPPDATA\t"
Section
  InitPluginsDir
  SetOutPath "$pluginsdir\webview2bootstrapper"
  File "tmp\MicrosoftEdgeWebview2Setup.exe"
  SetOutPath $INSTDIR
  File "neko.exe"
SectionEnd
`), 0o644)
	if out, err := run(t, dir, makensis, "-V2", "t.nsi"); err != nil {
		t.Fatalf("makensis: %v\n%s", err, out)
	}
	inst := filepath.Join(dir, "installer.exe")
	if out, err := run(t, ".", "./check.sh", "nsis", inst); err != nil {
		t.Fatalf("a good installer failed the check: %v\n%s", err, out)
	}
	notPE := filepath.Join(dir, "not.exe")
	writeFile(t, notPE, []byte("#!/bin/sh\n"), 0o755)
	if out, err := run(t, ".", "./check.sh", "nsis", notPE); err == nil || !strings.Contains(out, "not a PE") {
		t.Errorf("a non-PE file passed:\n%s", out)
	}
	// the installer is a PE but not a PE32+ GUI app
	if out, err := run(t, ".", "./check.sh", "nsis", inst, inst); err == nil || !strings.Contains(out, "PE32+") {
		t.Errorf("a 32-bit installer passed as the x86-64 app:\n%s", out)
	}
}
