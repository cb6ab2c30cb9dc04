package mainserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"neko/backend/atomicfile"
	"neko/backend/config"
	"neko/backend/httpjson"
)

var errVoiceSession = errors.New("the character is in a voice session; end it first")

func (s *Server) characterRoutes() {
	m := s.mux
	const p = "/api/characters"
	m.HandleFunc("GET "+p+"/{$}", func(w http.ResponseWriter, r *http.Request) {
		httpjson.Write(w, 200, s.deps.Store.Characters().FlattenedJSON())
	})
	m.HandleFunc("GET "+p, func(w http.ResponseWriter, r *http.Request) {
		httpjson.Write(w, 200, s.deps.Store.Characters().FlattenedJSON())
	})
	m.HandleFunc("GET "+p+"/current_live2d_model", s.currentLive2DModel)
	m.HandleFunc("PUT "+p+"/catgirl/{a}/{b}", s.putCatgirlSub)
	m.HandleFunc("GET "+p+"/catgirl/{name}/voice_mode_status", func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		httpjson.Write(w, 200, map[string]any{"success": true, "lanlan_name": name, "is_voice_mode": s.deps.Sessions.Active(name)})
	})
	m.HandleFunc("POST "+p+"/catgirl/{name}/rename", s.renameCatgirl)
	m.HandleFunc("POST "+p+"/catgirl/{name}/unregister_voice", func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		err := s.updateCharacter(name, func(ch *config.Character) error { ch.Reserved.VoiceID = ""; return nil })
		s.replyCharacter(w, err, map[string]any{"success": true, "message": "voice unregistered"})
	})
	m.HandleFunc("GET "+p+"/current_catgirl", func(w http.ResponseWriter, r *http.Request) {
		httpjson.Write(w, 200, map[string]any{"current_catgirl": s.deps.Store.Characters().Current})
	})
	m.HandleFunc("POST "+p+"/current_catgirl", s.switchCatgirl)
	m.HandleFunc("POST "+p+"/reload", func(w http.ResponseWriter, r *http.Request) {
		s.reply(w, s.deps.Store.ReloadCharacters(), map[string]any{"success": true})
	})
	m.HandleFunc("POST "+p+"/master", s.setMaster)
	m.HandleFunc("POST "+p+"/catgirl", s.createCatgirl)
	m.HandleFunc("PUT "+p+"/catgirl/{name}", s.updateCatgirl)
	m.HandleFunc("DELETE "+p+"/catgirl/{name}", s.deleteCatgirl)
	m.HandleFunc("POST "+p+"/clear_voice_ids", func(w http.ResponseWriter, r *http.Request) {
		err := s.deps.Store.UpdateCharacters(func(c *config.Characters) error {
			for _, ch := range c.List {
				ch.Reserved.VoiceID = ""
			}
			return nil
		})
		s.reply(w, err, map[string]any{"success": true})
	})
	m.HandleFunc("POST "+p+"/set_microphone", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			MicrophoneID string `json:"microphone_id"`
		}
		if !httpjson.DecodeOrError(w, r, &body, 0) {
			return
		}
		err := s.deps.Store.UpdateCharacters(func(c *config.Characters) error { c.Microphone = body.MicrophoneID; return nil })
		s.reply(w, err, map[string]any{"success": true})
	})
	m.HandleFunc("GET "+p+"/get_microphone", func(w http.ResponseWriter, r *http.Request) {
		httpjson.Write(w, 200, map[string]any{"microphone_id": s.deps.Store.Characters().Microphone})
	})
	m.HandleFunc("GET "+p+"/character-card/list", s.listCards)
	m.HandleFunc("POST "+p+"/character-card/save", s.saveCard)
	if s.deps.Voices != nil {
		for _, pat := range []string{"GET " + p + "/voices", "POST " + p + "/voices", "DELETE " + p + "/voices/{id}",
			"GET " + p + "/voice_preview", "POST " + p + "/voice_clone", "GET " + p + "/custom_tts_voices",
			"POST " + p + "/audio/", "GET " + p + "/audio/"} {
			m.Handle(pat, s.deps.Voices)
		}
	} else {
		for _, pat := range []string{"GET " + p + "/voices", "POST " + p + "/voices", "DELETE " + p + "/voices/{id}",
			"GET " + p + "/voice_preview", "POST " + p + "/voice_clone", "GET " + p + "/custom_tts_voices", p + "/audio/"} {
			m.Handle(pat, notImplemented("voice"))
		}
	}
}

