package store

import (
	"context"
	"fmt"
	"math"
	"math/bits"
	"sort"
	"sync"
)

// vecRow is one vector of the in-memory index.
type vecRow struct {
	id    int64
	ts    int64
	scale float32
	q     []int8
}

// exactLimit is the index size up to which every vector is scored exactly;
// above it a sign-bit (Hamming) pass picks candidates for exact scoring.
const exactLimit = 20000

// vindex holds the vectors of one embedding model in memory: int8 rows with
// a per-row scale, plus centred sign bits for a fast first pass.
type vindex struct {
	mu      sync.RWMutex
	model   string
	loaded  bool
	dims    int
	words   int // uint64 words of sign bits per row
	rows    []vecRow
	bits    []uint64
	pos     map[int64]int
	center  []float32
	centerN int // index size when center was computed
}

func newVindex() *vindex { return &vindex{pos: map[int64]int{}} }

// ensureIndex loads the vectors of model from the database when the index
// holds another model (or nothing yet).
func (db *DB) ensureIndex(ctx context.Context, model string) error {
	db.vix.mu.RLock()
	ok := db.vix.loaded && db.vix.model == model
	db.vix.mu.RUnlock()
	if ok {
		return nil
	}
	db.wmu.Lock() // no writes while loading, so none is missed
	defer db.wmu.Unlock()
	rows, err := db.sql.QueryContext(ctx, "SELECT id, ts, vec FROM neko_entries WHERE model=? AND vec IS NOT NULL", model)
	if err != nil {
		return fmt.Errorf("load vectors: %w", err)
	}
	defer rows.Close()
	var all []vecRow
	for rows.Next() {
		var r vecRow
		var b []byte
		if err := rows.Scan(&r.id, &r.ts, &b); err != nil {
			return err
		}
		var ok bool
		if r.scale, r.q, ok = decodeVec(b); ok {
			all = append(all, r)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	v := db.vix
	v.mu.Lock()
	defer v.mu.Unlock()
	v.model, v.loaded, v.dims = model, true, 0
	v.rows, v.bits, v.pos, v.center, v.centerN = nil, nil, map[int64]int{}, nil, 0
	v.addLocked(all)
	return nil
}

func (v *vindex) add(model string, rs []vecRow) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if !v.loaded || v.model != model {
		return // loaded lazily with the right model later
	}
	v.addLocked(rs)
}

func (v *vindex) addLocked(rs []vecRow) {
	for _, r := range rs {
		if v.dims == 0 {
			v.dims = len(r.q)
			v.words = (v.dims + 63) / 64
		}
		if len(r.q) != v.dims {
			continue // a vector of another size cannot be compared
		}
		if i, ok := v.pos[r.id]; ok {
			v.removeAt(i)
		}
		v.pos[r.id] = len(v.rows)
		v.rows = append(v.rows, r)
		v.bits = append(v.bits, make([]uint64, v.words)...)
		v.setBits(len(v.rows) - 1)
	}
	if len(v.rows) > exactLimit && len(v.rows) >= 2*v.centerN {
		v.recenter()
	}
}

// recenter recomputes the mean vector and every row's sign bits, so the
// Hamming pass compares directions around the data's centre.
func (v *vindex) recenter() {
	c := make([]float32, v.dims)
	for _, r := range v.rows {
		for j, x := range r.q {
			c[j] += r.scale * float32(x)
		}
	}
	for j := range c {
		c[j] /= float32(len(v.rows))
	}
	v.center, v.centerN = c, len(v.rows)
	for i := range v.rows {
		v.setBits(i)
	}
}

func (v *vindex) setBits(i int) {
	r := v.rows[i]
	w := v.bits[i*v.words : (i+1)*v.words]
	clear(w)
	for j, x := range r.q {
		val := r.scale * float32(x)
		if v.center != nil {
			val -= v.center[j]
		}
		if val > 0 {
			w[j/64] |= 1 << (j % 64)
		}
	}
}

func (v *vindex) remove(ids []int64) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, id := range ids {
		if i, ok := v.pos[id]; ok {
			v.removeAt(i)
		}
	}
}

