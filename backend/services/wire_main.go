package services

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"neko/backend/config"
	"neko/backend/desktopctl"
	"neko/backend/guard"
	"neko/backend/llm"
	"neko/backend/models"
	"neko/backend/session"
	"neko/backend/tts/voices"
	"neko/backend/workshop"
)

// mainExtras builds the main server's routers that come from feature
// packages: voices (TTS), the Steam workshop folder, provider checks,
// emotion and proactive chat.
type mainExtras struct {
	models       http.Handler
	voices       http.Handler
	workshop     *workshop.Service
	workshopFS   http.Handler
	extra        map[string]http.Handler
	closeWorkFS  func()
	syncWorkshop func(ctx context.Context)
}

func (s *Services) buildMainExtras(hub *session.Hub) (*mainExtras, error) {
	st := s.Store
	vstore, err := voices.OpenStore(st.Paths.File("voice_storage.json"))
	if err != nil {
		return nil, err
	}
	vh := voices.NewHandler(voices.Config{
		Store: vstore,
		Current: func() voices.Current {
			core := st.Core()
			c := voices.Current{Key: assistKey(core)}
			if k := core.String("ttsModelApiKey"); core.Bool("enableCustomApi", false) && k != "" {
				c.Key = k
			}
			if core.Bool("enableCustomApi", false) {
				u := strings.ToLower(core.String("ttsModelUrl"))
				switch {
				case strings.HasPrefix(u, "ws://") || strings.HasPrefix(u, "wss://"):
					c.LocalURL = core.String("ttsModelUrl")
				case strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://"):
					c.GSVURL = core.String("ttsModelUrl")
				}
			}
			return c
		},
		FreeVoices: func() map[string]string { return st.Providers.FreeVoices },
		VoiceOwners: func() map[string][]string {
			out := map[string][]string{}
			for _, ch := range st.Characters().List {
				if v := ch.Reserved.VoiceID; v != "" {
					out[v] = append(out[v], ch.Name)
				}
			}
			return out
		},
		OnVoiceRemoved: func(voiceID string) {
			for _, ch := range st.Characters().List {
				if ch.Reserved.VoiceID == voiceID {
					hub.Send(ch.Name, map[string]any{"type": "reload_page", "message": "voice removed; reloading"})
					hub.End(ch.Name, true)
				}
			}
		},
		ClearCharacterVoice: func(name string) error {
			return st.UpdateCharacters(func(c *config.Characters) error {
				ch, ok := c.Get(name)
				if !ok {
					return voices.ErrUnknownCharacter
				}
				ch.Reserved.VoiceID = ""
				return nil
			})
		},
		Logger: s.opts.Log,
	})
	ws := workshop.New(workshop.Config{ConfigDir: st.Paths.Config, DefaultFolder: st.Paths.Workshop, Logger: s.opts.Log},
		workshopCharacters{st})
	mount := ws.Mount(func(dir string) (http.Handler, io.Closer, error) {
		f, err := guard.NewFileServer(dir)
		if err != nil {
			return nil, nil, err
		}
		return f, f, nil
	})
	ctl, _ := hub.Desktop().(*desktopctl.Controls)
	if ctl == nil {
		return nil, errors.New("services: the hub has no desktop controls")
	}
	ctl.SetNotify(func(msg any) { hub.Send("", msg) })
	checker := &llm.ProviderChecker{Config: st.Core, Catalog: st.Providers}
	mh := models.New(models.Config{Assets: s.opts.Assets, Live2DDir: st.Paths.Live2D, VRMDir: st.Paths.VRM,
		VRMAnimDir: st.Paths.VRMAnimation, ConfigDir: st.Paths.Config, WorkshopRoot: mount.Root, Logger: s.opts.Log})
	return &mainExtras{
		models:     mh,
		voices:     vh,
		workshop:   ws,
		workshopFS: mount,
		extra: map[string]http.Handler{
			"GET /api/config/local_providers":  llm.LocalProvidersHandler(&llm.Discoverer{}),
			"POST /api/config/test_provider":   llm.TestProviderHandler(checker),
			"POST /api/config/test_connection": testConnection(checker, st.Providers),
			"POST /api/emotion/analysis":       hub.EmotionHandler(),
			"POST /api/proactive_chat":         hub.ProactiveHandler(),
			"GET /api/desktop/controls":        ctl.Handler(),
			"POST /api/desktop/controls":       ctl.Handler(),
		},
		closeWorkFS: func() { mount.Close(); ctl.Close() },
		syncWorkshop: func(ctx context.Context) {
			ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			defer cancel()
			if res, err := ws.SyncCharacters(ctx); err != nil {
				s.log.Warn("workshop character sync", "err", err)
			} else {
				s.log.Debug("workshop character sync", "result", res)
			}
		},
	}, nil
}

// workshopCharacters imports workshop character cards into characters.json.
type workshopCharacters struct{ st *config.Store }

func (w workshopCharacters) Names() []string { return w.st.Characters().Names() }

var errCharacterExists = errors.New("a character with this name already exists")

func (w workshopCharacters) AddCharacter(name string, profile []byte) error {
	ch, err := config.CharacterFromJSON(name, profile)
	if err != nil {
		return err
	}
	return w.st.UpdateCharacters(func(c *config.Characters) error {
		for _, n := range c.Names() {
			if strings.EqualFold(n, name) {
				return errCharacterExists
			}
		}
		c.List = append(c.List, ch)
		return nil
	})
}
