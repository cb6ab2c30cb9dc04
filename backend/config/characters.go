package config

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// Top-level keys of characters.json. The original's code depends on these
// Chinese keys, so existing data folders keep working.
const (
	KeyMaster      = "主人"
	KeyCatgirls    = "猫娘"
	KeyCurrent     = "当前猫娘"
	KeyMicrophone  = "当前麦克风"
	KeyProfileName = "档案名"
	KeyReserved    = "_reserved"
)

// SystemReservedFields are the legacy flat fields that live in _reserved and
// that the generic edit endpoints refuse (reference §11.1).
var SystemReservedFields = []string{"_reserved", "live2d", "voice_id", "system_prompt", "model_type", "vrm",
	"vrm_animation", "lighting", "vrm_rotation", "live2d_item_id", "item_id", "idleAnimation"}

// WorkshopReservedFields are workshop metadata fields a profile may not set.
var WorkshopReservedFields = []string{"原始数据", "文件路径", "创意工坊物品ID", "description", "tags", "name", "描述", "标签", "关键词"}

// IsReservedField reports whether key is one of the reserved fields.
func IsReservedField(key string) bool {
	for _, k := range SystemReservedFields {
		if k == key {
			return true
		}
	}
	for _, k := range WorkshopReservedFields {
		if k == key {
			return true
		}
	}
	return false
}

// Lighting is a VRM character's lighting (ranges from reference §11.1).
type Lighting struct {
	Ambient     float64 `json:"ambient"`
	Main        float64 `json:"main"`
	Fill        float64 `json:"fill"`
	Rim         float64 `json:"rim"`
	Top         float64 `json:"top"`
	Bottom      float64 `json:"bottom"`
	Exposure    float64 `json:"exposure"`
	ToneMapping float64 `json:"toneMapping"`
}

// DefaultLighting is the original's default lighting.
func DefaultLighting() Lighting {
	return Lighting{Ambient: 0.4, Main: 1.2, Fill: 0.5, Rim: 0.8, Top: 0.3, Bottom: 0.15}
}

// Validate checks every value against its range and names the bad field.
func (l Lighting) Validate() error {
	checks := []struct {
		name     string
		v, lo, h float64
	}{{"ambient", l.Ambient, 0, 1}, {"main", l.Main, 0, 2.5}, {"fill", l.Fill, 0, 1}, {"rim", l.Rim, 0, 1.5},
		{"top", l.Top, 0, 1}, {"bottom", l.Bottom, 0, 0.5}, {"exposure", l.Exposure, -10, 10}, {"toneMapping", l.ToneMapping, 0, 5}}
	for _, c := range checks {
		if c.v < c.lo || c.v > c.h {
			return fmt.Errorf("lighting.%s = %g is outside %g..%g", c.name, c.v, c.lo, c.h)
		}
	}
	return nil
}

// Live2DAvatar is the Live2D part of the avatar binding.
type Live2DAvatar struct {
	ModelPath string `json:"model_path"`
}

// VRMAvatar is the VRM part of the avatar binding.
type VRMAvatar struct {
	ModelPath     string          `json:"model_path"`
	Animation     json.RawMessage `json:"animation"`
	IdleAnimation string          `json:"idle_animation"`
	Lighting      *Lighting       `json:"lighting"`
	Rotation      json.RawMessage `json:"rotation,omitempty"`
}

// Avatar is which model a character wears.
type Avatar struct {
	ModelType     string       `json:"model_type"`
	AssetSource   string       `json:"asset_source"`
	AssetSourceID string       `json:"asset_source_id"`
	Live2D        Live2DAvatar `json:"live2d"`
	VRM           VRMAvatar    `json:"vrm"`
}

// Reserved is the typed _reserved subtree (schema v2).
type Reserved struct {
	VoiceID      string `json:"voice_id"`
	SystemPrompt string `json:"system_prompt"`
	Avatar       Avatar `json:"avatar"`
}