// replyCharacter maps "no such character" to 404, other errors to 400.
func (s *Server) replyCharacter(w http.ResponseWriter, err error, ok any) {
	var nf notFoundError
	switch {
	case errors.As(err, &nf):
		httpjson.Error(w, 404, "not_found", err.Error())
	case errors.Is(err, errVoiceSession):
		httpjson.Error(w, 400, "VOICE_SESSION_ACTIVE", err.Error())
	default:
		s.reply(w, err, ok)
	}
}

type notFoundError string

func (e notFoundError) Error() string { return fmt.Sprintf("character %q does not exist", string(e)) }

func (s *Server) updateCharacter(name string, fn func(ch *config.Character) error) error {
	return s.deps.Store.UpdateCharacters(func(c *config.Characters) error {
		ch, ok := c.Get(name)
		if !ok {
			return notFoundError(name)
		}
		return fn(ch)
	})
}

// putCatgirlSub handles PUT /catgirl/l2d/{name}, /catgirl/voice_id/{name}
// and /catgirl/{name}/lighting (one pattern: Go's mux cannot tell them apart).
func (s *Server) putCatgirlSub(w http.ResponseWriter, r *http.Request) {
	a, b := r.PathValue("a"), r.PathValue("b")
	switch {
	case a == "l2d":
		s.bindModel(w, r, b)
	case a == "voice_id":
		s.setVoiceID(w, r, b)
	case b == "lighting":
		s.setLighting(w, r, a)
	default:
		httpjson.Error(w, 404, "not_found", "unknown character route")
	}
}

func (s *Server) bindModel(w http.ResponseWriter, r *http.Request, name string) {
	var body struct {
		ModelType     string          `json:"model_type"`
		Live2D        string          `json:"live2d"`
		VRM           string          `json:"vrm"`
		ItemID        json.RawMessage `json:"item_id"`
		VRMAnimation  json.RawMessage `json:"vrm_animation"`
		IdleAnimation *string         `json:"idle_animation"`
	}
	if !httpjson.DecodeOrError(w, r, &body, 0) {
		return
	}
	if body.ModelType != "live2d" && body.ModelType != "vrm" {
		httpjson.Error(w, 400, "invalid", `model_type must be "live2d" or "vrm"`)
		return
	}
	if err := config.ValidateName(name); err != nil {
		httpjson.Error(w, 400, "invalid", err.Error())
		return
	}
	itemID := strings.Trim(string(body.ItemID), `"`)
	if itemID == "null" {
		itemID = ""
	}
	err := s.deps.Store.UpdateCharacters(func(c *config.Characters) error {
		ch, ok := c.Get(name)
		if !ok { // the original creates the character on first binding
			ch = &config.Character{Name: name, Profile: config.NewObject()}
			ch.Reserved.Avatar.AssetSource = "local"
			ch.Reserved.Avatar.VRM.Animation = json.RawMessage("null")
			c.List = append(c.List, ch)
		}
		av := &ch.Reserved.Avatar
		av.ModelType = body.ModelType
		if body.ModelType == "live2d" {
			if body.Live2D == "" {
				return errors.New("live2d (the model folder or model3.json path) is required")
			}
			mp := body.Live2D
			if !strings.HasSuffix(mp, ".json") {
				mp = mp + "/" + mp + ".model3.json"
			}
			av.Live2D.ModelPath = mp
		} else {
			if body.VRM == "" {
				return errors.New("vrm (the model path) is required")
			}
			av.VRM.ModelPath = body.VRM
			if len(body.VRMAnimation) > 0 {
				av.VRM.Animation = body.VRMAnimation
			}
			if body.IdleAnimation != nil {
				av.VRM.IdleAnimation = *body.IdleAnimation
			}
		}
		if itemID != "" {
			av.AssetSource, av.AssetSourceID = "steam_workshop", itemID
		} else {
			av.AssetSource, av.AssetSourceID = "local", ""
		}
		return nil
	})
	s.replyCharacter(w, err, map[string]any{"success": true, "message": "model bound"})
}

