package llm

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
)

// EmbeddingClient calls an OpenAI-compatible /embeddings endpoint.
type EmbeddingClient struct {
	chat       *ChatClient // shares transport, retries and timeouts
	Dimensions int         // when > 0, sent as "dimensions"
}

// NewEmbeddingClient returns a client for ep (ep.Model is the embedding
// model, e.g. "text-embedding-v4").
func NewEmbeddingClient(ep Endpoint, opts ...ChatOption) *EmbeddingClient {
	return &EmbeddingClient{chat: NewChatClient(ep, append([]ChatOption{WithoutModelExtras()}, opts...)...)}
}

// maxEmbedBatch is the largest batch sent in one request (DashScope caps
// text-embedding-v4 at 10 inputs; OpenAI allows 2048).
const maxEmbedBatch = 10

// Embed returns one vector per text, in order. Large inputs are split into
// batches of maxEmbedBatch.
func (c *EmbeddingClient) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, 0, len(texts))
	for start := 0; start < len(texts); start += maxEmbedBatch {
		end := min(start+maxEmbedBatch, len(texts))
		vecs, err := c.batch(ctx, texts[start:end])
		if err != nil {
			return nil, err
		}
		out = append(out, vecs...)
	}
	return out, nil
}

func (c *EmbeddingClient) batch(ctx context.Context, texts []string) ([][]float32, error) {
	body := map[string]any{"model": c.chat.ep.Model, "input": texts, "encoding_format": "float"}
	if c.Dimensions > 0 {
		body["dimensions"] = c.Dimensions
	}
	data, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("llm: encode embedding request: %w", err)
	}
	var vecs [][]float32
	err = c.chat.do(ctx, "/embeddings", data, func(ctx context.Context, resp *http.Response, w *watchdog) error {
		raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
		if err != nil {
			return w.wrapReadErr(ctx, err)
		}
		var wire struct {
			Data []struct {
				Index     int             `json:"index"`
				Embedding json.RawMessage `json:"embedding"`
			} `json:"data"`
			Error *wireError `json:"error"`
		}
		if err := json.Unmarshal(raw, &wire); err != nil {
			return &Error{Code: CodeResponseInvalid, Status: resp.StatusCode, Message: "malformed embeddings JSON: " + err.Error(), Err: err}
		}
		if wire.Error != nil {
			return wire.Error.toError(resp.StatusCode)
		}
		if len(wire.Data) != len(texts) {
			return &Error{Code: CodeResponseInvalid, Message: fmt.Sprintf("got %d embeddings for %d inputs", len(wire.Data), len(texts))}
		}
		sort.SliceStable(wire.Data, func(i, j int) bool { return wire.Data[i].Index < wire.Data[j].Index })
		vecs = make([][]float32, len(wire.Data))
		for i, d := range wire.Data {
			v, err := decodeEmbedding(d.Embedding)
			if err != nil {
				return &Error{Code: CodeResponseInvalid, Message: err.Error(), Err: err}
			}
			vecs[i] = v
		}
		return nil
	})
	return vecs, err
}

// decodeEmbedding accepts a float array or base64 little-endian float32.
func decodeEmbedding(raw json.RawMessage) ([]float32, error) {
	var f []float32
	if err := json.Unmarshal(raw, &f); err == nil {
		return f, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("embedding is neither floats nor base64: %w", err)
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b)%4 != 0 {
		return nil, fmt.Errorf("bad base64 embedding")
	}
	f = make([]float32, len(b)/4)
	for i := range f {
		f[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return f, nil
}