// Character is one entry of 猫娘: its name, its free-form profile fields in
// file order (passed to the LLM as settings) and its reserved settings.
type Character struct {
	Name     string
	Profile  *Object
	Reserved Reserved
}

// Characters is the whole characters.json.
type Characters struct {
	Master     *Object
	List       []*Character
	Current    string
	Microphone string
	extra      *Object // unknown top-level keys, kept as they were
}

// Get returns the named character.
func (c *Characters) Get(name string) (*Character, bool) {
	for _, ch := range c.List {
		if ch.Name == name {
			return ch, true
		}
	}
	return nil, false
}

// Names lists the characters in file order.
func (c *Characters) Names() []string {
	out := make([]string, len(c.List))
	for i, ch := range c.List {
		out[i] = ch.Name
	}
	return out
}

// MasterName is the master's 档案名.
func (c *Characters) MasterName() string { return c.Master.String(KeyProfileName) }

// Clone returns a deep copy.
func (c *Characters) Clone() *Characters {
	out := &Characters{Master: c.Master.Clone(), Current: c.Current, Microphone: c.Microphone, extra: c.extra.Clone()}
	for _, ch := range c.List {
		cp := *ch
		cp.Profile = ch.Profile.Clone()
		if ch.Reserved.Avatar.VRM.Lighting != nil {
			l := *ch.Reserved.Avatar.VRM.Lighting
			cp.Reserved.Avatar.VRM.Lighting = &l
		}
		out.List = append(out.List, &cp)
	}
	return out
}

var nameRE = regexp.MustCompile(`^[\p{L}\p{N}_\- ]{1,100}$`)

// ValidateName checks a character name: letters (any script), digits, "_",
// "-" and spaces, 1–100 characters, no path separators or dots.
func ValidateName(name string) error {
	if strings.TrimSpace(name) == "" {
		return fmt.Errorf("character name is empty")
	}
	if !nameRE.MatchString(name) {
		return fmt.Errorf("character name %q may only hold letters, digits, '_', '-' and spaces (at most 100)", name)
	}
	return nil
}

// parseCharacters decodes characters.json, migrating legacy flat fields.
func parseCharacters(data []byte) (*Characters, error) {
	var top Object
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, fmt.Errorf("characters.json: %w", err)
	}
	c := &Characters{Master: NewObject(), extra: NewObject()}
	for _, k := range top.keys {
		raw := top.vals[k]
		switch k {
		case KeyMaster:
			if err := json.Unmarshal(raw, c.Master); err != nil {
				return nil, fmt.Errorf("characters.json: field %q must be an object: %w", k, err)
			}
		case KeyCatgirls:
			var list Object
			if err := json.Unmarshal(raw, &list); err != nil {
				return nil, fmt.Errorf("characters.json: field %q must be an object: %w", k, err)
			}
			for _, name := range list.keys {
				ch, err := parseCharacter(name, list.vals[name])
				if err != nil {
					return nil, err
				}
				c.List = append(c.List, ch)
			}
		case KeyCurrent:
			if err := json.Unmarshal(raw, &c.Current); err != nil {
				return nil, fmt.Errorf("characters.json: field %q must be a string", k)
			}
		case KeyMicrophone:
			var s any
			_ = json.Unmarshal(raw, &s)
			c.Microphone, _ = s.(string)
		default:
			c.extra.SetRaw(k, raw)
		}
	}
	if _, ok := c.Get(c.Current); !ok && len(c.List) > 0 {
		c.Current = c.List[0].Name
	}
	return c, nil
}

