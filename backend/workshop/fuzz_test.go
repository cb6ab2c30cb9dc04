package workshop_test

import (
	"encoding/json"
	"errors"
	"testing"

	"neko/backend/workshop"
)

// FuzzParseVDF checks that no input panics or hangs the VDF parser and that
// every success yields a well-formed tree.
func FuzzParseVDF(f *testing.F) {
	f.Add([]byte(`"libraryfolders" { "0" { "path" "/home/u/.local/share/Steam" "apps" { "4099310" "1" } } }`))
	f.Add([]byte(`"LibraryFolders" { "1" "D:\\Games\\Steam" }`))
	f.Add([]byte("// c\nkey value [$WIN32]\n\"q\\\"\" { }"))
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := workshop.ParseVDF(data)
		if err != nil {
			if !errors.Is(err, workshop.ErrVDF) {
				t.Fatalf("error does not wrap ErrVDF: %v", err)
			}
			return
		}
		var walk func(kv *workshop.KV, depth int)
		walk = func(kv *workshop.KV, depth int) {
			if depth > 40 {
				t.Fatal("tree deeper than the parser's limit")
			}
			if !kv.IsObject && len(kv.Children) > 0 {
				t.Fatal("a string node has children")
			}
			for _, c := range kv.Children {
				walk(c, depth+1)
			}
		}
		walk(doc, 0)
	})
}

// FuzzParseCard checks that the card parser never panics, that accepted
// names are valid, and that the profile built from any accepted card is a
// JSON object without reserved fields.
func FuzzParseCard(f *testing.F) {
	f.Add([]byte(`{"档案名":"Mao","性别":"女","live2d":"mao","_reserved":{"voice_id":"x"}}`))
	f.Add([]byte(`{"name":"N.E.K.O","tags":["a"],"n":12345678901234567890}`))
	f.Add([]byte(`{"档案名":"../x"}`))
	f.Add([]byte(`[[[[[[[[[[]]]]]]]]]]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := workshop.ParseCard(data)
		if err != nil {
			if !errors.Is(err, workshop.ErrCard) {
				t.Fatalf("error does not wrap ErrCard: %v", err)
			}
			return
		}
		if err := workshop.ValidateName(c.Name); err != nil {
			t.Fatalf("accepted an invalid name %q: %v", c.Name, err)
		}
		prof, err := workshop.CardProfile(c, workshop.Item{ID: "1"})
		if err != nil {
			t.Fatalf("profile of an accepted card: %v", err)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(prof, &m); err != nil {
			t.Fatalf("profile is not a JSON object: %v\n%s", err, prof)
		}
		for _, k := range []string{"档案名", "live2d", "voice_id", "system_prompt", "name", "tags"} {
			if _, ok := m[k]; ok {
				t.Fatalf("reserved field %q in profile", k)
			}
		}
		if _, ok := m["_reserved"]; !ok {
			t.Fatal("profile without _reserved")
		}
	})
}
