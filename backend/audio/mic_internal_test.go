package audio

import (
	"encoding/json"
	"slices"
	"testing"
)

// Whatever the fast parser accepts, encoding/json reads the same way.
func FuzzParseInt16Array(f *testing.F) {
	for _, s := range []string{`[1,2,3]`, `[-32768, 32767]`, `[]`, ` [0] `, `[1e2]`, `[1.5]`, `[01]`, `["1"]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := parseInt16Array(nil, b)
		if err != nil {
			return
		}
		var want []int16
		if jerr := json.Unmarshal(b, &want); jerr != nil {
			t.Fatalf("%q: accepted, but encoding/json says %v", b, jerr)
		}
		if !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
			t.Fatalf("%q: got %v, encoding/json %v", b, got, want)
		}
	})
}
