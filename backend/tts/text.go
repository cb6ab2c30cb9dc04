package tts

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Splitter cuts streamed reply text into clauses so speech can start after
// the first clause instead of the whole reply. It never cuts inside a
// bracketed stage direction, and it returns clauses already cleaned for
// speaking (see Clean); clauses that clean to nothing are skipped.
type Splitter struct {
	buf []rune
	// MinComma is the clause length (runes) below which a comma does not
	// end a clause, so speech is not chopped into tiny pieces.
	MinComma int
	// FirstMinComma is MinComma for the first clause of the reply, kept
	// small so the voice starts at the first comma ("Well, …").
	FirstMinComma int
	released      bool // a clause was returned
	// MaxRunes forces a cut at the last space (or anywhere for CJK) once a
	// clause grows this long without punctuation, and anywhere at twice it.
	MaxRunes int
}

// NewSplitter returns a Splitter with the default thresholds.
func NewSplitter() *Splitter { return &Splitter{MinComma: 8, FirstMinComma: 2, MaxRunes: 160} }

// Push adds a delta of text and returns the clauses it completed.
func (s *Splitter) Push(delta string) []string {
	if delta == "" {
		return nil
	}
	s.buf = append(s.buf, []rune(delta)...)
	var out []string
	for {
		n := s.cut()
		if n == 0 {
			return out
		}
		if c := Clean(string(s.buf[:n])); c != "" {
			out = append(out, c)
			s.released = true
		}
		s.buf = append(s.buf[:0], s.buf[n:]...)
	}
}

// Flush returns whatever text is left, cleaned, and resets the Splitter.
func (s *Splitter) Flush() string {
	c := Clean(string(s.buf))
	s.buf = s.buf[:0]
	s.released = false
	return c
}

func isTerminal(r rune) bool {
	switch r {
	case '。', '！', '？', '!', '?', '；', ';', '…', '\n', '．', '｡':
		return true
	}
	return false
}

func isComma(r rune) bool {
	switch r {
	case ',', '，', '、', '：', ':', '﹐', '､':
		return true
	}
	return false
}

func isCloser(r rune) bool {
	switch r {
	case '"', '\'', '”', '’', '」', '』', '》', '〉', '）', ')', '】', ']':
		return true
	}
	return false
}

func isCJK(r rune) bool {
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) ||
		unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Hangul, r)
}

// cut returns the length of the first complete clause in buf, or 0.
func (s *Splitter) cut() int {
	depth := 0
	visible := 0 // runes outside brackets, for the comma threshold
	minComma := s.MinComma
	if !s.released {
		minComma = s.FirstMinComma
	}
	lastSpace := -1
	for i := 0; i < len(s.buf); i++ {
		r := s.buf[i]
		switch r {
		case '(', '（', '[', '【', '<':
			depth++
			continue
		case ')', '）', ']', '】', '>':
			if depth > 0 {
				depth--
			}
			continue
		}
		if unicode.IsSpace(r) {
			lastSpace = i
		}
		if depth == 0 && !unicode.IsSpace(r) {
			visible++
		}
		if depth > 0 {
			if i >= 4*s.MaxRunes { // runaway bracket: give up protecting it
				return i + 1
			}
			continue
		}
		if i+1 >= 2*s.MaxRunes {
			// Nowhere to cut (a long URL, Thai, a run of symbols): a hard
			// cut keeps the buffer, rescanned on every delta, bounded.
			return i + 1
		}
		end := -1
		switch {
		case isTerminal(r):
			end = i + 1
		case r == '.':
			// "3.14" and a trailing "." wait for the next rune.
			if i+1 < len(s.buf) && (unicode.IsSpace(s.buf[i+1]) || isCJK(s.buf[i+1])) {
				end = i + 1
			} else if i+1 < len(s.buf) && isCloser(s.buf[i+1]) {
				end = i + 1
			}
		case isComma(r) && visible >= minComma:
			if r == ':' || r == ',' { // "10:30", "1,000" stay whole
				if i+1 >= len(s.buf) || unicode.IsDigit(s.buf[i+1]) {
					continue
				}
			}
			end = i + 1
		case i+1 >= s.MaxRunes:
			if lastSpace > 0 {
				return lastSpace + 1
			}
			if isCJK(r) {
				return i + 1
			}
		}
		if end < 0 {
			continue
		}
		// Keep runs of terminal marks and closing quotes with the clause.
		for end < len(s.buf) && (isTerminal(s.buf[end]) || s.buf[end] == '.' || isCloser(s.buf[end])) && s.buf[end] != '\n' {
			end++
		}
		if end == len(s.buf) && !isTerminal(s.buf[end-1]) && !isCloser(s.buf[end-1]) && s.buf[end-1] != '.' {
			return 0
		}
		return end
	}
	return 0
}

