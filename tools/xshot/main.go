// Command xshot saves a region of an X display as PNG and reports how many
// distinct colours it holds: the desktop smoke test uses it to show that the
// window is not blank, and keeps the picture as an artefact.
package main

import (
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
)

func main() {
	x := flag.Int("x", 0, "left")
	y := flag.Int("y", 0, "top")
	w := flag.Int("w", 0, "width (0: whole screen)")
	h := flag.Int("h", 0, "height (0: whole screen)")
	out := flag.String("o", "shot.png", "PNG file to write")
	minColours := flag.Int("min-colours", 0, "fail unless the region holds at least this many distinct colours")
	flag.Parse()
	conn, err := xgb.NewConn()
	if err != nil {
		fail("connect to the X display: %v", err)
	}
	defer conn.Close()
	screen := xproto.Setup(conn).DefaultScreen(conn)
	if *w == 0 || *h == 0 {
		*w, *h = int(screen.WidthInPixels), int(screen.HeightInPixels)
	}
	reply, err := xproto.GetImage(conn, xproto.ImageFormatZPixmap, xproto.Drawable(screen.Root),
		int16(*x), int16(*y), uint16(*w), uint16(*h), 0xffffffff).Reply()
	if err != nil {
		fail("get image: %v", err)
	}
	img := image.NewRGBA(image.Rect(0, 0, *w, *h))
	colours := map[color.RGBA]struct{}{}
	for i := 0; i+3 < len(reply.Data) && i/4 < (*w)*(*h); i += 4 {
		c := color.RGBA{R: reply.Data[i+2], G: reply.Data[i+1], B: reply.Data[i], A: 255}
		img.Set((i/4)%*w, (i/4) / *w, c)
		if len(colours) < 100000 {
			colours[c] = struct{}{}
		}
	}
	f, err := os.Create(*out)
	if err != nil {
		fail("%v", err)
	}
	if err := png.Encode(f, img); err != nil {
		fail("encode: %v", err)
	}
	f.Close()
	fmt.Printf("xshot: %dx%d at %d,%d → %s, %d distinct colours\n", *w, *h, *x, *y, *out, len(colours))
	if len(colours) < *minColours {
		fail("only %d distinct colours (want ≥ %d): the region looks blank", len(colours), *minColours)
	}
}

func fail(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "xshot: "+format+"\n", a...)
	os.Exit(1)
}
