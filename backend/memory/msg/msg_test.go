package msg_test

import (
	"encoding/json"
	"strings"
	"testing"

	"neko/backend/memory/msg"
)

func TestLangChainRoundTrip(t *testing.T) {
	in := []msg.Message{
		{Role: msg.System, Text: msg.MemoPrefix + "无。"},
		{Role: msg.Human, Text: "hello", ID: 7},
		{Role: msg.AI, Text: "[20260312 Thu 21:05] hi"},
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type":"ai","data":{"content":[{"type":"text","text":"[20260312 Thu 21:05] hi"}],"additional_kwargs":{},"response_metadata":{},"type":"ai","name":null,"id":null,"example":false,"tool_calls":[],"invalid_tool_calls":[],"usage_metadata":null}}`
	if !strings.Contains(string(b), want) {
		t.Fatalf("ai entry not in LangChain shape:\n%s", b)
	}
	if !strings.Contains(string(b), `{"type":"system","data":{"content":"先前对话的备忘录: 无。","additional_kwargs":{},"response_metadata":{},"type":"system","name":null,"id":null}}`) {
		t.Fatalf("system entry shape:\n%s", b)
	}
	out, err := msg.ParseList(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 3 || out[1] != in[1] || out[0] != in[0] || out[2] != in[2] {
		t.Fatalf("round trip: %+v", out)
	}
}

func TestParseInputHistory(t *testing.T) {
	body := `{"input_history":"[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hi \"},{\"type\":\"text\",\"text\":\"there\"}]},{\"role\":\"assistant\",\"content\":\"yo\"}]"}`
	var req struct {
		InputHistory json.RawMessage `json:"input_history"`
	}
	if err := json.Unmarshal([]byte(body), &req); err != nil {
		t.Fatal(err)
	}
	got, err := msg.ParseInputHistory(req.InputHistory)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Role != msg.Human || got[0].Text != "hi there" || got[1].Role != msg.AI || got[1].Text != "yo" {
		t.Fatalf("%+v", got)
	}
	enc, _ := msg.InputHistory(got)
	again, err := msg.ParseInputHistory(json.RawMessage(mustJSON(enc)))
	if err != nil || len(again) != 2 || again[1] != got[1] {
		t.Fatalf("re-encode: %v %+v", err, again)
	}
	for _, bad := range []string{``, `null`, `"not json"`, `"[{\"role\":\"wizard\",\"content\":\"x\"}]"`, `"[{\"role\":\"user\",\"content\":5}]"`} {
		if _, err := msg.ParseInputHistory(json.RawMessage(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

func mustJSON(s string) string { b, _ := json.Marshal(s); return string(b) }
