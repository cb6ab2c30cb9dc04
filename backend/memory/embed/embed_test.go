package embed_test

import (
	"testing"

	"neko/backend/memory/embed"
)

func cos(a, b []float32) float32 {
	var s float32
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func TestBundledSimilarity(t *testing.T) {
	m, err := embed.Bundled()
	if err != nil {
		t.Fatal(err)
	}
	if m.Dims() != 100 || m.Len() != 100000 {
		t.Fatalf("dims=%d len=%d", m.Dims(), m.Len())
	}
	for _, w := range []string{"the", "sister", "guitar", "zucchini", "tokyo"} {
		if !m.Has(w) {
			t.Errorf("vocabulary lacks %q", w)
		}
	}
	q := m.Embed("What instrument do I play?")
	near := m.Embed("I play the guitar in a band on weekends")
	far := m.Embed("My dentist appointment is on Tuesday morning")
	if q == nil || near == nil || far == nil {
		t.Fatal("nil vector")
	}
	if cos(q, near) <= cos(q, far) {
		t.Fatalf("guitar sentence not closer: near=%.3f far=%.3f", cos(q, near), cos(q, far))
	}
	if v := m.Embed("你好 世界"); v != nil {
		t.Fatalf("CJK text should have no GloVe vector, got %v", v[:3])
	}
}

func TestLoadRejectsBadData(t *testing.T) {
	for _, b := range [][]byte{nil, []byte("NEKOWV01"), []byte("XXXXXXXX\x01\x00\x00\x00\x01\x00\x00\x00"),
		[]byte("NEKOWV01\xff\xff\x00\x00\x64\x00\x00\x00")} {
		if _, err := embed.Load(b); err == nil {
			t.Errorf("Load(%q) succeeded", b)
		}
	}
}

func BenchmarkEmbed(b *testing.B) {
	m, err := embed.Bundled()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		m.Embed("My sister Lily moved to Toronto last spring to study architecture")
	}
}
