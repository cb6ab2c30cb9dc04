package models

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
)

// errBrokenGLB marks an upload that is not a well-formed binary glTF.
var errBrokenGLB = errors.New("not a well-formed binary glTF 2 file")

// maxGLBJSON caps the JSON chunk held in memory for the check.
const maxGLBJSON = 32 << 20

// glbCheck passes a binary glTF (GLB) stream through unchanged and fails
// the read (so the upload is discarded) unless the stream is well formed:
// the 12-byte header (magic "glTF", version 2, total length), a first
// chunk of type JSON holding a JSON object with an "asset" member and one
// of the wanted extensions in extensionsUsed (VRM 0.x/1.0 or VRMA), and
// exactly the declared number of bytes.
type glbCheck struct {
	r        io.Reader
	want     []string // extension names, one of which must be used
	n        int64    // bytes passed so far
	head     []byte   // the first 20 bytes: header + first chunk header
	declared int64
	jsonLen  int64
	json     []byte
	checked  bool // the JSON chunk was read and accepted
}

func newGLBCheck(r io.Reader, want ...string) *glbCheck {
	return &glbCheck{r: r, want: want, head: make([]byte, 0, 20)}
}

func (g *glbCheck) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	if n > 0 {
		if cerr := g.observe(p[:n]); cerr != nil {
			return n, cerr
		}
	}
	if errors.Is(err, io.EOF) {
		if !g.checked || g.n != g.declared {
			return n, fmt.Errorf("%w: %d bytes, the header declares %d", errBrokenGLB, g.n, g.declared)
		}
	}
	return n, err
}

func (g *glbCheck) observe(b []byte) error {
	g.n += int64(len(b))
	if len(g.head) < 20 {
		k := min(20-len(g.head), len(b))
		g.head = append(g.head, b[:k]...)
		b = b[k:]
		if len(g.head) < 20 {
			return nil
		}
		if string(g.head[:4]) != "glTF" || binary.LittleEndian.Uint32(g.head[4:]) != 2 {
			return fmt.Errorf("%w: bad header", errBrokenGLB)
		}
		g.declared = int64(binary.LittleEndian.Uint32(g.head[8:]))
		g.jsonLen = int64(binary.LittleEndian.Uint32(g.head[12:]))
		if string(g.head[16:20]) != "JSON" || g.jsonLen == 0 || g.jsonLen > maxGLBJSON || 20+g.jsonLen > g.declared {
			return fmt.Errorf("%w: the first chunk is not a JSON chunk", errBrokenGLB)
		}
	}
	if g.checked || len(b) == 0 {
		return nil
	}
	k := min(int(g.jsonLen)-len(g.json), len(b))
	g.json = append(g.json, b[:k]...)
	if int64(len(g.json)) < g.jsonLen {
		return nil
	}
	var doc struct {
		Asset          json.RawMessage `json:"asset"`
		ExtensionsUsed []string        `json:"extensionsUsed"`
	}
	if err := json.Unmarshal(bytes.TrimRight(g.json, " \x00"), &doc); err != nil || len(doc.Asset) == 0 {
		return fmt.Errorf("%w: the JSON chunk is not a glTF document", errBrokenGLB)
	}
	if len(g.want) > 0 && !slices.ContainsFunc(doc.ExtensionsUsed, func(e string) bool { return slices.Contains(g.want, e) }) {
		return fmt.Errorf("%w: it uses none of %v (not a VRM)", errBrokenGLB, g.want)
	}
	g.checked, g.json = true, nil
	return nil
}
