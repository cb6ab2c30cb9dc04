package guard

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"io/fs"
	"strings"
	"sync"

	"neko/backend/secrets"
)

// TokenBytes is the entropy of a generated token (256 bits).
const TokenBytes = 32

// NewToken returns a fresh random token: 43 URL-safe base64 characters.
func NewToken() (string, error) {
	b := make([]byte, TokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// ValidToken reports whether s has the shape of a token NewToken makes:
// 32–128 URL-safe base64 characters. Anything else in a token file means it
// is damaged.
func ValidToken(s string) bool {
	if len(s) < 32 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// TokenStore holds the per-install CSRF token, kept in a 0600 file
// (<data>/config/.neko_token) written atomically.
type TokenStore struct {
	path  string
	mu    sync.RWMutex
	token string
}

// OpenTokenStore loads the token at path, creating it (and its folder) when
// missing and replacing it when the file is damaged.
func OpenTokenStore(path string) (*TokenStore, error) {
	s := &TokenStore{path: path}
	b, err := secrets.ReadKeyFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("load token: %w", err)
	}
	if t := strings.TrimSpace(string(b)); err == nil && ValidToken(t) {
		s.token = t
		return s, nil
	}
	if _, err := s.Rotate(); err != nil {
		return nil, err
	}
	return s, nil
}

// LoadOrCreateToken returns the token stored at path, creating it first when
// missing or damaged.
func LoadOrCreateToken(path string) (string, error) {
	s, err := OpenTokenStore(path)
	if err != nil {
		return "", err
	}
	return s.Token(), nil
}

// Token returns the current token. Pass the method value as
// Config.TokenFunc so rotation takes effect at once.
func (s *TokenStore) Token() string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.token
}

// Path returns the token file's path.
func (s *TokenStore) Path() string { return s.path }

// Rotate replaces the token with a fresh one, on disk first, and returns it.
// Pages holding the old token must reload.
func (s *TokenStore) Rotate() (string, error) {
	t, err := NewToken()
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := secrets.WriteKeyFile(s.path, []byte(t+"\n")); err != nil {
		return "", fmt.Errorf("save token: %w", err)
	}
	s.token = t
	return t, nil
}

// TokenMetaName is the name of the <meta> tag that carries the token to our
// own pages.
const TokenMetaName = "neko-token"

// InjectTokenMeta returns indexHTML with <meta name="neko-token"
// content="…"> inserted as the first child of <head> (after <html> when
// there is no <head>, at the very start when there is neither). The page
// must be served with Cache-Control: no-store.
func InjectTokenMeta(indexHTML []byte, token string) []byte {
	meta := `<meta name="` + TokenMetaName + `" content="` + html.EscapeString(token) + `">`
	at := afterOpenTag(indexHTML, "head")
	if at < 0 {
		at = afterOpenTag(indexHTML, "html")
	}
	if at < 0 {
		at = 0
	}
	out := make([]byte, 0, len(indexHTML)+len(meta))
	out = append(out, indexHTML[:at]...)
	out = append(out, meta...)
	return append(out, indexHTML[at:]...)
}

// afterOpenTag returns the index just past the first <name ...> start tag
// (case-insensitive, not <header> for "head"), or -1.
func afterOpenTag(doc []byte, name string) int {
	open := "<" + name
	for i := 0; i+len(open) <= len(doc); i++ {
		if doc[i] != '<' || !asciiEqualFold(doc[i:i+len(open)], open) {
			continue
		}
		j := i + len(open)
		if j >= len(doc) {
			return -1
		}
		switch doc[j] {
		case '>', ' ', '\t', '\n', '\r', '\f', '/':
			end := bytes.IndexByte(doc[j:], '>')
			if end < 0 {
				return -1
			}
			return j + end + 1
		}
	}
	return -1
}

// asciiEqualFold compares b with the lower-case ASCII string s, ignoring
// ASCII case only (bytes.ToLower would reshape invalid UTF-8).
func asciiEqualFold(b []byte, s string) bool {
	for k := 0; k < len(s); k++ {
		c := b[k]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[k] {
			return false
		}
	}
	return true
}
