package memory_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// Forgetting or editing an archived turn also changes recent memory, so
// the next session's context does not bring it back.
func TestForgetAndEditReachRecentMemory(t *testing.T) {
	e := newEnv(t, false, false)
	e.do("POST", "/cache/test", history(t, "user", "my bank PIN is 4321", "ai", "I will keep it secret", "user", "I live on Elm Street"))
	_, body := e.do("GET", "/memory/test/archive/original", "")
	var list struct {
		Items []struct {
			ID   int64  `json:"id"`
			Text string `json:"text"`
		} `json:"items"`
	}
	json.Unmarshal([]byte(body), &list)
	ids := map[string]int64{}
	for _, it := range list.Items {
		ids[it.Text] = it.ID
	}
	if code, resp := e.do("DELETE", "/memory/test/archive/original/"+itoa(int(ids["my bank PIN is 4321"])), ""); code != 200 {
		t.Fatalf("delete: %d %s", code, resp)
	}
	if code, resp := e.do("PUT", "/memory/test/archive/original/"+itoa(int(ids["I live on Elm Street"])), `{"text":"I live on Oak Street"}`); code != 200 {
		t.Fatalf("edit: %d %s", code, resp)
	}
	_, text := e.do("GET", "/new_dialog/test", "")
	if strings.Contains(text, "4321") || !strings.Contains(text, "Oak Street") || strings.Contains(text, "Elm") {
		t.Fatalf("recent memory not updated:\n%s", text)
	}
	if code, _ := e.do("DELETE", "/memory/test/archive/original/99999", ""); code != 404 {
		t.Fatalf("missing id: %d", code)
	}
	if _, s := e.do("GET", "/search_for_memory/test/bank PIN", ""); strings.Contains(s, "4321") {
		t.Fatalf("forgotten entry recalled: %s", s)
	}
}