func (s *Server) setLighting(w http.ResponseWriter, r *http.Request, name string) {
	var body struct {
		Lighting *config.Lighting `json:"lighting"`
	}
	if !httpjson.DecodeOrError(w, r, &body, 0) {
		return
	}
	if body.Lighting == nil {
		httpjson.Error(w, 400, "invalid", "lighting is required")
		return
	}
	if err := body.Lighting.Validate(); err != nil {
		httpjson.Error(w, 400, "invalid", err.Error())
		return
	}
	err := s.updateCharacter(name, func(ch *config.Character) error {
		l := *body.Lighting
		ch.Reserved.Avatar.VRM.Lighting = &l
		return nil
	})
	s.replyCharacter(w, err, map[string]any{"success": true})
}

func (s *Server) setVoiceID(w http.ResponseWriter, r *http.Request, name string) {
	var body struct {
		VoiceID string `json:"voice_id"`
	}
	if !httpjson.DecodeOrError(w, r, &body, 0) {
		return
	}
	changed := false
	err := s.updateCharacter(name, func(ch *config.Character) error {
		changed = ch.Reserved.VoiceID != body.VoiceID
		ch.Reserved.VoiceID = body.VoiceID
		return nil
	})
	if err != nil {
		s.replyCharacter(w, err, nil)
		return
	}
	restarted := false
	if changed && s.deps.Sessions.Active(name) {
		s.deps.Sessions.Send(name, map[string]any{"type": "reload_page", "message": "voice changed; reloading"})
		s.deps.Sessions.End(name, true)
		restarted = true
	}
	httpjson.Write(w, 200, map[string]any{"success": true, "session_restarted": restarted, "voice_id_changed": changed})
}

func (s *Server) renameCatgirl(w http.ResponseWriter, r *http.Request) {
	old := r.PathValue("name")
	var body struct {
		NewName string `json:"new_name"`
	}
	if !httpjson.DecodeOrError(w, r, &body, 0) {
		return
	}
	if err := config.ValidateName(body.NewName); err != nil {
		httpjson.Error(w, 400, "invalid", err.Error())
		return
	}
	if s.deps.Sessions.Active(old) {
		s.replyCharacter(w, errVoiceSession, nil)
		return
	}
	wasCurrent := false
	err := s.deps.Store.UpdateCharacters(func(c *config.Characters) error {
		ch, ok := c.Get(old)
		if !ok {
			return notFoundError(old)
		}
		if _, exists := c.Get(body.NewName); exists {
			return fmt.Errorf("a character named %q already exists", body.NewName)
		}
		ch.Name = body.NewName
		if c.Current == old {
			c.Current, wasCurrent = body.NewName, true
		}
		return nil
	})
	if err != nil {
		s.replyCharacter(w, err, nil)
		return
	}
	if wasCurrent {
		s.deps.Sessions.Send(old, map[string]any{"type": "catgirl_switched", "new_catgirl": body.NewName, "old_catgirl": old})
	}
	httpjson.Write(w, 200, map[string]any{"success": true, "old_name": old, "new_name": body.NewName})
}

func (s *Server) switchCatgirl(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Name string `json:"catgirl_name"`
	}
	if !httpjson.DecodeOrError(w, r, &body, 0) {
		return
	}
	old := s.deps.Store.Characters().Current
	if old != body.Name && s.deps.Sessions.Active(old) {
		s.replyCharacter(w, errVoiceSession, nil)
		return
	}
	err := s.deps.Store.UpdateCharacters(func(c *config.Characters) error {
		if _, ok := c.Get(body.Name); !ok {
			return notFoundError(body.Name)
		}
		c.Current = body.Name
		return nil
	})
	if err != nil {
		s.replyCharacter(w, err, nil)
		return
	}
	s.deps.Sessions.Send("", map[string]any{"type": "catgirl_switched", "new_catgirl": body.Name, "old_catgirl": old})
	httpjson.Write(w, 200, map[string]any{"success": true, "current_catgirl": body.Name})
}

