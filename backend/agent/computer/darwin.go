//go:build darwin

package computer

import (
	"errors"
	"fmt"
	"image"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf16"
	"unsafe"

	"github.com/ebitengine/purego"
)

// Quartz calls through purego (no cgo): CGEvent for input, CGDisplay for
// screenshots (needs the Screen Recording permission), CGWindowList for the
// deny-list. Event coordinates are points; screenshots may be Retina pixels,
// which is fine because the model works in 0–999.

type cgPoint struct{ X, Y float64 }

type cgSize struct{ W, H float64 }

type cgRect struct {
	Origin cgPoint
	Size   cgSize
}

type quartz struct {
	mainDisplay         func() uint32
	displayBounds       func(id uint32) cgRect
	createImage         func(id uint32) uintptr
	imageWidth          func(img uintptr) uintptr
	imageHeight         func(img uintptr) uintptr
	imageBytesPerRow    func(img uintptr) uintptr
	imageBitsPerPixel   func(img uintptr) uintptr
	imageProvider       func(img uintptr) uintptr
	providerCopyData    func(p uintptr) uintptr
	dataBytes           func(d uintptr) unsafe.Pointer
	dataLength          func(d uintptr) int
	release             func(ref uintptr)
	mouseEvent          func(src uintptr, typ uint32, pt cgPoint, button uint32) uintptr
	keyEvent            func(src uintptr, key uint16, down bool) uintptr
	setUnicode          func(ev uintptr, n uint64, chars *uint16)
	setFlags            func(ev uintptr, flags uint64)
	setIntField         func(ev uintptr, field uint32, v int64)
	scrollEvent         func(src uintptr, units, count uint32, w1, w2, w3 int32) uintptr
	post                func(tap uint32, ev uintptr)
	windowList          func(opt uint32, rel uint32) uintptr
	arrayCount          func(a uintptr) int
	arrayAt             func(a uintptr, i int) uintptr
	dictGet             func(d, key uintptr) uintptr
	stringGetCString    func(s uintptr, buf *byte, size int, enc uint32) bool
	numberGetValue      func(n uintptr, typ int, out unsafe.Pointer) bool
	rectFromDict        func(d uintptr, out *cgRect) bool
	keyOwner, keyName   uintptr
	keyLayer, keyBounds uintptr
}

var (
	quartzOnce sync.Once
	quartzLib  *quartz
	quartzErr  error
)

