package llmtest

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"hash/fnv"
	"io"
	"math"
	"net/http"
	"strings"
	"unicode"
)

// EmbeddingDim is the length of the vectors /v1/embeddings returns unless
// the request names "dimensions".
const EmbeddingDim = 64

// EmbeddingRequest is what a client sent to /v1/embeddings.
type EmbeddingRequest struct {
	Model      string
	Input      []string
	Dimensions int
	Format     string // encoding_format: "" / "float" / "base64"
}

// EmbeddingRequests returns the embedding requests received so far.
func (s *Server) EmbeddingRequests() []EmbeddingRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]EmbeddingRequest(nil), s.embeds...)
}

// Embed is the deterministic embedding the server returns: a hashed
// bag-of-words vector (lower-cased words, each word's FNV hash picks a
// dimension and a sign), L2-normalised. Texts sharing words are close in
// cosine similarity; the empty text is the zero vector.
func Embed(text string, dim int) []float32 {
	if dim <= 0 {
		dim = EmbeddingDim
	}
	v := make([]float32, dim)
	words := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsNumber(r)
	})
	for _, w := range words {
		h := fnv.New64a()
		_, _ = h.Write([]byte(w))
		x := h.Sum64()
		sign := float32(1)
		if x>>63 == 1 {
			sign = -1
		}
		v[x%uint64(dim)] += sign
	}
	var n float64
	for _, f := range v {
		n += float64(f) * float64(f)
	}
	if n > 0 {
		inv := float32(1 / math.Sqrt(n))
		for i := range v {
			v[i] *= inv
		}
	}
	return v
}

func (s *Server) handleEmbeddings(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r) {
		return
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	if err != nil {
		return
	}
	var wire struct {
		Model          string          `json:"model"`
		Input          json.RawMessage `json:"input"`
		Dimensions     int             `json:"dimensions"`
		EncodingFormat string          `json:"encoding_format"`
	}
	if err := json.Unmarshal(data, &wire); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_json", "invalid_request_error", "could not parse the JSON body: "+err.Error())
		return
	}
	req := EmbeddingRequest{Model: wire.Model, Dimensions: wire.Dimensions, Format: wire.EncodingFormat}
	var one string
	if json.Unmarshal(wire.Input, &one) == nil {
		req.Input = []string{one}
	} else if err := json.Unmarshal(wire.Input, &req.Input); err != nil || len(req.Input) == 0 {
		writeError(w, http.StatusBadRequest, "invalid_input", "invalid_request_error", "input must be a string or a non-empty array of strings")
		return
	}
	s.mu.Lock()
	s.embeds = append(s.embeds, req)
	s.mu.Unlock()
	if !s.knownModel(w, req.Model) {
		return
	}
	out := make([]any, 0, len(req.Input))
	tokens := 0
	for i, text := range req.Input {
		vec := Embed(text, req.Dimensions)
		tokens += len(strings.Fields(text))
		var emb any = vec
		if req.Format == "base64" {
			buf := make([]byte, 4*len(vec))
			for j, f := range vec {
				binary.LittleEndian.PutUint32(buf[4*j:], math.Float32bits(f))
			}
			emb = base64.StdEncoding.EncodeToString(buf)
		}
		out = append(out, map[string]any{"object": "embedding", "index": i, "embedding": emb})
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": out, "model": req.Model,
		"usage": map[string]any{"prompt_tokens": tokens, "total_tokens": tokens}})
}