// profileBody reads a profile dict, dropping empty values and refusing
// reserved fields by name.
func profileBody(w http.ResponseWriter, r *http.Request) (*config.Object, bool) {
	o := config.NewObject()
	if !httpjson.DecodeOrError(w, r, o, 0) {
		return nil, false
	}
	for _, k := range o.Keys() {
		if config.IsReservedField(k) {
			o.Delete(k)
		}
	}
	return o, true
}

func (s *Server) setMaster(w http.ResponseWriter, r *http.Request) {
	o, ok := profileBody(w, r)
	if !ok {
		return
	}
	if o.String(config.KeyProfileName) == "" {
		httpjson.Error(w, 400, "invalid", "档案名 (the master's name) is required")
		return
	}
	clean := config.NewObject()
	for _, k := range o.Keys() {
		if raw, _ := o.Raw(k); string(raw) != `""` && string(raw) != "null" {
			clean.SetRaw(k, raw)
		}
	}
	err := s.deps.Store.UpdateCharacters(func(c *config.Characters) error { c.Master = clean; return nil })
	s.reply(w, err, map[string]any{"success": true})
}

func (s *Server) createCatgirl(w http.ResponseWriter, r *http.Request) {
	o, ok := profileBody(w, r)
	if !ok {
		return
	}
	name := o.String(config.KeyProfileName)
	if err := config.ValidateName(name); err != nil {
		httpjson.Error(w, 400, "invalid", err.Error())
		return
	}
	o.Delete(config.KeyProfileName)
	err := s.deps.Store.UpdateCharacters(func(c *config.Characters) error {
		if _, exists := c.Get(name); exists {
			return fmt.Errorf("a character named %q already exists", name)
		}
		ch := &config.Character{Name: name, Profile: o}
		ch.Reserved.SystemPrompt = config.DefaultSystemPrompt
		ch.Reserved.Avatar.ModelType, ch.Reserved.Avatar.AssetSource = "live2d", "local"
		ch.Reserved.Avatar.VRM.Animation = json.RawMessage("null")
		c.List = append(c.List, ch)
		return nil
	})
	s.reply(w, err, map[string]any{"success": true, "name": name})
}

func (s *Server) updateCatgirl(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	raw := config.NewObject()
	if !httpjson.DecodeOrError(w, r, raw, 0) {
		return
	}
	// system_prompt and voice_id are edited here by the original's page, so
	// they go to _reserved; every other reserved field is refused.
	prompt, hasPrompt := raw.Raw("system_prompt")
	err := s.updateCharacter(name, func(ch *config.Character) error {
		for _, k := range raw.Keys() {
			if config.IsReservedField(k) || k == config.KeyProfileName {
				continue
			}
			v, _ := raw.Raw(k)
			if string(v) == "null" {
				ch.Profile.Delete(k)
				continue
			}
			ch.Profile.SetRaw(k, v)
		}
		if hasPrompt {
			var p string
			if err := json.Unmarshal(prompt, &p); err != nil {
				return errors.New("system_prompt must be a string")
			}
			ch.Reserved.SystemPrompt = p
		}
		return nil
	})
	s.replyCharacter(w, err, map[string]any{"success": true})
}

func (s *Server) deleteCatgirl(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	err := s.deps.Store.UpdateCharacters(func(c *config.Characters) error {
		if c.Current == name {
			return errors.New("the current character cannot be deleted; switch to another one first")
		}
		for i, ch := range c.List {
			if ch.Name == name {
				c.List = append(c.List[:i], c.List[i+1:]...)
				return nil
			}
		}
		return notFoundError(name)
	})
	if err == nil {
		s.deps.Sessions.End(name, true)
	}
	s.replyCharacter(w, err, map[string]any{"success": true})
}