func loadQuartz() (*quartz, error) {
	quartzOnce.Do(func() {
		defer func() {
			if r := recover(); r != nil { // RegisterLibFunc panics on a missing symbol
				quartzErr = fmt.Errorf("Quartz: %v", r)
			}
		}()
		cg, err := purego.Dlopen("/System/Library/Frameworks/CoreGraphics.framework/CoreGraphics", purego.RTLD_NOW|purego.RTLD_GLOBAL)
		if err != nil {
			quartzErr = fmt.Errorf("load CoreGraphics: %w", err)
			return
		}
		cf, err := purego.Dlopen("/System/Library/Frameworks/CoreFoundation.framework/CoreFoundation", purego.RTLD_NOW|purego.RTLD_GLOBAL)
		if err != nil {
			quartzErr = fmt.Errorf("load CoreFoundation: %w", err)
			return
		}
		q := &quartz{}
		reg := func(fn any, lib uintptr, name string) { purego.RegisterLibFunc(fn, lib, name) }
		reg(&q.mainDisplay, cg, "CGMainDisplayID")
		reg(&q.displayBounds, cg, "CGDisplayBounds")
		reg(&q.createImage, cg, "CGDisplayCreateImage")
		reg(&q.imageWidth, cg, "CGImageGetWidth")
		reg(&q.imageHeight, cg, "CGImageGetHeight")
		reg(&q.imageBytesPerRow, cg, "CGImageGetBytesPerRow")
		reg(&q.imageBitsPerPixel, cg, "CGImageGetBitsPerPixel")
		reg(&q.imageProvider, cg, "CGImageGetDataProvider")
		reg(&q.providerCopyData, cg, "CGDataProviderCopyData")
		reg(&q.mouseEvent, cg, "CGEventCreateMouseEvent")
		reg(&q.keyEvent, cg, "CGEventCreateKeyboardEvent")
		reg(&q.setUnicode, cg, "CGEventKeyboardSetUnicodeString")
		reg(&q.setFlags, cg, "CGEventSetFlags")
		reg(&q.setIntField, cg, "CGEventSetIntegerValueField")
		reg(&q.scrollEvent, cg, "CGEventCreateScrollWheelEvent2")
		reg(&q.post, cg, "CGEventPost")
		reg(&q.windowList, cg, "CGWindowListCopyWindowInfo")
		reg(&q.rectFromDict, cg, "CGRectMakeWithDictionaryRepresentation")
		reg(&q.dataBytes, cf, "CFDataGetBytePtr")
		reg(&q.dataLength, cf, "CFDataGetLength")
		reg(&q.release, cf, "CFRelease")
		reg(&q.arrayCount, cf, "CFArrayGetCount")
		reg(&q.arrayAt, cf, "CFArrayGetValueAtIndex")
		reg(&q.dictGet, cf, "CFDictionaryGetValue")
		reg(&q.stringGetCString, cf, "CFStringGetCString")
		reg(&q.numberGetValue, cf, "CFNumberGetValue")
		for _, k := range []struct {
			dst  *uintptr
			name string
		}{{&q.keyOwner, "kCGWindowOwnerName"}, {&q.keyName, "kCGWindowName"}, {&q.keyLayer, "kCGWindowLayer"}, {&q.keyBounds, "kCGWindowBounds"}} {
			addr, err := purego.Dlsym(cg, k.name)
			if err != nil || addr == 0 {
				quartzErr = fmt.Errorf("Quartz: %s missing", k.name)
				return
			}
			*k.dst = **(**uintptr)(unsafe.Pointer(&addr)) // the CFStringRef the symbol holds
		}
		quartzLib = q
	})
	return quartzLib, quartzErr
}

func openBackend(string) (Backend, error) { return OpenMac() }

// Mac drives the macOS desktop through Quartz events.
type Mac struct {
	q    *quartz
	mu   sync.Mutex
	w, h int
}

// OpenMac returns the main display backend. Input needs the Accessibility
// permission, screenshots the Screen Recording permission.
func OpenMac() (*Mac, error) {
	q, err := loadQuartz()
	if err != nil {
		return nil, err
	}
	b := q.displayBounds(q.mainDisplay())
	if b.Size.W <= 0 || b.Size.H <= 0 {
		return nil, errors.New("no main display")
	}
	return &Mac{q: q, w: int(b.Size.W), h: int(b.Size.H)}, nil
}

// Size is the main display in points.
func (m *Mac) Size() (int, int) { return m.w, m.h }

// Close releases nothing.
func (m *Mac) Close() error { return nil }

// Screenshot captures the main display.
func (m *Mac) Screenshot() (image.Image, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	q := m.q
	img := q.createImage(q.mainDisplay())
	if img == 0 {
		return nil, errors.New("screen capture refused (grant Screen Recording permission)")
	}
	defer q.release(img)
	w, h, stride := int(q.imageWidth(img)), int(q.imageHeight(img)), int(q.imageBytesPerRow(img))
	if q.imageBitsPerPixel(img) != 32 {
		return nil, fmt.Errorf("unsupported screen format (%d bpp)", q.imageBitsPerPixel(img))
	}
	data := q.providerCopyData(q.imageProvider(img))
	if data == 0 {
		return nil, errors.New("screen capture: no data")
	}
	defer q.release(data)
	n := q.dataLength(data)
	if n < stride*h {
		return nil, errors.New("screen capture: short data")
	}
	src := unsafe.Slice((*byte)(q.dataBytes(data)), n)
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		row := src[y*stride:]
		for x := 0; x < w; x++ { // BGRA (32-bit little-endian, alpha first)
			o := (y*w + x) * 4
			out.Pix[o], out.Pix[o+1], out.Pix[o+2], out.Pix[o+3] = row[x*4+2], row[x*4+1], row[x*4], 0xff
		}
	}
	return out, nil
}

