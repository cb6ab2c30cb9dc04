//go:build windows

package computer

import (
	"errors"
	"fmt"
	"image"
	"strings"
	"sync"
	"unicode"
	"unicode/utf16"
	"unsafe"

	"golang.org/x/sys/windows"
)

var (
	user32 = windows.NewLazySystemDLL("user32.dll")
	gdi32  = windows.NewLazySystemDLL("gdi32.dll")

	pGetSystemMetrics       = user32.NewProc("GetSystemMetrics")
	pSetCursorPos           = user32.NewProc("SetCursorPos")
	pSendInput              = user32.NewProc("SendInput")
	pWindowFromPoint        = user32.NewProc("WindowFromPoint")
	pGetAncestor            = user32.NewProc("GetAncestor")
	pGetForegroundWindow    = user32.NewProc("GetForegroundWindow")
	pGetWindowTextW         = user32.NewProc("GetWindowTextW")
	pGetClassNameW          = user32.NewProc("GetClassNameW")
	pVkKeyScanW             = user32.NewProc("VkKeyScanW")
	pGetDC                  = user32.NewProc("GetDC")
	pReleaseDC              = user32.NewProc("ReleaseDC")
	pSetProcessDPIAware     = user32.NewProc("SetProcessDPIAware")
	pCreateCompatibleDC     = gdi32.NewProc("CreateCompatibleDC")
	pCreateCompatibleBitmap = gdi32.NewProc("CreateCompatibleBitmap")
	pSelectObject           = gdi32.NewProc("SelectObject")
	pBitBlt                 = gdi32.NewProc("BitBlt")
	pGetDIBits              = gdi32.NewProc("GetDIBits")
	pDeleteObject           = gdi32.NewProc("DeleteObject")
	pDeleteDC               = gdi32.NewProc("DeleteDC")

	dpiOnce sync.Once
)

func openBackend(string) (Backend, error) { return OpenWindows() }

// Win drives the Windows desktop with SendInput and GDI screenshots.
type Win struct {
	mu   sync.Mutex
	w, h int
}

// OpenWindows returns the primary screen backend (DPI-aware, so pixels are
// physical pixels as in the original).
func OpenWindows() (*Win, error) {
	if err := user32.Load(); err != nil {
		return nil, fmt.Errorf("user32: %w", err)
	}
	dpiOnce.Do(func() { pSetProcessDPIAware.Call() })
	w, _, _ := pGetSystemMetrics.Call(0)
	h, _, _ := pGetSystemMetrics.Call(1)
	if w == 0 || h == 0 {
		return nil, errors.New("no interactive desktop")
	}
	return &Win{w: int(w), h: int(h)}, nil
}

// Size is the primary screen size.
func (b *Win) Size() (int, int) { return b.w, b.h }

// Close releases nothing.
func (b *Win) Close() error { return nil }

type bitmapInfoHeader struct {
	Size                        uint32
	Width, Height               int32
	Planes, BitCount            uint16
	Compression, SizeImage      uint32
	XPels, YPels, Used, Import_ uint32
}

// Screenshot copies the primary screen.
func (b *Win) Screenshot() (image.Image, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	screen, _, _ := pGetDC.Call(0)
	if screen == 0 {
		return nil, errors.New("GetDC failed")
	}
	defer pReleaseDC.Call(0, screen)
	mem, _, _ := pCreateCompatibleDC.Call(screen)
	if mem == 0 {
		return nil, errors.New("CreateCompatibleDC failed")
	}
	defer pDeleteDC.Call(mem)
	bmp, _, _ := pCreateCompatibleBitmap.Call(screen, uintptr(b.w), uintptr(b.h))
	if bmp == 0 {
		return nil, errors.New("CreateCompatibleBitmap failed")
	}
	defer pDeleteObject.Call(bmp)
	old, _, _ := pSelectObject.Call(mem, bmp)
	defer pSelectObject.Call(mem, old)
	if ok, _, err := pBitBlt.Call(mem, 0, 0, uintptr(b.w), uintptr(b.h), screen, 0, 0, 0x00CC0020); ok == 0 {
		return nil, fmt.Errorf("BitBlt: %w", err)
	}
	hdr := bitmapInfoHeader{Size: uint32(unsafe.Sizeof(bitmapInfoHeader{})), Width: int32(b.w), Height: -int32(b.h), Planes: 1, BitCount: 32}
	buf := make([]byte, b.w*b.h*4)
	info := make([]byte, unsafe.Sizeof(hdr)+16) // BITMAPINFO with room for colour masks
	*(*bitmapInfoHeader)(unsafe.Pointer(&info[0])) = hdr
	if n, _, err := pGetDIBits.Call(mem, bmp, 0, uintptr(b.h), uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&info[0])), 0); n == 0 {
		return nil, fmt.Errorf("GetDIBits: %w", err)
	}
	img := image.NewRGBA(image.Rect(0, 0, b.w, b.h))
	for i := 0; i < len(buf); i += 4 { // BGRA
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = buf[i+2], buf[i+1], buf[i], 0xff
	}
	return img, nil
}

type mouseInput struct {
	dx, dy                 int32
	mouseData, flags, time uint32
	extra                  uintptr
}

type keybdInput struct {
	vk, scan    uint16
	flags, time uint32
	extra       uintptr
}

// input mirrors INPUT: the union is as large as MOUSEINPUT.
type input struct {
	typ uint32
	mi  mouseInput
}

func mouse(flags, data uint32) input {
	return input{typ: 0, mi: mouseInput{flags: flags, mouseData: data}}
}