func (s *Server) currentLive2DModel(w http.ResponseWriter, r *http.Request) {
	chars := s.deps.Store.Characters()
	name := r.URL.Query().Get("catgirl_name")
	if name == "" {
		name = chars.Current
	}
	ch, ok := chars.Get(name)
	if !ok {
		httpjson.Error(w, 404, "not_found", notFoundError(name).Error())
		return
	}
	av := ch.Reserved.Avatar
	source := "local"
	if av.AssetSource == "steam_workshop" {
		source = "steam_workshop"
	}
	info := map[string]any{"name": live2DName(av.Live2D.ModelPath), "path": s.resolveLive2D(av), "source": source}
	if av.AssetSourceID != "" {
		info["item_id"] = av.AssetSourceID
	}
	httpjson.Write(w, 200, map[string]any{"success": true, "catgirl_name": name, "model_name": info["name"], "model_info": info})
}

func live2DName(modelPath string) string {
	if i := strings.Index(modelPath, "/"); i > 0 {
		return modelPath[:i]
	}
	return strings.TrimSuffix(filepath.Base(modelPath), ".model3.json")
}

func (s *Server) listCards(w http.ResponseWriter, r *http.Request) {
	dir := s.deps.Store.Paths.CharacterCards
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		s.reply(w, err, nil)
		return
	}
	cards := []map[string]any{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".chara.json") || e.Type()&os.ModeSymlink != 0 {
			continue
		}
		info, _ := e.Info()
		cards = append(cards, map[string]any{"name": strings.TrimSuffix(e.Name(), ".chara.json"), "filename": e.Name(), "size": info.Size()})
	}
	sort.Slice(cards, func(i, j int) bool { return cards[i]["name"].(string) < cards[j]["name"].(string) })
	httpjson.Write(w, 200, map[string]any{"success": true, "cards": cards})
}

// saveCard imports a character card into characters.json (and keeps the card
// file in character_cards/).
func (s *Server) saveCard(w http.ResponseWriter, r *http.Request) {
	o := config.NewObject()
	if !httpjson.DecodeOrError(w, r, o, 0) {
		return
	}
	name := o.String("character_card_name")
	if name == "" {
		name = o.String(config.KeyProfileName)
	}
	if err := config.ValidateName(name); err != nil {
		httpjson.Error(w, 400, "invalid", err.Error())
		return
	}
	profile := config.NewObject()
	if data, ok := o.Raw("chara_data"); ok {
		if err := json.Unmarshal(data, profile); err != nil {
			httpjson.Error(w, 400, "invalid", "chara_data must be an object")
			return
		}
	} else {
		profile = o.Clone()
		profile.Delete("character_card_name")
	}
	for _, k := range profile.Keys() {
		if config.IsReservedField(k) || k == config.KeyProfileName {
			profile.Delete(k)
		}
	}
	card := profile.Clone()
	_ = card.Set(config.KeyProfileName, name)
	data, _ := json.MarshalIndent(card, "", "  ")
	if err := atomicfile.Write(filepath.Join(s.deps.Store.Paths.CharacterCards, name+".chara.json"), data, 0o644); err != nil {
		s.reply(w, err, nil)
		return
	}
	err := s.deps.Store.UpdateCharacters(func(c *config.Characters) error {
		if ch, ok := c.Get(name); ok {
			for _, k := range profile.Keys() {
				v, _ := profile.Raw(k)
				ch.Profile.SetRaw(k, v)
			}
			return nil
		}
		ch := &config.Character{Name: name, Profile: profile}
		ch.Reserved.SystemPrompt = config.DefaultSystemPrompt
		ch.Reserved.Avatar.ModelType, ch.Reserved.Avatar.AssetSource = "live2d", "local"
		ch.Reserved.Avatar.VRM.Animation = json.RawMessage("null")
		c.List = append(c.List, ch)
		return nil
	})
	s.reply(w, err, map[string]any{"success": true, "name": name})
}
