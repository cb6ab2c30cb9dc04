package session

import (
	"encoding/json"
	"testing"

	"github.com/gorilla/websocket"
)

func TestDecodeClientMsg(t *testing.T) {
	msg, err := decodeClientMsg(websocket.TextMessage, []byte(`{"action":"stream_data","input_type":"text","data":"你好"}`))
	if err != nil || msg.Action != "stream_data" || msg.InputType != "text" || dataString(msg.Data) != "你好" {
		t.Fatalf("text message: %+v %v", msg, err)
	}
	if msg, err := decodeClientMsg(websocket.BinaryMessage, []byte{1, 2}); err != nil || len(msg.binary) != 2 {
		t.Fatalf("binary frame: %+v %v", msg, err)
	}
	for _, bad := range []string{``, `{`, `[]`, `"x"`, `{"action":1}`} {
		if _, err := decodeClientMsg(websocket.TextMessage, []byte(bad)); err == nil {
			t.Errorf("%q decoded", bad)
		}
	}
	if !validImage("data:image/png;base64,iVBORw0KGgoAAAANSUhEUg==") || validImage("data:image/gif;base64,R0lGODlhAQABAAAAACw=") {
		t.Error("validImage accepts the wrong formats")
	}
}

// FuzzClientMessage feeds arbitrary WebSocket frames through what the
// reader does with them before the session acts: decode, and read the text
// or image payload. Any input must give a message or an error, never panic;
// a decoded text payload must be the JSON string it came from.
func FuzzClientMessage(f *testing.F) {
	for _, s := range []string{
		`{"action":"start_session","input_type":"text","new_session":true,"language":"zh-CN"}`,
		`{"action":"stream_data","input_type":"text","data":"今天天气怎么样"}`,
		`{"action":"stream_data","input_type":"audio","data":[0,1,-1,32767,-32768]}`,
		`{"action":"stream_data","input_type":"screen","data":"data:image/jpeg;base64,/9j/4AAQSkZJRg=="}`,
		`{"action":"screenshot_response","data":null}`,
		`{"action":"ping"}`,
	} {
		f.Add(false, []byte(s))
	}
	f.Add(true, []byte{0, 0, 255, 127})
	f.Fuzz(func(t *testing.T, binary bool, data []byte) {
		typ := websocket.TextMessage
		if binary {
			typ = websocket.BinaryMessage
		}
		msg, err := decodeClientMsg(typ, data)
		if err != nil {
			if binary {
				t.Fatalf("binary frame refused: %v", err)
			}
			return
		}
		if binary {
			if len(msg.binary) != len(data) {
				t.Fatalf("binary frame changed length")
			}
			return
		}
		s := dataString(msg.Data)
		if s != "" {
			var back string
			if err := json.Unmarshal(msg.Data, &back); err != nil || back != s {
				t.Fatalf("text payload %q does not match its JSON %q", s, msg.Data)
			}
		}
		_ = validImage(s)
	})
}
