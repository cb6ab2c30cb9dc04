//go:build desktop || bindings

package main

import (
	"errors"
	"os"
	"syscall"
	"unsafe"
)

var (
	user32            = syscall.NewLazyDLL("user32.dll")
	procEnumWindows   = user32.NewProc("EnumWindows")
	procGetWindowPID  = user32.NewProc("GetWindowThreadProcessId")
	procIsVisible     = user32.NewProc("IsWindowVisible")
	procGetWindowLong = user32.NewProc("GetWindowLongPtrW")
	procSetWindowLong = user32.NewProc("SetWindowLongPtrW")
)

const (
	gwlExStyle       = -20
	wsExLayered      = 0x00080000
	wsExTransparent  = 0x00000020
	clickThroughMask = wsExLayered | wsExTransparent
)

// clickThroughSupported says whether setClickThrough works here.
const clickThroughSupported = true

// setClickThrough makes this process's top-level windows transparent to the
// mouse (WS_EX_LAYERED|WS_EX_TRANSPARENT) or opaque again. The whole window
// passes clicks on Windows: the tray item turns it off.
func setClickThrough(on bool) error {
	pid := uint32(os.Getpid())
	var found []uintptr
	cb := syscall.NewCallback(func(hwnd uintptr, _ uintptr) uintptr {
		var owner uint32
		procGetWindowPID.Call(hwnd, uintptr(unsafe.Pointer(&owner)))
		if owner == pid {
			if vis, _, _ := procIsVisible.Call(hwnd); vis != 0 {
				found = append(found, hwnd)
			}
		}
		return 1
	})
	procEnumWindows.Call(cb, 0)
	if len(found) == 0 {
		return errors.New("click-through: no visible window of this process")
	}
	idx := gwlExStyle
	for _, hwnd := range found {
		style, _, _ := procGetWindowLong.Call(hwnd, uintptr(idx))
		if on {
			style |= clickThroughMask
		} else {
			style &^= wsExTransparent // layered stays: the pet window is translucent
		}
		procSetWindowLong.Call(hwnd, uintptr(idx), style)
	}
	return nil
}
