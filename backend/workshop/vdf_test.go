package workshop_test

import (
	"errors"
	"strings"
	"testing"

	"neko/backend/workshop"
)

func TestParseVDF(t *testing.T) {
	doc, err := workshop.ParseVDF([]byte("\xef\xbb\xbf" + `// comment
"libraryfolders"
{
	"0"
	{
		"path"		"C:\\Program Files (x86)\\Steam"
		"label"		"say \"hi\"\n"
	}
	unquoted value [$WIN32]
	"1"		"D:\\Old Library"
	"nested" { "a" { "b" "c" } }
}
`))
	if err != nil {
		t.Fatal(err)
	}
	lf := doc.Child("LibraryFolders") // case-insensitive like Steam
	if lf == nil || !lf.IsObject || len(lf.Children) != 4 {
		t.Fatalf("libraryfolders = %+v", lf)
	}
	if got := lf.Child("0").Child("path").Value; got != `C:\Program Files (x86)\Steam` {
		t.Errorf("path = %q", got)
	}
	if got := lf.Child("0").Child("label").Value; got != "say \"hi\"\n" {
		t.Errorf("label = %q", got)
	}
	if got := lf.Child("unquoted").Value; got != "value" {
		t.Errorf("unquoted = %q", got)
	}
	if got := lf.Child("1").Value; got != `D:\Old Library` {
		t.Errorf("old format = %q", got)
	}
	if got := lf.Child("nested").Child("a").Child("b").Value; got != "c" {
		t.Errorf("nested = %q", got)
	}
	if doc.Child("missing") != nil || (*workshop.KV)(nil).Child("x") != nil {
		t.Error("missing keys must be nil")
	}
}

func TestParseVDFRejectsHostileInput(t *testing.T) {
	cases := map[string]string{
		"unterminated string": `"a" "b`,
		"missing close":       `"a" { "b" "c"`,
		"stray close":         `"a" "b" }`,
		"key without value":   `"a"`,
		"open without key":    `{ "a" "b" }`,
		"deep nesting":        strings.Repeat(`"k" {`, 100) + strings.Repeat("}", 100),
		"bad conditional":     `"a" "b" [$WIN32`,
		"escape at end":       `"a" "b\`,
		"huge token":          `"a" "` + strings.Repeat("x", 70<<10) + `"`,
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := workshop.ParseVDF([]byte(in)); !errors.Is(err, workshop.ErrVDF) {
				t.Fatalf("err = %v, want ErrVDF", err)
			}
		})
	}
	if _, err := workshop.ParseVDF(make([]byte, 5<<20)); !errors.Is(err, workshop.ErrVDF) {
		t.Fatalf("oversized: err = %v", err)
	}
}

func BenchmarkParseVDF(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`"libraryfolders" {`)
	for i := range 50 {
		sb.WriteString(`"` + strings.Repeat("1", 1+i%3) + `" { "path" "/mnt/lib" "apps" { "1" "2" "3" "4" } }`)
	}
	sb.WriteString("}")
	data := []byte(sb.String())
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := workshop.ParseVDF(data); err != nil {
			b.Fatal(err)
		}
	}
}