func parseCharacter(name string, raw json.RawMessage) (*Character, error) {
	prof := NewObject()
	if err := json.Unmarshal(raw, prof); err != nil {
		return nil, fmt.Errorf("characters.json: 猫娘.%s must be an object: %w", name, err)
	}
	ch := &Character{Name: name, Profile: NewObject()}
	if r, ok := prof.Raw(KeyReserved); ok {
		if err := json.Unmarshal(r, &ch.Reserved); err != nil {
			return nil, fmt.Errorf("characters.json: 猫娘.%s._reserved: %w", name, err)
		}
	}
	migrateLegacy(ch, prof)
	for _, k := range prof.keys {
		if k == KeyReserved || isLegacyFlat(k) {
			continue
		}
		ch.Profile.SetRaw(k, prof.vals[k])
	}
	normalizeReserved(&ch.Reserved)
	return ch, nil
}

func isLegacyFlat(k string) bool {
	for _, f := range SystemReservedFields[1:] {
		if f == k {
			return true
		}
	}
	return false
}

// migrateLegacy moves the pre-v2 flat fields into _reserved; values already
// in _reserved win.
func migrateLegacy(ch *Character, prof *Object) {
	r := &ch.Reserved
	str := func(k string) string { return prof.String(k) }
	if v := str("voice_id"); v != "" && r.VoiceID == "" {
		r.VoiceID = v
	}
	if v := str("system_prompt"); v != "" && r.SystemPrompt == "" {
		r.SystemPrompt = v
	}
	if v := str("model_type"); v != "" && r.Avatar.ModelType == "" {
		r.Avatar.ModelType = v
	}
	if v := str("live2d"); v != "" && r.Avatar.Live2D.ModelPath == "" {
		r.Avatar.Live2D.ModelPath = live2DModelPath(v)
	}
	for _, k := range []string{"live2d_item_id", "item_id"} {
		if v := legacyID(prof, k); v != "" && r.Avatar.AssetSourceID == "" {
			r.Avatar.AssetSource = "steam_workshop"
			r.Avatar.AssetSourceID = v
		}
	}
	if v := str("vrm"); v != "" && r.Avatar.VRM.ModelPath == "" {
		r.Avatar.VRM.ModelPath = v
	}
	if raw, ok := prof.Raw("vrm_animation"); ok && len(r.Avatar.VRM.Animation) == 0 {
		r.Avatar.VRM.Animation = raw
	}
	if v := str("idleAnimation"); v != "" && r.Avatar.VRM.IdleAnimation == "" {
		r.Avatar.VRM.IdleAnimation = v
	}
	if r.Avatar.VRM.Lighting == nil {
		var l Lighting
		if ok, err := prof.Get("lighting", &l); ok && err == nil {
			r.Avatar.VRM.Lighting = &l
		}
	}
	if raw, ok := prof.Raw("vrm_rotation"); ok && len(r.Avatar.VRM.Rotation) == 0 {
		r.Avatar.VRM.Rotation = raw
	}
}

func legacyID(prof *Object, key string) string {
	var v any
	if ok, _ := prof.Get(key, &v); !ok {
		return ""
	}
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return fmt.Sprintf("%.0f", x)
	}
	return ""
}

// live2DModelPath turns a legacy folder name into "<name>/<name>.model3.json".
func live2DModelPath(v string) string {
	if strings.HasSuffix(v, ".json") {
		return v
	}
	return v + "/" + v + ".model3.json"
}

func normalizeReserved(r *Reserved) {
	if r.Avatar.ModelType == "" {
		r.Avatar.ModelType = "live2d"
		if r.Avatar.VRM.ModelPath != "" && r.Avatar.Live2D.ModelPath == "" {
			r.Avatar.ModelType = "vrm"
		}
	}
	if r.Avatar.AssetSource == "" {
		r.Avatar.AssetSource = "local"
	}
	if len(r.Avatar.VRM.Animation) == 0 {
		r.Avatar.VRM.Animation = json.RawMessage("null")
	}
}

