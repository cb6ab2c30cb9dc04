//go:build linux || freebsd || openbsd || netbsd

package computer

import (
	"errors"
	"fmt"
	"image"
	"io"
	"log"
	"os"
	"strings"
	"sync"
	"unicode"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
	"github.com/jezek/xgb/xtest"
)

func openBackend(display string) (Backend, error) { return OpenX11(display) }

// quietXGB silences xgb's package logger once: it reports a missing
// ~/.Xauthority on every connection, which is normal under Xvfb.
var quietXGB sync.Once

// X11 drives an X server through the XTEST extension (pure Go, no cgo).
type X11 struct {
	mu      sync.Mutex
	c       *xgb.Conn
	root    xproto.Window
	w, h    int
	minKC   xproto.Keycode
	perKC   int
	keymap  []xproto.Keysym
	spare   xproto.Keycode
	netName xproto.Atom
	utf8    xproto.Atom
}

// OpenX11 connects to display ("" = $DISPLAY).
func OpenX11(display string) (*X11, error) {
	if display == "" {
		display = os.Getenv("DISPLAY")
	}
	if display == "" {
		return nil, errors.New("no X display (DISPLAY is empty)")
	}
	quietXGB.Do(func() { xgb.Logger = log.New(io.Discard, "", 0) })
	c, err := xgb.NewConnDisplay(display)
	if err != nil {
		return nil, fmt.Errorf("connect to X display %s: %w", display, err)
	}
	if err := xtest.Init(c); err != nil {
		c.Close()
		return nil, fmt.Errorf("X display %s has no XTEST extension: %w", display, err)
	}
	setup := xproto.Setup(c)
	scr := setup.DefaultScreen(c)
	x := &X11{c: c, root: scr.Root, w: int(scr.WidthInPixels), h: int(scr.HeightInPixels), minKC: setup.MinKeycode}
	km, err := xproto.GetKeyboardMapping(c, setup.MinKeycode, byte(setup.MaxKeycode-setup.MinKeycode+1)).Reply()
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("read keyboard mapping: %w", err)
	}
	x.perKC, x.keymap = int(km.KeysymsPerKeycode), km.Keysyms
	for i := len(x.keymap)/x.perKC - 1; i >= 0; i-- { // a keycode with no symbols, for other characters
		empty := true
		for j := 0; j < x.perKC; j++ {
			empty = empty && x.keymap[i*x.perKC+j] == 0
		}
		if empty {
			x.spare = x.minKC + xproto.Keycode(i)
			break
		}
	}
	x.netName = x.atom("_NET_WM_NAME")
	x.utf8 = x.atom("UTF8_STRING")
	return x, nil
}

func (x *X11) atom(name string) xproto.Atom {
	r, err := xproto.InternAtom(x.c, false, uint16(len(name)), name).Reply()
	if err != nil {
		return 0
	}
	return r.Atom
}

// Size is the root window size in pixels.
func (x *X11) Size() (int, int) { return x.w, x.h }

// Close disconnects.
func (x *X11) Close() error { x.c.Close(); return nil }

// Screenshot grabs the root window in strips (bounded replies).
func (x *X11) Screenshot() (image.Image, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	img := image.NewRGBA(image.Rect(0, 0, x.w, x.h))
	const strip = 128
	for y0 := 0; y0 < x.h; y0 += strip {
		rows := min(strip, x.h-y0)
		r, err := xproto.GetImage(x.c, xproto.ImageFormatZPixmap, xproto.Drawable(x.root), 0, int16(y0), uint16(x.w), uint16(rows), 0xffffffff).Reply()
		if err != nil {
			return nil, fmt.Errorf("X GetImage: %w", err)
		}
		if r.Depth != 24 && r.Depth != 32 {
			return nil, fmt.Errorf("X screen depth %d is not supported", r.Depth)
		}
		if len(r.Data) < x.w*rows*4 {
			return nil, fmt.Errorf("X GetImage: short reply")
		}
		for i := 0; i < x.w*rows; i++ { // BGRX little-endian
			o := (y0*x.w + i) * 4
			img.Pix[o], img.Pix[o+1], img.Pix[o+2], img.Pix[o+3] = r.Data[i*4+2], r.Data[i*4+1], r.Data[i*4], 0xff
		}
	}
	return img, nil
}

func (x *X11) fake(typ, detail byte, px, py int) error {
	return xtest.FakeInputChecked(x.c, typ, detail, 0, x.root, int16(px), int16(py), 0).Check()
}

// Move warps the pointer to (px, py).
func (x *X11) Move(px, py int) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.fake(xproto.MotionNotify, 0, px, py)
}