const (
	evLeftDown, evLeftUp, evRightDown, evRightUp, evMove = 1, 2, 3, 4, 5
	fieldClickState                                      = 1
)

func (m *Mac) postMouse(typ uint32, x, y int, button uint32, clicks int64) error {
	ev := m.q.mouseEvent(0, typ, cgPoint{float64(x), float64(y)}, button)
	if ev == 0 {
		return errors.New("cannot create a mouse event")
	}
	defer m.q.release(ev)
	if clicks > 0 {
		m.q.setIntField(ev, fieldClickState, clicks)
	}
	m.q.post(0, ev)
	return nil
}

// Move puts the pointer at (x, y) points.
func (m *Mac) Move(x, y int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.postMouse(evMove, x, y, 0, 0)
}

// Click presses button (1 left, 3 right) count times.
func (m *Mac) Click(x, y, button, count int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	down, up, btn := uint32(evLeftDown), uint32(evLeftUp), uint32(0)
	if button == 3 {
		down, up, btn = evRightDown, evRightUp, 1
	}
	if err := m.postMouse(evMove, x, y, 0, 0); err != nil {
		return err
	}
	for i := 1; i <= count; i++ {
		if err := m.postMouse(down, x, y, btn, int64(i)); err != nil {
			return err
		}
		if err := m.postMouse(up, x, y, btn, int64(i)); err != nil {
			return err
		}
	}
	return nil
}

// Scroll turns the wheel by lines; clicks < 0 scrolls up.
func (m *Mac) Scroll(x, y, clicks int) error {
	if err := m.Move(x, y); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	ev := m.q.scrollEvent(0, 1, 1, int32(-clicks), 0, 0)
	if ev == 0 {
		return errors.New("cannot create a scroll event")
	}
	defer m.q.release(ev)
	m.q.post(0, ev)
	return nil
}

// Type sends text as Unicode keyboard events (any language).
func (m *Mac) Type(text string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range text {
		if r == '\n' {
			if err := m.tap(0x24, 0); err != nil {
				return err
			}
			continue
		}
		u := utf16.Encode([]rune{r})
		for _, down := range []bool{true, false} {
			ev := m.q.keyEvent(0, 0, down)
			if ev == 0 {
				return errors.New("cannot create a key event")
			}
			m.q.setUnicode(ev, uint64(len(u)), &u[0])
			m.q.post(0, ev)
			m.q.release(ev)
		}
		time.Sleep(2 * time.Millisecond)
	}
	return nil
}

func (m *Mac) tap(code uint16, flags uint64) error {
	for _, down := range []bool{true, false} {
		ev := m.q.keyEvent(0, code, down)
		if ev == 0 {
			return errors.New("cannot create a key event")
		}
		if flags != 0 {
			m.q.setFlags(ev, flags)
		}
		m.q.post(0, ev)
		m.q.release(ev)
	}
	return nil
}

var macModifiers = map[string]uint64{"shift": 0x20000, "ctrl": 0x40000, "control": 0x40000, "alt": 0x80000,
	"option": 0x80000, "cmd": 0x100000, "command": 0x100000, "meta": 0x100000, "super": 0x100000, "win": 0x100000}

