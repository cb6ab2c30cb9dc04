package models

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

func glbBytes(doc string, bin int) []byte {
	for len(doc)%4 != 0 {
		doc += " "
	}
	total := 12 + 8 + len(doc) + 8 + bin
	b := append([]byte("glTF"), 0, 0, 0, 0)
	binary.LittleEndian.PutUint32(b[4:], 2)
	b = binary.LittleEndian.AppendUint32(b, uint32(total))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(doc)))
	b = append(append(b, "JSON"...), doc...)
	b = binary.LittleEndian.AppendUint32(b, uint32(bin))
	return append(append(b, "BIN\x00"...), make([]byte, bin)...)
}

// The check holds however the stream is cut into reads, and passes the
// bytes through unchanged.
func TestGLBCheckByteByByte(t *testing.T) {
	good := glbBytes(`{"asset":{"version":"2.0"},"extensionsUsed":["VRM"]}`, 64)
	for name, r := range map[string]io.Reader{
		"one byte": iotest.OneByteReader(bytes.NewReader(good)),
		"half":     iotest.HalfReader(bytes.NewReader(good)),
		"whole":    bytes.NewReader(good),
	} {
		out, err := io.ReadAll(newGLBCheck(r, "VRM", "VRMC_vrm"))
		if err != nil || !bytes.Equal(out, good) {
			t.Fatalf("%s: %v (%d of %d bytes)", name, err, len(out), len(good))
		}
	}
	for name, bad := range map[string][]byte{
		"short header": good[:10],
		"truncated":    good[:len(good)-1],
		"not JSON":     glbBytes(`{"asset":`, 8),
		"no VRM":       glbBytes(`{"asset":{},"extensionsUsed":["KHR_materials_unlit"]}`, 8),
		"empty":        {},
	} {
		_, err := io.ReadAll(newGLBCheck(iotest.OneByteReader(bytes.NewReader(bad)), "VRM"))
		if !errors.Is(err, errBrokenGLB) {
			t.Fatalf("%s: err %v", name, err)
		}
	}
}