func (v *vindex) removeAt(i int) {
	last := len(v.rows) - 1
	delete(v.pos, v.rows[i].id)
	if i != last {
		v.rows[i] = v.rows[last]
		copy(v.bits[i*v.words:(i+1)*v.words], v.bits[last*v.words:(last+1)*v.words])
		v.pos[v.rows[i].id] = i
	}
	v.rows = v.rows[:last]
	v.bits = v.bits[:last*v.words]
}

func (v *vindex) size() int {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return len(v.rows)
}

type scored struct {
	id    int64
	score float64
}

// search returns up to k entry ids by cosine similarity to q, restricted to
// ts in [from, to] (0 = open).
func (v *vindex) search(q []float32, k int, from, to int64) []scored {
	v.mu.RLock()
	defer v.mu.RUnlock()
	if len(v.rows) == 0 || len(q) != v.dims || k <= 0 {
		return nil
	}
	inWindow := func(ts int64) bool { return (from == 0 || ts >= from) && (to == 0 || ts <= to) }
	cand := make([]int, 0, min(len(v.rows), 4096))
	if len(v.rows) <= exactLimit {
		for i, r := range v.rows {
			if inWindow(r.ts) {
				cand = append(cand, i)
			}
		}
	} else {
		cand = v.hammingCandidates(q, max(768, 4*k), inWindow)
	}
	// Keep the k best in a min-heap: O(n log k), no full sort.
	h := make(minHeap, 0, k+1)
	for _, i := range cand {
		r := v.rows[i]
		var s float32
		for j, x := range r.q {
			s += q[j] * float32(x)
		}
		sc := float64(s * r.scale)
		if len(h) < k {
			h.push(scored{id: r.id, score: sc})
		} else if sc > h[0].score {
			h[0] = scored{id: r.id, score: sc}
			h.down(0)
		}
	}
	sort.Slice(h, func(a, b int) bool { return h[a].score > h[b].score })
	return h
}

// minHeap is a binary min-heap of scored by score.
type minHeap []scored

func (h *minHeap) push(x scored) {
	*h = append(*h, x)
	s := *h
	for i := len(s) - 1; i > 0; {
		p := (i - 1) / 2
		if s[p].score <= s[i].score {
			break
		}
		s[p], s[i] = s[i], s[p]
		i = p
	}
}

func (h minHeap) down(i int) {
	for {
		l, small := 2*i+1, i
		if l < len(h) && h[l].score < h[small].score {
			small = l
		}
		if r := l + 1; r < len(h) && h[r].score < h[small].score {
			small = r
		}
		if small == i {
			return
		}
		h[i], h[small] = h[small], h[i]
		i = small
	}
}

// hammingCandidates returns the n rows whose centred sign bits are closest
// to the query's.
func (v *vindex) hammingCandidates(q []float32, n int, inWindow func(int64) bool) []int {
	qb := make([]uint64, v.words)
	for j, x := range q {
		if v.center != nil {
			x -= v.center[j]
		}
		if x > 0 {
			qb[j/64] |= 1 << (j % 64)
		}
	}
	// Counting sort by distance: distances are 0..dims.
	dist := make([]uint16, len(v.rows))
	hist := make([]int, v.dims+2)
	for i := range v.rows {
		if !inWindow(v.rows[i].ts) {
			dist[i] = math.MaxUint16
			continue
		}
		w := v.bits[i*v.words : (i+1)*v.words]
		d := 0
		for j, x := range w {
			d += bits.OnesCount64(x ^ qb[j])
		}
		dist[i] = uint16(d)
		hist[d]++
	}
	cut, acc := v.dims, 0
	for d, c := range hist {
		acc += c
		if acc >= n {
			cut = d
			break
		}
	}
	// Everything closer than the cut, then ties at the cut up to n.
	room := n - (acc - hist[cut])
	out := make([]int, 0, n)
	for i, d := range dist {
		switch {
		case int(d) < cut:
			out = append(out, i)
		case int(d) == cut && room > 0:
			out = append(out, i)
			room--
		}
	}
	return out
}