var (
	reCodeFence  = regexp.MustCompile("(?s)```[^\n]*\n?(.*?)```")
	reImage      = regexp.MustCompile(`!\[[^\]]*\]\([^)]*\)`)
	reLink       = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)
	reURL        = regexp.MustCompile(`https?://\S+`)
	reHeading    = regexp.MustCompile(`(?m)^\s{0,3}(#{1,6}|>+|[-*+•]|\d{1,3}[.)])\s+`)
	reHRule      = regexp.MustCompile(`(?m)^\s*([-*_]\s*){3,}$`)
	reBold       = regexp.MustCompile(`(\*\*|__|~~)(.+?)(\*\*|__|~~)`)
	reStarAction = regexp.MustCompile(`\*[^*\n]+\*`)
	reBrackets   = regexp.MustCompile(`\([^()]*\)|（[^（）]*）|\[[^\[\]]*\]|【[^【】]*】|<[^<>]*>`)
	reOpenTail   = regexp.MustCompile(`[(（\[【<][^)）\]】>]*$`)
	reSpaces     = regexp.MustCompile(`[ \t\r\n\f\v\x{3000}]+`)
)

// Clean prepares text for speaking: it removes markdown markup (keeping the
// words), links' URLs, code fences, emoji, and bracketed stage directions
// such as "(smiles)", "（笑）", "[sighs]", "【动作】", "*waves*" and "<happy>"
// emotion tags. It returns "" when nothing speakable is left.
func Clean(text string) string {
	if text == "" {
		return ""
	}
	t := reCodeFence.ReplaceAllString(text, "$1")
	t = reImage.ReplaceAllString(t, "")
	t = reLink.ReplaceAllString(t, "$1")
	t = reURL.ReplaceAllString(t, "")
	t = reHRule.ReplaceAllString(t, "")
	t = reHeading.ReplaceAllString(t, "")
	t = reBold.ReplaceAllString(t, "$2")
	t = reStarAction.ReplaceAllString(t, "")
	for i := 0; i < 3; i++ { // nested brackets peel from the inside
		n := reBrackets.ReplaceAllString(t, "")
		if n == t {
			break
		}
		t = n
	}
	t = reOpenTail.ReplaceAllString(t, "")
	t = strings.Map(func(r rune) rune {
		switch {
		case isEmoji(r):
			return -1
		case r == '`' || r == '*' || r == '#' || r == '|' || r == '~' || r == '_':
			return ' '
		}
		return r
	}, t)
	t = strings.TrimSpace(reSpaces.ReplaceAllString(t, " "))
	if !hasSpeakable(t) {
		return ""
	}
	return t
}

func hasSpeakable(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return true
		}
	}
	return false
}

func isEmoji(r rune) bool {
	switch {
	case r >= 0x1F000 && r <= 0x1FAFF, // pictographs, emoticons, transport, symbols
		r >= 0x2600 && r <= 0x27BF,   // misc symbols, dingbats
		r >= 0x2B00 && r <= 0x2BFF,   // arrows, stars
		r >= 0x2190 && r <= 0x21FF,   // arrows
		r >= 0xE0020 && r <= 0xE007F, // tag characters (flags)
		r == 0x200D, r == 0xFE0F, r == 0xFE0E, r == 0x20E3, r == 0x3030, r == 0x303D,
		r == 0x00A9 || r == 0x00AE || r == 0x2122:
		return true
	}
	return false
}

// DetectLanguage guesses the language of text from its script: "ja" when
// it has kana, "ko" for Hangul, "zh" for Han only, "ru" for Cyrillic, a few
// other scripts, "en" for Latin, and "" when there are no letters.
func DetectLanguage(text string) string {
	var han, kana, hangul, cyr, latin, other int
	otherLang := ""
	for _, r := range text {
		switch {
		case unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r):
			kana++
		case unicode.Is(unicode.Han, r):
			han++
		case unicode.Is(unicode.Hangul, r):
			hangul++
		case unicode.Is(unicode.Cyrillic, r):
			cyr++
		case unicode.Is(unicode.Latin, r):
			latin++
		case unicode.IsLetter(r):
			other++
			if otherLang == "" {
				otherLang = scriptLanguage(r)
			}
		}
	}
	switch {
	case kana > 0 && kana*5 >= han: // Japanese mixes kanji with kana
		return "ja"
	case hangul > 0 && hangul >= han:
		return "ko"
	case han > 0:
		return "zh"
	case cyr > latin:
		return "ru"
	case other > latin && otherLang != "":
		return otherLang
	case latin > 0:
		return "en"
	}
	return ""
}

func scriptLanguage(r rune) string {
	switch {
	case unicode.Is(unicode.Arabic, r):
		return "ar"
	case unicode.Is(unicode.Greek, r):
		return "el"
	case unicode.Is(unicode.Hebrew, r):
		return "he"
	case unicode.Is(unicode.Thai, r):
		return "th"
	case unicode.Is(unicode.Devanagari, r):
		return "hi"
	}
	return ""
}

// runeLen is utf8.RuneCountInString, named for readability at call sites.
func runeLen(s string) int { return utf8.RuneCountInString(s) }