var macKeys = map[string]uint16{
	"return": 0x24, "enter": 0x24, "tab": 0x30, "space": 0x31, "backspace": 0x33, "escape": 0x35, "esc": 0x35,
	"delete": 0x75, "del": 0x75, "home": 0x73, "end": 0x77, "pageup": 0x74, "page_up": 0x74, "pagedown": 0x79,
	"page_down": 0x79, "left": 0x7B, "right": 0x7C, "down": 0x7D, "up": 0x7E,
	"a": 0x00, "s": 0x01, "d": 0x02, "f": 0x03, "h": 0x04, "g": 0x05, "z": 0x06, "x": 0x07, "c": 0x08, "v": 0x09,
	"b": 0x0B, "q": 0x0C, "w": 0x0D, "e": 0x0E, "r": 0x0F, "y": 0x10, "t": 0x11, "1": 0x12, "2": 0x13, "3": 0x14,
	"4": 0x15, "6": 0x16, "5": 0x17, "=": 0x18, "9": 0x19, "7": 0x1A, "-": 0x1B, "8": 0x1C, "0": 0x1D, "]": 0x1E,
	"o": 0x1F, "u": 0x20, "[": 0x21, "i": 0x22, "p": 0x23, "l": 0x25, "j": 0x26, "'": 0x27, "k": 0x28, ";": 0x29,
	"\\": 0x2A, ",": 0x2B, "/": 0x2C, "n": 0x2D, "m": 0x2E, ".": 0x2F, "`": 0x32,
	"f1": 0x7A, "f2": 0x78, "f3": 0x63, "f4": 0x76, "f5": 0x60, "f6": 0x61, "f7": 0x62, "f8": 0x64, "f9": 0x65,
	"f10": 0x6D, "f11": 0x67, "f12": 0x6F,
}

// Key presses a combination such as "cmd+s" or "Return" (ctrl maps to
// control; callers that mean the platform's shortcut key should say cmd).
func (m *Mac) Key(combo string) error {
	parts := strings.Split(combo, "+")
	var flags uint64
	for _, p := range parts[:len(parts)-1] {
		f, ok := macModifiers[strings.ToLower(strings.TrimSpace(p))]
		if !ok {
			return fmt.Errorf("unknown modifier %q", p)
		}
		flags |= f
	}
	last := strings.ToLower(strings.TrimSpace(parts[len(parts)-1]))
	if r := []rune(last); len(r) == 1 {
		last = string(unicode.ToLower(r[0]))
	}
	code, ok := macKeys[last]
	if !ok {
		return fmt.Errorf("unknown key %q", parts[len(parts)-1])
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.tap(code, flags)
}

func (m *Mac) cfString(s uintptr) string {
	if s == 0 {
		return ""
	}
	buf := make([]byte, 1024)
	if !m.q.stringGetCString(s, &buf[0], len(buf), 0x08000100) {
		return ""
	}
	if i := strings.IndexByte(string(buf), 0); i >= 0 {
		buf = buf[:i]
	}
	return string(buf)
}

// windows lists on-screen windows front to back (layer 0 = normal apps).
func (m *Mac) windows(visit func(w Window, bounds cgRect, layer int32) bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	list := m.q.windowList(1|16, 0) // on-screen only, excluding desktop elements
	if list == 0 {
		return errors.New("cannot list windows")
	}
	defer m.q.release(list)
	for i := 0; i < m.q.arrayCount(list); i++ {
		d := m.q.arrayAt(list, i)
		var layer int32
		if n := m.q.dictGet(d, m.q.keyLayer); n != 0 {
			m.q.numberGetValue(n, 3, unsafe.Pointer(&layer)) // kCFNumberSInt32Type
		}
		var r cgRect
		if b := m.q.dictGet(d, m.q.keyBounds); b != 0 {
			m.q.rectFromDict(b, &r)
		}
		w := Window{ID: uint32(i), Title: m.cfString(m.q.dictGet(d, m.q.keyName)), Class: m.cfString(m.q.dictGet(d, m.q.keyOwner))}
		if !visit(w, r, layer) {
			break
		}
	}
	return nil
}

// WindowAt returns the front-most window containing (x, y).
func (m *Mac) WindowAt(x, y int) (Window, error) {
	var found Window
	err := m.windows(func(w Window, r cgRect, _ int32) bool {
		px, py := float64(x), float64(y)
		if px >= r.Origin.X && py >= r.Origin.Y && px < r.Origin.X+r.Size.W && py < r.Origin.Y+r.Size.H {
			found = w
			return false
		}
		return true
	})
	return found, err
}

// Focused returns the front-most normal window.
func (m *Mac) Focused() (Window, error) {
	var found Window
	err := m.windows(func(w Window, _ cgRect, layer int32) bool {
		if layer == 0 {
			found = w
			return false
		}
		return true
	})
	return found, err
}
