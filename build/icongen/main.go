// Command icongen draws neko's app icon (a cat face) and writes every icon
// file the packages need: build/appicon.png (1024 px, Wails' source icon),
// build/windows/icon.ico (16–256 px), build/darwin/iconfile.icns, and with
// -linux the freedesktop hicolor PNGs for the .deb.
//
//	go run ./build/icongen -build build
//	go run ./build/icongen -build "" -linux <stage>/usr/share/icons/hicolor
package main

import (
	"bytes"
	"flag"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
)

func main() {
	buildDir := flag.String("build", "build", "Wails build folder to write appicon.png, windows/icon.ico and darwin/iconfile.icns into (empty: skip)")
	linux := flag.String("linux", "", "hicolor icon theme folder to write <n>x<n>/apps/<name>.png into (empty: skip)")
	name := flag.String("name", "neko", "icon name for -linux")
	flag.Parse()
	if err := run(*buildDir, *linux, *name); err != nil {
		fmt.Fprintln(os.Stderr, "icongen:", err)
		os.Exit(1)
	}
}

func run(buildDir, linux, name string) error {
	if buildDir != "" {
		app, err := pngBytes(1024)
		if err != nil {
			return err
		}
		if err := writeFile(filepath.Join(buildDir, "appicon.png"), app); err != nil {
			return err
		}
		ico, err := ICO([]int{16, 24, 32, 48, 64, 128, 256})
		if err != nil {
			return err
		}
		if err := writeFile(filepath.Join(buildDir, "windows", "icon.ico"), ico); err != nil {
			return err
		}
		icns, err := ICNS()
		if err != nil {
			return err
		}
		if err := writeFile(filepath.Join(buildDir, "darwin", "iconfile.icns"), icns); err != nil {
			return err
		}
	}
	if linux != "" {
		for _, n := range []int{16, 32, 48, 64, 128, 256, 512} {
			data, err := pngBytes(n)
			if err != nil {
				return err
			}
			dir := filepath.Join(linux, fmt.Sprintf("%dx%d", n, n), "apps")
			if err := writeFile(filepath.Join(dir, name+".png"), data); err != nil {
				return err
			}
		}
	}
	return nil
}

func pngBytes(size int) ([]byte, error) {
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, Render(size)); err != nil {
		return nil, fmt.Errorf("encode %d px png: %w", size, err)
	}
	return buf.Bytes(), nil
}

func writeFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("create folder: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("replace %s: %w", path, err)
	}
	return nil
}
