package llm_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"neko/backend/config"
	"neko/backend/llm"
	"neko/backend/llm/llmtest"
)

func portOf(t *testing.T, addr string) int {
	t.Helper()
	_, p, _ := net.SplitHostPort(addr)
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func closedPort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := portOf(t, ln.Addr().String())
	ln.Close()
	return p
}

func TestDiscoverFindsOllamaStyleServer(t *testing.T) {
	ollama := llmtest.New(t)
	ollama.SetModels("llama3.2:latest", "qwen2.5:7b")
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("<html>not a model server</html>"))
	}))
	defer other.Close()
	d := &llm.Discoverer{Candidates: []llm.LocalCandidate{
		{Name: "Ollama", Port: portOf(t, ollama.Addr())},
		{Name: "LM Studio", Port: closedPort(t)},
		{Name: "llama.cpp", Port: portOf(t, other.Listener.Addr().String())},
	}}
	found := d.Discover(context.Background())
	if len(found) != 1 || found[0].Name != "Ollama" || found[0].BaseURL != ollama.BaseURL() ||
		strings.Join(found[0].Models, ",") != "llama3.2:latest,qwen2.5:7b" {
		t.Fatalf("found %+v", found)
	}
	if first := d.First(context.Background()); first == nil || first.Name != "Ollama" {
		t.Fatalf("first %+v", first)
	}
	if (&llm.Discoverer{Candidates: []llm.LocalCandidate{{Name: "none", Port: closedPort(t)}}}).First(context.Background()) != nil {
		t.Fatal("nothing to find")
	}
	// The discovered server really serves chat.
	c := llm.NewChatClient(llm.Endpoint{BaseURL: found[0].BaseURL, Model: found[0].Models[0]})
	if _, err := c.Complete(context.Background(), userMsg("hi")); err != nil {
		t.Fatal(err)
	}
}

func TestLocalProvidersHandler(t *testing.T) {
	ollama := llmtest.New(t)
	d := &llm.Discoverer{Candidates: []llm.LocalCandidate{{Name: "Ollama", Port: portOf(t, ollama.Addr())}, {Name: "vLLM", Port: closedPort(t)}}}
	rec := httptest.NewRecorder()
	llm.LocalProvidersHandler(d)(rec, httptest.NewRequest("GET", "/api/config/local_providers", nil))
	var out struct {
		Success   bool
		Providers []llm.LocalServer
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || !out.Success || len(out.Providers) != 1 || out.Providers[0].Models[0] != "test-model" {
		t.Fatalf("body %s", rec.Body)
	}
}

func checkVia(t *testing.T, p *llm.ProviderChecker, body string) llm.CheckResult {
	t.Helper()
	rec := httptest.NewRecorder()
	llm.TestProviderHandler(p)(rec, httptest.NewRequest("POST", "/api/config/test_provider", strings.NewReader(body)))
	var res llm.CheckResult
	if rec.Code != 200 {
		t.Fatalf("status %d body %s", rec.Code, rec.Body)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	return res
}

func TestTestProviderHandler(t *testing.T) {
	s := llmtest.New(t)
	s.SetAPIKey("good")
	s.SetModels("m1", "emb")
	cfg := coreCfg(t, map[string]any{"enableCustomApi": true, "summaryModelUrl": s.BaseURL(), "summaryModelId": "m1",
		"summaryModelApiKey": "good", "omniModelUrl": s.RealtimeURL(), "omniModelId": "qwen3-omni", "omniModelApiKey": "good"})
	p := &llm.ProviderChecker{Config: func() config.CoreConfig { return cfg }, Catalog: catalog(t)}
	cases := []struct {
		body, want string
	}{
		{`{"role":"summary"}`, llm.CheckOK},
		{`{"role":"summary","api_key":"` + config.MaskSecret("good") + `"}`, llm.CheckOK},
		{`{"role":"summary","api_key":"bad"}`, llm.CheckAuthFailed},
		{`{"role":"summary","model":"nope"}`, llm.CheckModelMissing},
		{`{"role":"summary","base_url":"http://127.0.0.1:` + strconv.Itoa(closedPort(t)) + `/v1"}`, llm.CheckUnreachable},
		{`{"role":"realtime"}`, llm.CheckOK},
		{`{"role":"realtime","api_key":"bad"}`, llm.CheckAuthFailed},
		{`{"role":"embedding","base_url":"` + s.BaseURL() + `","api_key":"good","model":"emb"}`, llm.CheckOK},
		{`{"role":"summary","base_url":"file:///etc/passwd"}`, llm.CheckError},
		// The saved key is not sent to a URL the request picked.
		{`{"role":"summary","base_url":"` + s.BaseURL() + `/","api_key":"` + config.MaskSecret("good") + `"}`, llm.CheckAuthFailed},
	}
	for _, tc := range cases {
		res := checkVia(t, p, tc.body)
		if res.Status != tc.want || res.Success != (tc.want == llm.CheckOK) {
			t.Fatalf("%s: %+v", tc.body, res)
		}
	}
	rec := httptest.NewRecorder()
	llm.TestProviderHandler(p)(rec, httptest.NewRequest("POST", "/", strings.NewReader(`{"role":`)))
	if rec.Code != 400 {
		t.Fatalf("malformed JSON: %d", rec.Code)
	}
	rec = httptest.NewRecorder()
	llm.TestProviderHandler(p)(rec, httptest.NewRequest("POST", "/", strings.NewReader(`{"role":"nonsense"}`)))
	if rec.Code != 400 {
		t.Fatalf("bad role: %d", rec.Code)
	}
}
