package guard

import (
	"errors"
	"fmt"
)

// ErrJSONTooDeep is returned by CheckJSONDepth for a document nested deeper
// than allowed.
var ErrJSONTooDeep = errors.New("JSON nested too deeply")

// JSONDepth returns the deepest nesting of objects and arrays in b, ignoring
// brackets inside strings. It does not validate b: any bytes give a depth,
// and unbalanced closers never take it below zero.
func JSONDepth(b []byte) int {
	maxDepth, _ := scanDepth(b, -1)
	return maxDepth
}

// CheckJSONDepth returns an error wrapping ErrJSONTooDeep when b nests
// deeper than max, stopping at the first byte that goes over.
func CheckJSONDepth(b []byte, max int) error {
	if _, at := scanDepth(b, max); at >= 0 {
		return fmt.Errorf("%w: more than %d levels at byte %d", ErrJSONTooDeep, max, at)
	}
	return nil
}

// scanDepth walks b once, tracking the nesting of objects and arrays outside
// strings. It returns the deepest level seen and, when limit ≥ 0, the index
// of the first byte that goes deeper than limit (where it stops), else -1.
func scanDepth(b []byte, limit int) (maxDepth, over int) {
	depth := 0
	inString, escaped := false, false
	for i, c := range b {
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			depth++
			if depth > maxDepth {
				maxDepth = depth
			}
			if limit >= 0 && depth > limit {
				return maxDepth, i
			}
		case '}', ']':
			if depth > 0 {
				depth--
			}
		}
	}
	return maxDepth, -1
}

// looksLikeJSON reports whether the first non-space byte of b opens an
// object or array.
func looksLikeJSON(b []byte) bool {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '{', '[':
			return true
		default:
			return false
		}
	}
	return false
}
