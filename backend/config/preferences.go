package config

import (
	"encoding/json"
	"fmt"
)

// Preferences is user_preferences.json: a list of per-model view settings;
// the first entry is the preferred model.
type Preferences []*Object

func parsePreferences(data []byte) (Preferences, error) {
	var p Preferences
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("user_preferences.json: %w", err)
	}
	for i, o := range p {
		if o == nil || o.String("model_path") == "" {
			return nil, fmt.Errorf("user_preferences.json: entry %d has no model_path", i)
		}
	}
	return p, nil
}

// Upsert replaces (or appends) the entry of entry's model_path.
func (p Preferences) Upsert(entry *Object) (Preferences, error) {
	mp := entry.String("model_path")
	if mp == "" {
		return nil, fmt.Errorf("model_path is required")
	}
	out := append(Preferences{}, p...)
	for i, o := range out {
		if o.String("model_path") == mp {
			merged := o.Clone()
			for _, k := range entry.keys {
				merged.SetRaw(k, entry.vals[k])
			}
			out[i] = merged
			return out, nil
		}
	}
	return append(out, entry.Clone()), nil
}

// SetPreferred moves model_path's entry to the top (creating it if needed).
func (p Preferences) SetPreferred(modelPath string) Preferences {
	out := Preferences{}
	var found *Object
	for _, o := range p {
		if o.String("model_path") == modelPath {
			found = o
			continue
		}
		out = append(out, o)
	}
	if found == nil {
		found = NewObject()
		_ = found.Set("model_path", modelPath)
	}
	return append(Preferences{found}, out...)
}
