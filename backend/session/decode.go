package session

import (
	"encoding/json"
	"errors"

	"github.com/gorilla/websocket"
)

// decodeClientMsg turns one WebSocket frame from the page into a message: a
// binary frame is mic audio, a text frame must be a JSON object (reference
// §5.2). What the fields mean is checked where they are used.
func decodeClientMsg(typ int, data []byte) (clientMsg, error) {
	if typ == websocket.BinaryMessage {
		return clientMsg{binary: data}, nil
	}
	var msg clientMsg
	if err := json.Unmarshal(data, &msg); err != nil {
		return clientMsg{}, errors.New("malformed JSON")
	}
	return msg, nil
}
