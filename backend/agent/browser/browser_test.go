package browser_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"neko/backend/agent/browser"
	"neko/backend/agent/model"
	"neko/backend/llm"
	"neko/backend/llm/llmtest"
	"neko/backend/testutil"
)

// site serves the test pages on 127.0.0.1.
type site struct {
	*httptest.Server
	mu        sync.Mutex
	submitted map[string]string
}

func newSite(t *testing.T) *site {
	s := &site{}
	done := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /form", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><title>Adoption form</title><h1>Adopt a cat</h1>
<form method="post" action="/submit">
<label for="n">Your name</label> <input id="n" name="name">
<label for="e">Email</label> <input id="e" name="email" type="email">
<label for="c">Cat colour</label> <select id="c" name="colour"><option value="">pick</option><option value="black">Black</option><option value="ginger">Ginger</option></select>
<input type="hidden" name="secret" value="x">
<button type="submit">Send</button></form>`)
	})
	mux.HandleFunc("POST /submit", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		s.mu.Lock()
		s.submitted = map[string]string{"name": r.FormValue("name"), "email": r.FormValue("email"), "colour": r.FormValue("colour")}
		s.mu.Unlock()
		fmt.Fprintf(w, `<!doctype html><title>Thanks</title><p>Thank you, %s! Application #4711 received.</p>`, r.FormValue("name"))
	})
	mux.HandleFunc("GET /facts", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><title>Catland</title><p>Welcome.</p><p id="f">The capital of Catland is Meowville.</p><a href="/form">adopt</a>`)
	})
	mux.HandleFunc("GET /never", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(200)
		fmt.Fprint(w, "<p>loading")
		w.(http.Flusher).Flush()
		select {
		case <-done:
		case <-r.Context().Done():
		}
	})
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	t.Cleanup(func() { close(done) })
	return s
}

func newBrowser(t *testing.T, o browser.Options) *browser.Browser {
	t.Helper()
	path := browser.FindChrome()
	if path == "" {
		path = "/usr/lib/chromium/chromium"
	}
	testutil.RequireFile(t, path)
	o.ExecPath, o.Headless, o.NoSandbox = path, true, true
	b := browser.New(o, nil)
	t.Cleanup(func() { b.Close() })
	return b
}

// scriptedModel answers each step with next(prompt).
func scriptedModel(t *testing.T, next func(step int, prompt string) string) model.Model {
	srv := llmtest.New(t)
	var mu sync.Mutex
	step := 0
	srv.ScriptChat(func(req llmtest.ChatRequest) llmtest.ChatReply {
		mu.Lock()
		step++
		n := step
		mu.Unlock()
		return llmtest.ChatReply{Text: next(n, req.LastUser())}
	})
	return model.FromEndpoints(func(string) llm.Endpoint {
		return llm.Endpoint{BaseURL: srv.BaseURL(), APIKey: "k", Model: "m"}
	}, nil)("agent")
}

// idOf finds the element id whose summary line contains want.
func idOf(prompt, want string) string {
	for _, line := range strings.Split(prompt, "\n") {
		if strings.Contains(line, want) {
			if m := regexp.MustCompile(`^\[(\d+)\]`).FindStringSubmatch(line); m != nil {
				return m[1]
			}
		}
	}
	return "0"
}

func TestFillAForm(t *testing.T) {
	s := newSite(t)
	b := newBrowser(t, browser.Options{})
	var prompts []string
	m := scriptedModel(t, func(n int, p string) string {
		prompts = append(prompts, p)
		switch n {
		case 1:
			return fmt.Sprintf(`{"action":"navigate","url":%q}`, s.URL+"/form")
		case 2:
			return `{"action":"type","id":` + idOf(p, `label="Your name"`) + `,"text":"Mochi"}`
		case 3:
			return `{"action":"type","id":` + idOf(p, `label="Email"`) + `,"text":"mochi@example.com"}`
		case 4:
			return `{"action":"select","id":` + idOf(p, `label="Cat colour"`) + `,"text":"Ginger"}`
		case 5:
			return `{"action":"click","id":` + idOf(p, `text="Send"`) + `}`
		}
		if m := regexp.MustCompile(`Application #(\d+)`).FindStringSubmatch(p); m != nil {
			return `{"action":"done","answer":"submitted, application ` + m[1] + `"}`
		}
		return `{"action":"fail","answer":"no confirmation"}`
	})
	var steps []string
	res, err := b.Run(context.Background(), browser.Task{Instruction: "adopt a ginger cat for Mochi", SessionID: "Lan", Model: m,
		Progress: func(step, total int, msg string) { steps = append(steps, msg) }})
	if err != nil || !res.Success || res.Answer != "submitted, application 4711" {
		t.Fatalf("Run = %+v, %v\nlast prompt:\n%s", res, err, prompts[len(prompts)-1])
	}
	s.mu.Lock()
	got := s.submitted
	s.mu.Unlock()
	if got["name"] != "Mochi" || got["email"] != "mochi@example.com" || got["colour"] != "ginger" {
		t.Fatalf("form received %v", got)
	}
	if strings.Contains(prompts[1], "secret") || !strings.Contains(prompts[1], "Adopt a cat") || len(steps) != 5 {
		t.Fatalf("page summary / progress wrong:\n%s\n%v", prompts[1], steps)
	}
}

