package msg_test

import (
	"encoding/json"
	"testing"

	"neko/backend/memory/msg"
)

func FuzzParseInputHistory(f *testing.F) {
	f.Add(`"[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hi\"}]}]"`)
	f.Add(`[{"role":"assistant","content":"x"}]`)
	f.Add(`"[]"`)
	f.Fuzz(func(t *testing.T, raw string) {
		msgs, err := msg.ParseInputHistory(json.RawMessage(raw))
		if err != nil {
			return
		}
		// Whatever parses re-encodes and parses to the same messages.
		enc, err := msg.InputHistory(msgs)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(enc)
		again, err := msg.ParseInputHistory(b)
		if err != nil || len(again) != len(msgs) {
			t.Fatalf("re-parse: %v %d/%d", err, len(again), len(msgs))
		}
		for i := range msgs {
			if again[i] != msgs[i] {
				t.Fatalf("message %d: %+v != %+v", i, again[i], msgs[i])
			}
		}
	})
}

func FuzzParseList(f *testing.F) {
	f.Add(`[{"type":"human","data":{"content":[{"type":"text","text":"hi"}],"id":"3"}}]`)
	f.Add(`[{"type":"system","data":{"content":"memo"}}]`)
	f.Fuzz(func(t *testing.T, raw string) {
		list, err := msg.ParseList([]byte(raw))
		if err != nil {
			return
		}
		b, err := json.Marshal(list)
		if err != nil {
			t.Fatal(err)
		}
		again, err := msg.ParseList(b)
		if err != nil || len(again) != len(list) {
			t.Fatalf("re-parse: %v", err)
		}
		for i := range list {
			if again[i] != list[i] {
				t.Fatalf("entry %d: %+v != %+v", i, again[i], list[i])
			}
		}
	})
}
