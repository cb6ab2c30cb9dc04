package llm_test

import (
	"context"
	"fmt"
	"math"
	"testing"

	"neko/backend/llm"
	"neko/backend/llm/llmtest"
)

func cosine(a, b []float32) float64 {
	var d, na, nb float64
	for i := range a {
		d += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	return d / math.Sqrt(na*nb)
}

func TestEmbeddingsDeterministicAndBatched(t *testing.T) {
	s := llmtest.New(t)
	c := llm.NewEmbeddingClient(llm.Endpoint{BaseURL: s.BaseURL(), APIKey: "k", Model: "text-embedding-v4"})
	texts := []string{"the cat sat on the mat", "a cat sat on a mat", "quarterly tax report"}
	for i := 0; i < 12; i++ {
		texts = append(texts, fmt.Sprintf("filler text %d", i))
	}
	vecs, err := c.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	if len(vecs) != len(texts) || len(vecs[0]) != llmtest.EmbeddingDim {
		t.Fatalf("got %d vectors of %d", len(vecs), len(vecs[0]))
	}
	want := llmtest.Embed(texts[2], 0)
	for i := range want {
		if vecs[2][i] != want[i] {
			t.Fatal("vectors must be the deterministic llmtest.Embed")
		}
	}
	if cosine(vecs[0], vecs[1]) <= cosine(vecs[0], vecs[2]) {
		t.Fatal("similar texts must be closer")
	}
	reqs := s.EmbeddingRequests()
	if len(reqs) != 2 || len(reqs[0].Input) != 10 || len(reqs[1].Input) != 5 || reqs[0].Model != "text-embedding-v4" {
		t.Fatalf("batches %+v", reqs)
	}
}

func TestEmbeddingErrors(t *testing.T) {
	s := llmtest.New(t)
	s.SetAPIKey("right")
	c := llm.NewEmbeddingClient(llm.Endpoint{BaseURL: s.BaseURL(), APIKey: "wrong", Model: "e"})
	if _, err := c.Embed(context.Background(), []string{"x"}); llm.ErrorCode(err) != llm.CodeKeyRejected {
		t.Fatalf("err %v", err)
	}
	s.SetAPIKey("")
	s.SetModels("other")
	if _, err := c.Embed(context.Background(), []string{"x"}); llm.ErrorCode(err) != llm.CodeModelNotFound {
		t.Fatalf("err %v", err)
	}
}