func TestExtractAFactReusingTheTab(t *testing.T) {
	s := newSite(t)
	b := newBrowser(t, browser.Options{Screenshots: true})
	run := func(next func(int, string) string) (browser.Result, error) {
		return b.Run(context.Background(), browser.Task{Instruction: "what is the capital of Catland?", SessionID: "Lan", Model: scriptedModel(t, next)})
	}
	res, err := run(func(n int, p string) string {
		switch n {
		case 1:
			return fmt.Sprintf(`{"action":"navigate","url":%q}`, s.URL+"/facts")
		case 2:
			return `{"action":"extract","id":0}`
		}
		if m := regexp.MustCompile(`capital of Catland is (\w+)`).FindStringSubmatch(p[strings.Index(p, "Notes (extracted)"):]); m != nil {
			return `{"action":"done","answer":"` + m[1] + `"}`
		}
		return `{"action":"fail","answer":"fact not in notes"}`
	})
	if err != nil || res.Answer != "Meowville" {
		t.Fatalf("Run = %+v, %v", res, err)
	}
	// The next task of the same session starts on the same page.
	res, err = run(func(n int, p string) string {
		if strings.Contains(p, "URL: "+s.URL+"/facts") {
			return `{"action":"done","answer":"still here"}`
		}
		return `{"action":"fail","answer":"new tab"}`
	})
	if err != nil || res.Answer != "still here" {
		t.Fatalf("second Run = %+v, %v", res, err)
	}
}

func TestBadPagesAndAnswers(t *testing.T) {
	s := newSite(t)
	// A short load timeout for the page that never loads; the default for
	// the rest, so a loaded machine cannot fail the healthy pages.
	short := newBrowser(t, browser.Options{LoadTimeout: 2 * time.Second, MaxSteps: 3})
	m := scriptedModel(t, func(int, string) string { return fmt.Sprintf(`{"action":"navigate","url":%q}`, s.URL+"/never") })
	if _, err := short.Run(context.Background(), browser.Task{Instruction: "x", SessionID: "never", Model: m}); err == nil || !strings.Contains(err.Error(), "did not load within 2s") {
		t.Errorf("never loads: err = %v", err)
	}
	b := newBrowser(t, browser.Options{MaxSteps: 3})
	for _, c := range []struct {
		name   string
		answer string
		want   string
	}{
		{"file url", `{"action":"navigate","url":"file:///etc/passwd"}`, "only http(s)"},
		{"bad json", `let me think`, "not valid JSON"},
		{"unknown", `{"action":"hack"}`, "unknown action"},
		{"cap", `{"action":"scroll","pages":1}`, "step cap reached (3 steps)"},
	} {
		m := scriptedModel(t, func(int, string) string { return c.answer })
		_, err := b.Run(context.Background(), browser.Task{Instruction: "x", SessionID: c.name, Model: m})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
		}
	}
	// The browser still works afterwards.
	m = scriptedModel(t, func(n int, p string) string {
		if n == 1 {
			return fmt.Sprintf(`{"action":"navigate","url":%q}`, s.URL+"/facts")
		}
		return `{"action":"done","answer":"ok"}`
	})
	if res, err := b.Run(context.Background(), browser.Task{Instruction: "x", SessionID: "after", Model: m}); err != nil || !res.Success {
		t.Fatalf("after errors: %+v %v", res, err)
	}
	if !b.Running() {
		t.Fatal("browser not running")
	}
	b.Close()
	if _, err := b.Run(context.Background(), browser.Task{Instruction: "x", SessionID: "closed", Model: m}); err == nil || b.Running() {
		t.Fatalf("Run after Close = %v", err)
	}
}

func TestUnavailableWithoutBinary(t *testing.T) {
	b := browser.New(browser.Options{ExecPath: "/nonexistent/chrome"}, nil)
	if ok, why := b.Available(); ok || why != "AGENT_BROWSER_USE_NOT_INSTALLED" {
		t.Fatalf("Available = %v %q", ok, why)
	}
	m := scriptedModel(t, func(int, string) string { return `{"action":"done"}` })
	if _, err := b.Run(context.Background(), browser.Task{Instruction: "x", Model: m}); err == nil {
		t.Fatal("ran without a browser")
	}
	// A visible browser needs a display.
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	path := testutil.RequireFile(t, "/usr/lib/chromium/chromium")
	if ok, why := browser.New(browser.Options{ExecPath: path}, nil).Available(); ok || why != "AGENT_NO_DISPLAY" {
		t.Fatalf("visible without display: %v %q", ok, why)
	}
	if ok, _ := browser.New(browser.Options{ExecPath: path, Headless: true}, nil).Available(); !ok {
		t.Fatal("headless needs no display")
	}
}