// Click presses button count times at (px, py).
func (x *X11) Click(px, py, button, count int) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if err := x.fake(xproto.MotionNotify, 0, px, py); err != nil {
		return err
	}
	for i := 0; i < count; i++ {
		if err := x.fake(xproto.ButtonPress, byte(button), 0, 0); err != nil {
			return err
		}
		if err := x.fake(xproto.ButtonRelease, byte(button), 0, 0); err != nil {
			return err
		}
	}
	return nil
}

// Scroll turns the wheel (buttons 4/5) at (px, py).
func (x *X11) Scroll(px, py, clicks int) error {
	btn := 5
	if clicks < 0 {
		btn, clicks = 4, -clicks
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if err := x.fake(xproto.MotionNotify, 0, px, py); err != nil {
		return err
	}
	for i := 0; i < clicks; i++ {
		if err := x.fake(xproto.ButtonPress, byte(btn), 0, 0); err != nil {
			return err
		}
		if err := x.fake(xproto.ButtonRelease, byte(btn), 0, 0); err != nil {
			return err
		}
	}
	return nil
}

// keycode finds the key and shift level producing sym.
func (x *X11) keycode(sym xproto.Keysym) (xproto.Keycode, bool, bool) {
	for level := 0; level < 2 && level < x.perKC; level++ {
		for i := 0; i*x.perKC < len(x.keymap); i++ {
			if x.keymap[i*x.perKC+level] == sym {
				return x.minKC + xproto.Keycode(i), level == 1, true
			}
		}
	}
	return 0, false, false
}

func (x *X11) tap(kc xproto.Keycode, shift bool) error {
	var shiftKC xproto.Keycode
	if shift {
		var ok bool
		if shiftKC, _, ok = x.keycode(0xffe1); !ok {
			return errors.New("no Shift key in the keymap")
		}
		if err := x.fake(xproto.KeyPress, byte(shiftKC), 0, 0); err != nil {
			return err
		}
	}
	err := x.fake(xproto.KeyPress, byte(kc), 0, 0)
	if err == nil {
		err = x.fake(xproto.KeyRelease, byte(kc), 0, 0)
	}
	if shift {
		if e := x.fake(xproto.KeyRelease, byte(shiftKC), 0, 0); err == nil {
			err = e
		}
	}
	return err
}

// typeSym types one keysym, remapping the spare keycode when no key has it.
func (x *X11) typeSym(sym xproto.Keysym) error {
	if kc, shift, ok := x.keycode(sym); ok {
		return x.tap(kc, shift)
	}
	if x.spare == 0 {
		return fmt.Errorf("cannot type keysym %#x: no free keycode", sym)
	}
	syms := make([]xproto.Keysym, x.perKC)
	syms[0] = sym
	if x.perKC > 1 {
		syms[1] = sym
	}
	if err := xproto.ChangeKeyboardMappingChecked(x.c, 1, x.spare, byte(x.perKC), syms).Check(); err != nil {
		return fmt.Errorf("remap key: %w", err)
	}
	err := x.tap(x.spare, false)
	_ = xproto.ChangeKeyboardMappingChecked(x.c, 1, x.spare, byte(x.perKC), make([]xproto.Keysym, x.perKC)).Check()
	return err
}

// Type types text character by character.
func (x *X11) Type(text string) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, r := range text {
		if err := x.typeSym(runeKeysym(r)); err != nil {
			return err
		}
	}
	return nil
}

