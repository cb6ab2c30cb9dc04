package model_test

import (
	"errors"
	"testing"

	"neko/backend/agent/model"
)

func TestDecodeJSON(t *testing.T) {
	type out struct {
		A int `json:"a"`
	}
	for _, ok := range []string{`{"a":1}`, "```json\n{\"a\":1}\n```", "Sure! {\"a\": 1} done"} {
		var o out
		if err := model.DecodeJSON(ok, &o); err != nil || o.A != 1 {
			t.Errorf("%q: %+v %v", ok, o, err)
		}
	}
	for _, bad := range []string{"", "no json here", `{"a": "x"}`, `{"a":1`} {
		var o out
		if err := model.DecodeJSON(bad, &o); !errors.Is(err, model.ErrBadJSON) {
			t.Errorf("%q: err = %v", bad, err)
		}
	}
}

func FuzzDecodeJSON(f *testing.F) {
	f.Add("```json\n{\"a\":1}\n```")
	f.Add("{}}{")
	f.Fuzz(func(t *testing.T, s string) {
		var v map[string]any
		_ = model.DecodeJSON(s, &v)
	})
}
