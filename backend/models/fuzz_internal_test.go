package models

import (
	"encoding/json"
	"reflect"
	"testing"

	"neko/backend/config"
)

// FuzzModel3JSON feeds arbitrary model3.json files (they come from uploads
// and the Steam workshop) through what the server does with them: read as an
// ordered object, derive the emotion mapping, store a mapping back and read
// it again. Nothing may panic, and a stored mapping must read back as saved.
func FuzzModel3JSON(f *testing.F) {
	f.Add([]byte(`{"Version":3,"FileReferences":{"Moc":"m.moc3","Textures":["t.png"],` +
		`"Motions":{"Idle":[{"File":"idle.motion3.json"}],"TapBody":[{"File":"tap.motion3.json"}]},` +
		`"Expressions":[{"Name":"happy_1","File":"h.exp3.json"},{"Name":"sad","File":"s.exp3.json"}]}}`))
	f.Add([]byte(`{"FileReferences":{"Motions":{"":[{}]},"Expressions":[{"Name":"_x"}]}}`))
	f.Add([]byte(`{"EmotionMapping":{"motions":{"happy":["a"]},"expressions":null}}`))
	f.Add([]byte(`{"FileReferences":{"Motions":[1,2],"Expressions":{"a":1}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		o := config.NewObject()
		if err := json.Unmarshal(data, o); err != nil {
			return
		}
		em := emotionsOf(o)
		if em.Motions == nil || em.Expressions == nil {
			t.Fatalf("mapping with nil maps: %+v", em)
		}
		if err := o.Set("EmotionMapping", em); err != nil {
			t.Fatalf("store mapping: %v", err)
		}
		b, err := json.MarshalIndent(o, "", "  ")
		if err != nil {
			t.Fatalf("marshal model: %v", err)
		}
		back := config.NewObject()
		if err := json.Unmarshal(b, back); err != nil {
			t.Fatalf("our own model file does not parse: %v", err)
		}
		if got := emotionsOf(back); !reflect.DeepEqual(got, em) {
			t.Fatalf("stored mapping reads back differently:\n%+v\n%+v", em, got)
		}
		if back.Len() != o.Len() {
			t.Fatalf("fields changed: %v → %v", o.Keys(), back.Keys())
		}
	})
}
