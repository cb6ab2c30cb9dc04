package config

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Object is a JSON object that keeps its keys in file order and its values as
// raw JSON, so a file written by the original app (or edited by hand) round
// trips without reordering or losing fields we do not model.
type Object struct {
	keys []string
	vals map[string]json.RawMessage
}

// NewObject returns an empty object.
func NewObject() *Object { return &Object{vals: map[string]json.RawMessage{}} }

// Keys returns the keys in order.
func (o *Object) Keys() []string { return append([]string(nil), o.keys...) }

// Len is the number of keys.
func (o *Object) Len() int { return len(o.keys) }

// Has reports whether key is present.
func (o *Object) Has(key string) bool { _, ok := o.vals[key]; return ok }

// Raw returns the raw JSON of key.
func (o *Object) Raw(key string) (json.RawMessage, bool) {
	v, ok := o.vals[key]
	return v, ok
}

// Get unmarshals key into v; it reports false when the key is absent.
func (o *Object) Get(key string, v any) (bool, error) {
	raw, ok := o.vals[key]
	if !ok {
		return false, nil
	}
	return true, json.Unmarshal(raw, v)
}

// String returns key as a string ("" when absent or not a string).
func (o *Object) String(key string) string {
	var s string
	if ok, err := o.Get(key, &s); !ok || err != nil {
		return ""
	}
	return s
}

// Set stores v (marshalled) under key, appending new keys at the end.
func (o *Object) Set(key string, v any) error {
	raw, err := marshalNoEscape(v)
	if err != nil {
		return fmt.Errorf("set %q: %w", key, err)
	}
	o.SetRaw(key, raw)
	return nil
}

// SetRaw stores raw JSON under key.
func (o *Object) SetRaw(key string, raw json.RawMessage) {
	if o.vals == nil {
		o.vals = map[string]json.RawMessage{}
	}
	if _, ok := o.vals[key]; !ok {
		o.keys = append(o.keys, key)
	}
	o.vals[key] = append(json.RawMessage(nil), raw...)
}

// Delete removes key.
func (o *Object) Delete(key string) {
	if _, ok := o.vals[key]; !ok {
		return
	}
	delete(o.vals, key)
	for i, k := range o.keys {
		if k == key {
			o.keys = append(o.keys[:i], o.keys[i+1:]...)
			break
		}
	}
}

// Rename changes a key in place, keeping its position.
func (o *Object) Rename(old, new string) {
	raw, ok := o.vals[old]
	if !ok || old == new {
		return
	}
	o.Delete(new)
	for i, k := range o.keys {
		if k == old {
			o.keys[i] = new
		}
	}
	delete(o.vals, old)
	o.vals[new] = raw
}

// Clone returns a deep copy.
func (o *Object) Clone() *Object {
	c := &Object{keys: append([]string(nil), o.keys...), vals: make(map[string]json.RawMessage, len(o.vals))}
	for k, v := range o.vals {
		c.vals[k] = append(json.RawMessage(nil), v...)
	}
	return c
}

// Map returns the object as a generic map (for handing to templates/LLMs).
func (o *Object) Map() map[string]any {
	m := make(map[string]any, len(o.keys))
	for _, k := range o.keys {
		var v any
		_ = json.Unmarshal(o.vals[k], &v)
		m[k] = v
	}
	return m
}

// MarshalJSON writes the keys in order.
func (o *Object) MarshalJSON() ([]byte, error) {
	if o == nil {
		return []byte("null"), nil
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, err := marshalNoEscape(k)
		if err != nil {
			return nil, err
		}
		b.Write(kb)
		b.WriteByte(':')
		b.Write(o.vals[k])
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads an object, keeping key order. Duplicate keys keep the
// last value (as Python's json does) at the first position.
func (o *Object) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("expected a JSON object")
	}
	o.keys = nil
	o.vals = map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, ok := tok.(string)
		if !ok {
			return fmt.Errorf("expected an object key")
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return fmt.Errorf("value of %q: %w", key, err)
		}
		o.SetRaw(key, raw)
	}
	if _, err := dec.Token(); err != nil {
		return err
	}
	return nil
}

// marshalNoEscape marshals without HTML escaping, so Chinese text and "<"
// stay readable in files a user may open.
func marshalNoEscape(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// indentJSON marshals v for a file: two-space indent, no HTML escaping.
func indentJSON(v any) ([]byte, error) {
	raw, err := marshalNoEscape(v)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		return nil, err
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}
