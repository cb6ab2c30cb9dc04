package workshop

import (
	"errors"
	"fmt"
	"strings"
)

// VDF limits: libraryfolders.vdf is a few KiB, so anything near these is hostile.
const (
	vdfMaxBytes = 4 << 20
	vdfMaxDepth = 32
	vdfMaxNodes = 200000
	vdfMaxToken = 64 << 10
)

// ErrVDF is wrapped by every VDF syntax error.
var ErrVDF = errors.New("vdf")

// KV is one node of a Valve KeyValues (text VDF) document: either a string
// value or an object holding child nodes in file order.
type KV struct {
	Key      string
	Value    string
	Children []*KV
	IsObject bool
}

// Child returns the first child whose key matches (case-insensitively, as
// Steam does), or nil.
func (kv *KV) Child(key string) *KV {
	if kv == nil {
		return nil
	}
	for _, c := range kv.Children {
		if strings.EqualFold(c.Key, key) {
			return c
		}
	}
	return nil
}

// ParseVDF parses a text KeyValues document into a root object whose children
// are the top-level pairs. It accepts quoted and unquoted tokens, escape
// sequences, // comments and [$PLATFORM] conditionals, and rejects oversized,
// too deep or malformed input with an error wrapping ErrVDF.
func ParseVDF(data []byte) (*KV, error) {
	if len(data) > vdfMaxBytes {
		return nil, fmt.Errorf("%w: document is %d bytes, limit %d", ErrVDF, len(data), vdfMaxBytes)
	}
	p := &vdfParser{src: data}
	if len(data) >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF {
		p.pos = 3
	}
	root := &KV{IsObject: true}
	if err := p.object(root, 0, false); err != nil {
		return nil, err
	}
	return root, nil
}

type vdfParser struct {
	src   []byte
	pos   int
	line  int
	nodes int
}

type tokKind int

const (
	tokEOF tokKind = iota
	tokString
	tokOpen
	tokClose
	tokCond
)

func (p *vdfParser) errf(format string, args ...any) error {
	return fmt.Errorf("%w: line %d: %s", ErrVDF, p.line+1, fmt.Sprintf(format, args...))
}

// object reads pairs until '}' (nested) or EOF (top level).
func (p *vdfParser) object(obj *KV, depth int, nested bool) error {
	if depth > vdfMaxDepth {
		return p.errf("nesting deeper than %d", vdfMaxDepth)
	}
	for {
		kind, key, err := p.next()
		if err != nil {
			return err
		}
		switch kind {
		case tokEOF:
			if nested {
				return p.errf("unexpected end of input: missing '}'")
			}
			return nil
		case tokClose:
			if !nested {
				return p.errf("unexpected '}'")
			}
			return nil
		case tokOpen:
			return p.errf("'{' without a key")
		case tokCond:
			return p.errf("conditional without a key")
		}
		p.nodes++
		if p.nodes > vdfMaxNodes {
			return p.errf("more than %d nodes", vdfMaxNodes)
		}
		kind, val, err := p.next()
		if err != nil {
			return err
		}
		if kind == tokCond { // a conditional may sit between key and value
			kind, val, err = p.next()
			if err != nil {
				return err
			}
		}
		child := &KV{Key: key}
		switch kind {
		case tokString:
			child.Value = val
		case tokOpen:
			child.IsObject = true
			if err := p.object(child, depth+1, true); err != nil {
				return err
			}
		default:
			return p.errf("key %q has no value", truncate(key, 40))
		}
		obj.Children = append(obj.Children, child)
		p.skipCond()
	}
}

// skipCond drops a trailing [$COND] after a value; anything else is left
// for the next read.
func (p *vdfParser) skipCond() {
	save, saveLine := p.pos, p.line
	if kind, _, err := p.next(); err != nil || kind != tokCond {
		p.pos, p.line = save, saveLine
	}
}

func (p *vdfParser) skipSpace() {
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch {
		case c == '\n':
			p.line++
			p.pos++
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			p.pos++
		case c == '/' && p.pos+1 < len(p.src) && p.src[p.pos+1] == '/':
			for p.pos < len(p.src) && p.src[p.pos] != '\n' {
				p.pos++
			}
		default:
			return
		}
	}
}

func (p *vdfParser) next() (tokKind, string, error) {
	p.skipSpace()
	if p.pos >= len(p.src) {
		return tokEOF, "", nil
	}
	switch c := p.src[p.pos]; c {
	case '{':
		p.pos++
		return tokOpen, "", nil
	case '}':
		p.pos++
		return tokClose, "", nil
	case '"':
		s, err := p.quoted()
		return tokString, s, err
	case '[':
		end := p.pos
		for end < len(p.src) && p.src[end] != ']' && p.src[end] != '\n' {
			end++
		}
		if end >= len(p.src) || p.src[end] != ']' {
			return tokEOF, "", p.errf("unterminated conditional")
		}
		p.pos = end + 1
		return tokCond, "", nil
	default:
		start := p.pos
		for p.pos < len(p.src) {
			c := p.src[p.pos]
			if c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '{' || c == '}' || c == '"' {
				break
			}
			p.pos++
		}
		if p.pos-start > vdfMaxToken {
			return tokEOF, "", p.errf("token longer than %d bytes", vdfMaxToken)
		}
		return tokString, string(p.src[start:p.pos]), nil
	}
}

func (p *vdfParser) quoted() (string, error) {
	p.pos++ // opening quote
	var b strings.Builder
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch c {
		case '"':
			p.pos++
			return b.String(), nil
		case '\\':
			if p.pos+1 >= len(p.src) {
				return "", p.errf("unterminated escape")
			}
			p.pos++
			switch e := p.src[p.pos]; e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case '\\', '"', '\'', '?':
				b.WriteByte(e)
			default: // Steam keeps unknown escapes literally (Windows paths)
				b.WriteByte('\\')
				b.WriteByte(e)
			}
		case '\n':
			p.line++
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
		p.pos++
		if b.Len() > vdfMaxToken {
			return "", p.errf("string longer than %d bytes", vdfMaxToken)
		}
	}
	return "", p.errf("unterminated string")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
