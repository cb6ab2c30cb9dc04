// Package testutil has helpers shared by neko's tests.
package testutil

import (
	"os"
	"os/exec"
	"testing"
)

// InCI reports whether the tests run under CI (CI=true), where every external
// tool the tests need is installed by .ci/run and a missing one is a failure.
func InCI() bool { return os.Getenv("CI") != "" && os.Getenv("CI") != "false" }

// RequireTool returns the path of an external program the test needs. When it
// is missing the test is skipped on a developer machine and fails under CI, so
// a gap is never hidden in CI.
func RequireTool(tb testing.TB, name string) string {
	tb.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if InCI() {
		tb.Fatalf("%s is required under CI but not installed (see scripts/apt-packages.txt)", name)
	}
	tb.Skipf("%s not installed; run `make deps` (CI installs it)", name)
	return ""
}

// RequireFile is RequireTool for a file path (a model, a voice, a browser).
func RequireFile(tb testing.TB, path string) string {
	tb.Helper()
	if _, err := os.Stat(path); err == nil {
		return path
	}
	if InCI() {
		tb.Fatalf("%s is required under CI but missing", path)
	}
	tb.Skipf("%s missing; run `make deps`", path)
	return ""
}