// MarshalJSON writes the original's schema.
func (c *Characters) MarshalJSON() ([]byte, error) {
	top := NewObject()
	if err := top.Set(KeyMaster, c.Master); err != nil {
		return nil, err
	}
	list := NewObject()
	for _, ch := range c.List {
		if err := list.Set(ch.Name, ch.stored()); err != nil {
			return nil, err
		}
	}
	if err := top.Set(KeyCatgirls, list); err != nil {
		return nil, err
	}
	if err := top.Set(KeyCurrent, c.Current); err != nil {
		return nil, err
	}
	if c.Microphone != "" {
		if err := top.Set(KeyMicrophone, c.Microphone); err != nil {
			return nil, err
		}
	}
	for _, k := range c.extra.keys {
		top.SetRaw(k, c.extra.vals[k])
	}
	return top.MarshalJSON()
}

// stored is the character as it is written to the file: profile + _reserved.
func (ch *Character) stored() *Object {
	o := ch.Profile.Clone()
	_ = o.Set(KeyReserved, ch.Reserved)
	return o
}

// Flattened is the character as GET /api/characters/ returns it: the
// profile, _reserved, and the legacy flat fields the old frontend reads.
func (ch *Character) Flattened() *Object {
	o := ch.stored()
	r := ch.Reserved
	_ = o.Set("voice_id", r.VoiceID)
	_ = o.Set("system_prompt", r.SystemPrompt)
	_ = o.Set("model_type", r.Avatar.ModelType)
	_ = o.Set("live2d", live2DFolder(r.Avatar.Live2D.ModelPath))
	if r.Avatar.AssetSource == "steam_workshop" {
		_ = o.Set("live2d_item_id", r.Avatar.AssetSourceID)
	}
	_ = o.Set("vrm", r.Avatar.VRM.ModelPath)
	o.SetRaw("vrm_animation", r.Avatar.VRM.Animation)
	_ = o.Set("idleAnimation", r.Avatar.VRM.IdleAnimation)
	_ = o.Set("lighting", r.Avatar.VRM.Lighting)
	return o
}

// live2DFolder is the model folder of "mao_pro/mao_pro.model3.json".
func live2DFolder(modelPath string) string {
	if i := strings.Index(modelPath, "/"); i > 0 {
		return modelPath[:i]
	}
	return strings.TrimSuffix(modelPath, ".model3.json")
}

// FlattenedJSON is the whole file in the shape GET /api/characters/ returns.
func (c *Characters) FlattenedJSON() *Object {
	top := NewObject()
	_ = top.Set(KeyMaster, c.Master)
	list := NewObject()
	for _, ch := range c.List {
		_ = list.Set(ch.Name, ch.Flattened())
	}
	_ = top.Set(KeyCatgirls, list)
	_ = top.Set(KeyCurrent, c.Current)
	if c.Microphone != "" {
		_ = top.Set(KeyMicrophone, c.Microphone)
	}
	return top
}

// DefaultSystemPrompt is the prompt a new character starts with.
const DefaultSystemPrompt = "你是一个名叫{LANLAN_NAME}的猫娘，正在和{MASTER_NAME}聊天。你说话自然、简短、口语化，有自己的情绪和想法。不要使用括号描述动作，不要说自己是AI。"

// DefaultCharacters is the file created on first start.
func DefaultCharacters() *Characters {
	master := NewObject()
	_ = master.Set(KeyProfileName, "哥哥")
	_ = master.Set("性别", "男")
	_ = master.Set("昵称", "哥哥")
	prof := NewObject()
	_ = prof.Set("性别", "女")
	_ = prof.Set("年龄", 15)
	_ = prof.Set("昵称", "T酱, 小T")
	ch := &Character{Name: "test", Profile: prof, Reserved: Reserved{SystemPrompt: DefaultSystemPrompt}}
	normalizeReserved(&ch.Reserved)
	return &Characters{Master: master, List: []*Character{ch}, Current: "test", extra: NewObject()}
}

// CharacterFromJSON builds a character from one profile object in the
// characters.json shape (fields in file order, optional _reserved, legacy
// flat fields migrated), e.g. an imported character card.
func CharacterFromJSON(name string, raw []byte) (*Character, error) {
	if err := ValidateName(name); err != nil {
		return nil, err
	}
	return parseCharacter(name, raw)
}
