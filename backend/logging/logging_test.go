package logging_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"neko/backend/logging"
)

func TestTextOnStderrJSONInFileWithRotation(t *testing.T) {
	dir := t.TempDir()
	var stderr bytes.Buffer
	log, closer, err := logging.New(logging.Options{Dir: dir, Stderr: &stderr, MaxBytes: 2000, Keep: 2})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 100; i++ {
		log.With("component", "test").Info("hello", "i", i)
	}
	closer.Close()
	if !strings.Contains(stderr.String(), "component=test") || !strings.Contains(stderr.String(), "msg=hello") {
		t.Fatalf("stderr is not text: %q", stderr.String()[:100])
	}
	files, _ := filepath.Glob(filepath.Join(dir, "neko.log*"))
	if len(files) != 3 {
		t.Fatalf("want neko.log + 2 rotated files, got %v", files)
	}
	for _, f := range files {
		fi, _ := os.Stat(f)
		if fi.Size() > 2000 {
			t.Errorf("%s is %d bytes, over the limit", f, fi.Size())
		}
		data, _ := os.ReadFile(f)
		for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			var m map[string]any
			if err := json.Unmarshal([]byte(line), &m); err != nil || m["msg"] != "hello" || m["component"] != "test" {
				t.Fatalf("%s: bad JSON line %q", f, line)
			}
		}
	}
	data, _ := os.ReadFile(filepath.Join(dir, "neko.log"))
	if !strings.Contains(string(data), `"i":99`) {
		t.Errorf("latest record not in the live file")
	}
}

func TestParseLevel(t *testing.T) {
	if _, err := logging.ParseLevel("loud"); err == nil {
		t.Error("bad level accepted")
	}
	if l, err := logging.ParseLevel("debug"); err != nil || l.String() != "DEBUG" {
		t.Errorf("debug: %v %v", l, err)
	}
}