func key(vk, scan uint16, flags uint32) input {
	in := input{typ: 1}
	*(*keybdInput)(unsafe.Pointer(&in.mi)) = keybdInput{vk: vk, scan: scan, flags: flags}
	return in
}

func send(ins ...input) error {
	if len(ins) == 0 {
		return nil
	}
	n, _, err := pSendInput.Call(uintptr(len(ins)), uintptr(unsafe.Pointer(&ins[0])), unsafe.Sizeof(ins[0]))
	if int(n) != len(ins) {
		return fmt.Errorf("SendInput blocked (%d of %d events; a higher-integrity window may have focus): %w", n, len(ins), err)
	}
	return nil
}

// Move puts the pointer at (x, y).
func (b *Win) Move(x, y int) error {
	if ok, _, err := pSetCursorPos.Call(uintptr(x), uintptr(y)); ok == 0 {
		return fmt.Errorf("SetCursorPos: %w", err)
	}
	return nil
}

// Click presses button (1 left, 3 right) count times at (x, y).
func (b *Win) Click(x, y, button, count int) error {
	if err := b.Move(x, y); err != nil {
		return err
	}
	down, up := uint32(0x0002), uint32(0x0004)
	if button == 3 {
		down, up = 0x0008, 0x0010
	}
	for i := 0; i < count; i++ {
		if err := send(mouse(down, 0), mouse(up, 0)); err != nil {
			return err
		}
	}
	return nil
}

// Scroll turns the wheel; clicks < 0 scrolls up.
func (b *Win) Scroll(x, y, clicks int) error {
	if err := b.Move(x, y); err != nil {
		return err
	}
	return send(mouse(0x0800, uint32(int32(-clicks*120))))
}

// Type sends text as Unicode key events (any language, no layout needed).
func (b *Win) Type(text string) error {
	var ins []input
	for _, u := range utf16.Encode([]rune(strings.ReplaceAll(text, "\n", "\r"))) {
		if u == '\r' {
			ins = append(ins, key(0x0D, 0, 0), key(0x0D, 0, 2))
			continue
		}
		ins = append(ins, key(0, u, 4), key(0, u, 4|2))
	}
	return send(ins...)
}

var vkNames = map[string]uint16{
	"return": 0x0D, "enter": 0x0D, "tab": 0x09, "backspace": 0x08, "escape": 0x1B, "esc": 0x1B, "delete": 0x2E, "del": 0x2E,
	"insert": 0x2D, "home": 0x24, "end": 0x23, "left": 0x25, "up": 0x26, "right": 0x27, "down": 0x28, "pageup": 0x21,
	"page_up": 0x21, "pagedown": 0x22, "page_down": 0x22, "space": 0x20, "shift": 0x10, "ctrl": 0x11, "control": 0x11,
	"alt": 0x12, "win": 0x5B, "super": 0x5B, "meta": 0x5B, "cmd": 0x5B, "menu": 0x5D, "printscreen": 0x2C, "print": 0x2C,
}

func vkFor(name string) (uint16, bool) {
	if v, ok := vkNames[strings.ToLower(name)]; ok {
		return v, true
	}
	if len(name) >= 2 && (name[0] == 'F' || name[0] == 'f') {
		var n int
		if _, err := fmt.Sscanf(name[1:], "%d", &n); err == nil && n >= 1 && n <= 24 && fmt.Sprint(n) == name[1:] {
			return uint16(0x70 + n - 1), true
		}
	}
	if r := []rune(name); len(r) == 1 {
		res, _, _ := pVkKeyScanW.Call(uintptr(unicode.ToLower(r[0])))
		if int16(res) != -1 {
			return uint16(res & 0xff), true
		}
	}
	return 0, false
}

// Key presses a combination such as "ctrl+s" or "alt+F4".
func (b *Win) Key(combo string) error {
	var vks []uint16
	for _, p := range strings.Split(combo, "+") {
		vk, ok := vkFor(strings.TrimSpace(p))
		if !ok {
			return fmt.Errorf("unknown key %q", p)
		}
		vks = append(vks, vk)
	}
	var ins []input
	for _, vk := range vks {
		ins = append(ins, key(vk, 0, 0))
	}
	for i := len(vks) - 1; i >= 0; i-- {
		ins = append(ins, key(vks[i], 0, 2))
	}
	return send(ins...)
}

func describeHWND(h uintptr) Window {
	w := Window{ID: uint32(h)}
	buf := make([]uint16, 256)
	if n, _, _ := pGetWindowTextW.Call(h, uintptr(unsafe.Pointer(&buf[0])), 256); n > 0 {
		w.Title = windows.UTF16ToString(buf[:n])
	}
	if n, _, _ := pGetClassNameW.Call(h, uintptr(unsafe.Pointer(&buf[0])), 256); n > 0 {
		w.Class = windows.UTF16ToString(buf[:n])
	}
	return w
}

// WindowAt returns the top-level window at (x, y).
func (b *Win) WindowAt(x, y int) (Window, error) {
	pt := uintptr(uint32(int32(x))) | uintptr(uint32(int32(y)))<<32
	h, _, _ := pWindowFromPoint.Call(pt)
	if h == 0 {
		return Window{}, nil
	}
	if root, _, _ := pGetAncestor.Call(h, 2); root != 0 {
		h = root
	}
	return describeHWND(h), nil
}

// Focused returns the foreground window.
func (b *Win) Focused() (Window, error) {
	h, _, _ := pGetForegroundWindow.Call()
	if h == 0 {
		return Window{}, nil
	}
	return describeHWND(h), nil
}