// Key presses a combination such as "ctrl+shift+t" or "Return".
func (x *X11) Key(combo string) error {
	parts := strings.Split(combo, "+")
	var codes []xproto.Keycode
	for i, p := range parts {
		sym, ok := namedKeysym(strings.TrimSpace(p))
		if !ok {
			return fmt.Errorf("unknown key %q", p)
		}
		kc, shift, found := x.keycode(sym)
		if !found {
			return fmt.Errorf("key %q is not on this keyboard", p)
		}
		if shift && i == len(parts)-1 && len(parts) == 1 {
			x.mu.Lock()
			err := x.tap(kc, true)
			x.mu.Unlock()
			return err
		}
		codes = append(codes, kc)
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	var err error
	pressed := 0
	for _, kc := range codes {
		if err = x.fake(xproto.KeyPress, byte(kc), 0, 0); err != nil {
			break
		}
		pressed++
	}
	for i := pressed - 1; i >= 0; i-- {
		if e := x.fake(xproto.KeyRelease, byte(codes[i]), 0, 0); err == nil {
			err = e
		}
	}
	return err
}

func runeKeysym(r rune) xproto.Keysym {
	switch r {
	case '\n':
		return 0xff0d
	case '\t':
		return 0xff09
	case '\b':
		return 0xff08
	}
	if r >= 0x20 && r <= 0x7e || r >= 0xa0 && r <= 0xff {
		return xproto.Keysym(r)
	}
	return xproto.Keysym(0x01000000 | r)
}

var namedKeys = map[string]xproto.Keysym{
	"return": 0xff0d, "enter": 0xff0d, "tab": 0xff09, "backspace": 0xff08, "escape": 0xff1b, "esc": 0xff1b,
	"delete": 0xffff, "del": 0xffff, "insert": 0xff63, "home": 0xff50, "end": 0xff57, "left": 0xff51, "up": 0xff52,
	"right": 0xff53, "down": 0xff54, "pageup": 0xff55, "page_up": 0xff55, "pagedown": 0xff56, "page_down": 0xff56,
	"space": 0x20, "shift": 0xffe1, "ctrl": 0xffe3, "control": 0xffe3, "alt": 0xffe9, "super": 0xffeb, "win": 0xffeb,
	"meta": 0xffeb, "cmd": 0xffeb, "menu": 0xff67, "printscreen": 0xff61, "print": 0xff61,
}

func namedKeysym(name string) (xproto.Keysym, bool) {
	if s, ok := namedKeys[strings.ToLower(name)]; ok {
		return s, true
	}
	if len(name) >= 2 && (name[0] == 'F' || name[0] == 'f') {
		n := 0
		if _, err := fmt.Sscanf(name[1:], "%d", &n); err == nil && n >= 1 && n <= 24 && fmt.Sprint(n) == name[1:] {
			return xproto.Keysym(0xffbe + n - 1), true
		}
	}
	if r := []rune(name); len(r) == 1 {
		return runeKeysym(unicode.ToLower(r[0])), true
	}
	return 0, false
}

// WindowAt returns the named top-level window at (px, py).
func (x *X11) WindowAt(px, py int) (Window, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	win := x.root
	for depth := 0; depth < 6; depth++ {
		r, err := xproto.TranslateCoordinates(x.c, x.root, win, int16(px), int16(py)).Reply()
		if err != nil {
			return Window{}, fmt.Errorf("X TranslateCoordinates: %w", err)
		}
		if r.Child == 0 {
			break
		}
		win = r.Child
		if w := x.describe(win); w.Title != "" || w.Class != "" {
			return w, nil
		}
	}
	return x.describe(win), nil
}

// Focused returns the window with the keyboard focus (the named ancestor).
func (x *X11) Focused() (Window, error) {
	x.mu.Lock()
	f, err := xproto.GetInputFocus(x.c).Reply()
	x.mu.Unlock()
	if err != nil {
		return Window{}, fmt.Errorf("X GetInputFocus: %w", err)
	}
	if f.Focus <= 1 { // None or PointerRoot: keys go to the window under the pointer
		x.mu.Lock()
		p, err := xproto.QueryPointer(x.c, x.root).Reply()
		x.mu.Unlock()
		if err != nil {
			return Window{}, fmt.Errorf("X QueryPointer: %w", err)
		}
		return x.WindowAt(int(p.RootX), int(p.RootY))
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	win := f.Focus
	for depth := 0; depth < 8 && win != x.root && win != 0; depth++ {
		if w := x.describe(win); w.Title != "" || w.Class != "" {
			return w, nil
		}
		t, err := xproto.QueryTree(x.c, win).Reply()
		if err != nil {
			break
		}
		win = t.Parent
	}
	return x.describe(f.Focus), nil
}

func (x *X11) describe(win xproto.Window) Window {
	w := Window{ID: uint32(win)}
	if x.netName != 0 {
		if r, err := xproto.GetProperty(x.c, false, win, x.netName, x.utf8, 0, 256).Reply(); err == nil && len(r.Value) > 0 {
			w.Title = string(r.Value)
		}
	}
	if w.Title == "" {
		if r, err := xproto.GetProperty(x.c, false, win, xproto.AtomWmName, xproto.GetPropertyTypeAny, 0, 256).Reply(); err == nil {
			w.Title = string(r.Value)
		}
	}
	if r, err := xproto.GetProperty(x.c, false, win, xproto.AtomWmClass, xproto.AtomString, 0, 256).Reply(); err == nil && len(r.Value) > 0 {
		w.Class = strings.Join(strings.FieldsFunc(string(r.Value), func(r rune) bool { return r == 0 }), ".")
	}
	return w
}
