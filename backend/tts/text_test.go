package tts_test

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"neko/backend/tts"
)

func TestClean(t *testing.T) {
	cases := []struct{ in, want string }{
		{"Hello **world**!", "Hello world!"},
		{"# Title\n- item one\n- item two", "Title item one item two"},
		{"(smiles) Nice to see you.", "Nice to see you."},
		{"好的（笑）我知道了。", "好的我知道了。"},
		{"[sighs] Fine. *waves* Bye!", "Fine. Bye!"},
		{"【动作：点头】嗯。", "嗯。"},
		{"<happy>Great!</happy>", "Great!"},
		{"Look 😀🎉 at this ✨", "Look at this"},
		{"See [the docs](https://example.com/x) now", "See the docs now"},
		{"Visit https://example.com today", "Visit today"},
		{"`code` and ```go\nfmt.Println()\n```", "code and fmt.Println"},
		{"(only a stage direction)", ""},
		{"🎉🎉", ""},
		{"...", ""},
		{"a | b", "a b"},
		{"unclosed (bracket goes", "unclosed"},
	}
	for _, c := range cases {
		if got := tts.Clean(c.in); got != c.want {
			t.Errorf("Clean(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestSplitterClauses(t *testing.T) {
	in := "Hello there! It is 3.14 degrees, and the time is 10:30. (laughs) 你好，今天天气很好。真的吗？"
	want := []string{"Hello there!", "It is 3.14 degrees,", "and the time is 10:30.", "你好，今天天气很好。", "真的吗？"}
	// Whole text at once, then rune by rune: the clauses must be identical.
	for _, step := range []int{len(in), 1, 3} {
		s := tts.NewSplitter()
		var got []string
		runes := []rune(in)
		for i := 0; i < len(runes); i += step {
			got = append(got, s.Push(string(runes[i:min(i+step, len(runes))]))...)
		}
		if f := s.Flush(); f != "" {
			got = append(got, f)
		}
		// The short Chinese greeting joins the next clause (MinComma).
		if !reflect.DeepEqual(got, want) {
			t.Errorf("step %d: got %q, want %q", step, got, want)
		}
	}
}

func TestSplitterFirstClauseEarly(t *testing.T) {
	s := tts.NewSplitter()
	if got := s.Push("Sure thing. Let me think about"); len(got) != 1 || got[0] != "Sure thing." {
		t.Fatalf("first clause not released early: %q", got)
	}
	if got := s.Push(" it"); len(got) != 0 {
		t.Fatalf("incomplete clause released: %q", got)
	}
	if got := s.Flush(); got != "Let me think about it" {
		t.Fatalf("flush = %q", got)
	}
}

func TestSplitterFirstClauseStartsAtFirstComma(t *testing.T) {
	s := tts.NewSplitter()
	got := s.Push("Well, I think so, yes, and then we go. ")
	want := []string{"Well,", "I think so,", "yes, and then we go."}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestSplitterKeepsStageDirectionWhole(t *testing.T) {
	s := tts.NewSplitter()
	got := s.Push("(She pauses. Then, softly!) I missed you. ")
	if !reflect.DeepEqual(got, []string{"I missed you."}) {
		t.Fatalf("got %q", got)
	}
}

func TestSplitterLongClauseIsCut(t *testing.T) {
	s := tts.NewSplitter()
	long := strings.Repeat("word ", 100)
	got := s.Push(long)
	if len(got) == 0 {
		t.Fatal("a 500-rune clause without punctuation was not cut")
	}
	for _, c := range got {
		if utf8.RuneCountInString(c) > s.MaxRunes {
			t.Fatalf("clause of %d runes > MaxRunes", utf8.RuneCountInString(c))
		}
	}
}

// A reply with nowhere to cut (a long URL, Thai, base64) must not pile up:
// the Splitter rescans its buffer on every delta, so an unbounded buffer
// makes streaming quadratic.
func TestSplitterCutsRunWithoutSpaces(t *testing.T) {
	for _, unit := range []string{"a", "ก", "-1", "a.b"} {
		s := tts.NewSplitter()
		var clauses []string
		for range 2000 {
			clauses = append(clauses, s.Push(unit)...)
		}
		if len(clauses) == 0 {
			t.Fatalf("%q×2000: no clause released", unit)
		}
		for _, c := range clauses {
			if n := utf8.RuneCountInString(c); n > 2*s.MaxRunes {
				t.Fatalf("%q: clause of %d runes > 2×MaxRunes", unit, n)
			}
		}
		if rest := utf8.RuneCountInString(s.Flush()); rest > 2*s.MaxRunes {
			t.Fatalf("%q: %d runes left buffered", unit, rest)
		}
	}
}

func TestDetectLanguage(t *testing.T) {
	cases := map[string]string{
		"Hello, how are you?": "en",
		"你好，今天天气很好。":          "zh",
		"こんにちは、元気ですか？":        "ja",
		"今日は雨が降っています":         "ja",
		"안녕하세요":               "ko",
		"Привет, как дела?":   "ru",
		"12345 !!!":           "",
		"我喜欢 Go 语言":           "zh",
		"مرحبا":               "ar",
	}
	for in, want := range cases {
		if got := tts.DetectLanguage(in); got != want {
			t.Errorf("DetectLanguage(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzSplitter(f *testing.F) {
	f.Add("Hello there! (smiles) 你好，世界。", 2)
	f.Add("**bold** [x](http://a) 😀 3.14, 10:30.", 1)
	f.Fuzz(func(t *testing.T, text string, step int) {
		if step <= 0 || step > 50 {
			step = 1
		}
		s := tts.NewSplitter()
		runes := []rune(text)
		for i := 0; i < len(runes); i += step {
			for _, c := range s.Push(string(runes[i:min(i+step, len(runes))])) {
				if c == "" || c != strings.TrimSpace(c) {
					t.Fatalf("bad clause %q", c)
				}
			}
		}
		_ = s.Flush()
	})
}

func BenchmarkSplitterStreaming(b *testing.B) {
	reply := strings.Repeat("Sure, **here** is the plan (she smiles). 第一步，我们先出发！Then we rest 😀. ", 20)
	runes := []rune(reply)
	b.SetBytes(int64(len(reply)))
	for b.Loop() {
		s := tts.NewSplitter()
		for i := 0; i < len(runes); i += 4 { // token-sized deltas
			s.Push(string(runes[i:min(i+4, len(runes))]))
		}
		s.Flush()
	}
}
