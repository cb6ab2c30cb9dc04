package config

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
)

// The config files are edited by hand and copied from the original app, so
// every parser must turn any bytes into either a value or an error, and a
// parsed value must survive the write → read round trip unchanged (a save
// never loses or reshapes what the user had).

func FuzzParseCharacters(f *testing.F) {
	if b, err := os.ReadFile("testdata/characters_legacy.json"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"主人":{"档案名":"哥哥"},"猫娘":{"小天":{"_reserved":{"voice_id":"v"}}},"当前猫娘":"小天"}`))
	f.Add([]byte(`{"猫娘":{"a":{"live2d":"x","lighting":{"ambient":9}}},"extra":[1,2]}`))
	f.Add([]byte(`{"猫娘":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := parseCharacters(data)
		if err != nil {
			return
		}
		once, err := json.Marshal(c)
		if err != nil {
			t.Fatalf("marshal a parsed file: %v", err)
		}
		again, err := parseCharacters(once)
		if err != nil {
			t.Fatalf("our own output does not parse: %v\n%s", err, once)
		}
		twice, err := json.Marshal(again)
		if err != nil {
			t.Fatalf("marshal again: %v", err)
		}
		if !bytes.Equal(once, twice) {
			t.Fatalf("round trip changed the file:\n%s\n%s", once, twice)
		}
	})
}

func FuzzParseCoreConfig(f *testing.F) {
	f.Add([]byte(`{"coreApi":"qwen","coreApiKey":"sk-x","enableCustomApi":true,"textGuardMaxLength":300}`))
	f.Add([]byte(`{"textGuardMaxLength":-1}`))
	f.Add([]byte(`{"enableCustomApi":"yes"}`))
	f.Add([]byte(`{"a":{"b":[1,2,{"c":null}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := parseCoreConfig(data)
		if err != nil {
			return
		}
		_ = c.Masked()
		b, err := json.Marshal(c.Object)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		back, err := parseCoreConfig(b)
		if err != nil {
			t.Fatalf("our own output does not parse: %v\n%s", err, b)
		}
		if got := back.Keys(); len(got) != len(c.Keys()) {
			t.Fatalf("keys changed: %v → %v", c.Keys(), got)
		}
	})
}

func FuzzParsePreferences(f *testing.F) {
	f.Add([]byte(`[{"model_path":"/static/mao_pro/mao_pro.model3.json","position":{"x":1,"y":2},"scale":{"x":0.3,"y":0.3}}]`))
	f.Add([]byte(`[{"model_path":""}]`))
	f.Add([]byte(`[null]`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := parsePreferences(data)
		if err != nil {
			return
		}
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		back, err := parsePreferences(b)
		if err != nil {
			t.Fatalf("our own output does not parse: %v\n%s", err, b)
		}
		if len(back) != len(p) {
			t.Fatalf("entries changed: %d → %d", len(p), len(back))
		}
	})
}
