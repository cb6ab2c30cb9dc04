package workshop

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrCard is wrapped by every card parse error.
var ErrCard = errors.New("character card")

// Field holds one top-level card field in file order.
type Field struct {
	Key   string
	Value json.RawMessage
}

// Card is a parsed *.chara.json: a character profile plus 档案名.
type Card struct {
	Name   string  // 档案名, else "name"
	Fields []Field // every top-level field in file order, duplicates dropped (last wins)
}

// Get returns the raw value of a field.
func (c Card) Get(key string) (json.RawMessage, bool) {
	for _, f := range c.Fields {
		if f.Key == key {
			return f.Value, true
		}
	}
	return nil, false
}

// String returns a string field ("" when absent or not a string).
func (c Card) String(key string) string {
	raw, ok := c.Get(key)
	if !ok {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

const (
	maxCardFields  = 2000
	maxNameRunes   = 100
	cardMaxNesting = 64
)

// ParseCard parses a character card. The document must be a JSON object of
// at most maxCardFields fields and nesting cardMaxNesting; the name must pass
// ValidateName.
func ParseCard(data []byte) (Card, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		return Card{}, fmt.Errorf("%w: not UTF-8", ErrCard)
	}
	if d := nestingDepth(data); d > cardMaxNesting {
		return Card{}, fmt.Errorf("%w: nested %d levels deep (limit %d)", ErrCard, d, cardMaxNesting)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return Card{}, fmt.Errorf("%w: %w", ErrCard, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return Card{}, fmt.Errorf("%w: not a JSON object", ErrCard)
	}
	var c Card
	index := map[string]int{}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return Card{}, fmt.Errorf("%w: %w", ErrCard, err)
		}
		key, _ := kt.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return Card{}, fmt.Errorf("%w: field %q: %w", ErrCard, truncate(key, 40), err)
		}
		if i, dup := index[key]; dup {
			c.Fields[i].Value = v
			continue
		}
		if len(c.Fields) >= maxCardFields {
			return Card{}, fmt.Errorf("%w: more than %d fields", ErrCard, maxCardFields)
		}
		index[key] = len(c.Fields)
		c.Fields = append(c.Fields, Field{Key: key, Value: v})
	}
	if _, err := dec.Token(); err != nil {
		return Card{}, fmt.Errorf("%w: %w", ErrCard, err)
	}
	if _, err := dec.Token(); err == nil {
		return Card{}, fmt.Errorf("%w: trailing data after the object", ErrCard)
	}
	name := c.String("档案名")
	if name == "" {
		name = c.String("name")
	}
	c.Name = strings.TrimSpace(name)
	if err := ValidateName(c.Name); err != nil {
		return Card{}, err
	}
	return c, nil
}

// ValidateName checks a character name taken from a card: 1–100 characters,
// no path separators, no control characters, not "." or "..", no leading or
// trailing dot (embedded dots are fine: "N.E.K.O").
func ValidateName(name string) error {
	if name == "" {
		return fmt.Errorf("%w: no 档案名", ErrCard)
	}
	if utf8.RuneCountInString(name) > maxNameRunes {
		return fmt.Errorf("%w: name longer than %d characters", ErrCard, maxNameRunes)
	}
	if strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") || strings.Contains(name, "..") {
		return fmt.Errorf("%w: name %q has a leading, trailing or double dot", ErrCard, truncate(name, 40))
	}
	for _, r := range name {
		if r == '/' || r == '\\' || r == ':' || unicode.IsControl(r) || r == utf8.RuneError {
			return fmt.Errorf("%w: name %q has a forbidden character", ErrCard, truncate(name, 40))
		}
	}
	return nil
}

// nestingDepth returns the deepest bracket nesting outside strings.
func nestingDepth(data []byte) int {
	depth, maxDepth, inStr, esc := 0, 0, false, false
	for _, b := range data {
		switch {
		case inStr:
			switch {
			case esc:
				esc = false
			case b == '\\':
				esc = true
			case b == '"':
				inStr = false
			}
		case b == '"':
			inStr = true
		case b == '{' || b == '[':
			depth++
			if depth > maxDepth {
				maxDepth = depth
			}
		case b == '}' || b == ']':
			depth--
		}
	}
	return maxDepth
}

// reservedCardFields are the fields a card may not carry into the profile
// (reference §11.1: system and workshop reserved fields) plus 档案名.
var reservedCardFields = map[string]bool{
	"档案名": true, "_reserved": true, "live2d": true, "voice_id": true, "system_prompt": true, "model_type": true,
	"vrm": true, "vrm_animation": true, "lighting": true, "vrm_rotation": true, "live2d_item_id": true, "item_id": true,
	"idleAnimation": true, "原始数据": true, "文件路径": true, "创意工坊物品ID": true, "description": true, "tags": true,
	"name": true, "描述": true, "标签": true, "关键词": true,
}

// modelRef is the avatar a card asks for.
type modelRef struct {
	kind string // "live2d" or "vrm"
	path string // as written in the card (untrusted)
}

// cardModelRef reads the avatar a card names: _reserved.avatar (schema v2)
// first, then the legacy flat live2d / vrm fields.
func cardModelRef(c Card) (modelRef, bool) {
	if raw, ok := c.Get("_reserved"); ok {
		var r struct {
			Avatar struct {
				ModelType string `json:"model_type"`
				Live2D    struct {
					ModelPath string `json:"model_path"`
				} `json:"live2d"`
				VRM struct {
					ModelPath string `json:"model_path"`
				} `json:"vrm"`
			} `json:"avatar"`
		}
		if json.Unmarshal(raw, &r) == nil {
			a := r.Avatar
			if a.ModelType == "vrm" && a.VRM.ModelPath != "" {
				return modelRef{"vrm", a.VRM.ModelPath}, true
			}
			if a.Live2D.ModelPath != "" {
				return modelRef{"live2d", a.Live2D.ModelPath}, true
			}
			if a.VRM.ModelPath != "" {
				return modelRef{"vrm", a.VRM.ModelPath}, true
			}
		}
	}
	mt := c.String("model_type")
	if v := c.String("vrm"); v != "" && (mt == "vrm" || c.String("live2d") == "") {
		return modelRef{"vrm", v}, true
	}
	if v := c.String("live2d"); v != "" {
		return modelRef{"live2d", v}, true
	}
	return modelRef{}, false
}
