// Command xshot saves a region of an X display as PNG and reports how many
// distinct colours it holds: the desktop smoke test uses it to show that the
// window is not blank, that the avatar was drawn (a sub-region differs from
// the background around it), and keeps the picture as an artefact. With
// -input-of it reports a window's input shape instead (click-through).
package main

import (
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/shape"
	"github.com/jezek/xgb/xproto"
)

func main() {
	x := flag.Int("x", 0, "left")
	y := flag.Int("y", 0, "top")
	w := flag.Int("w", 0, "width (0: whole screen)")
	h := flag.Int("h", 0, "height (0: whole screen)")
	out := flag.String("o", "shot.png", "PNG file to write")
	minColours := flag.Int("min-colours", 0, "fail unless the region holds at least this many distinct colours")
	region := flag.String("region", "", "sub-region `left,top,width,height` as percentages of the shot, checked by -min-differ")
	minDiffer := flag.Float64("min-differ", 0, "fail unless at least this fraction of -region differs from the background (the commonest colour on its border)")
	inputOf := flag.Uint("input-of", 0, "instead of a shot: report the input shape (XShape) of this window id")
	maxInput := flag.Int("max-input-area", -1, "with -input-of: fail if the input region is larger (pixels)")
	minInput := flag.Int("min-input-area", 0, "with -input-of: fail if the input region is smaller (pixels)")
	flag.Parse()
	conn, err := xgb.NewConn()
	if err != nil {
		fail("connect to the X display: %v", err)
	}
	defer conn.Close()
	if *inputOf != 0 {
		area := inputArea(conn, xproto.Window(*inputOf))
		if *maxInput >= 0 && area > *maxInput {
			fail("input region of %#x is %d px (want ≤ %d): the window still takes clicks", *inputOf, area, *maxInput)
		}
		if area < *minInput {
			fail("input region of %#x is %d px (want ≥ %d): the window ignores clicks", *inputOf, area, *minInput)
		}
		return
	}
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
		img.SetRGBA((i/4)%*w, (i/4) / *w, c)
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
	if err := f.Close(); err != nil {
		fail("%v", err)
	}
	fmt.Printf("xshot: %dx%d at %d,%d → %s, %d distinct colours\n", *w, *h, *x, *y, *out, len(colours))
	if len(colours) < *minColours {
		fail("only %d distinct colours (want ≥ %d): the region looks blank", len(colours), *minColours)
	}
	if *region != "" {
		var l, t, rw, rh int
		if _, err := fmt.Sscanf(*region, "%d,%d,%d,%d", &l, &t, &rw, &rh); err != nil {
			fail("bad -region %q: %v", *region, err)
		}
		r := image.Rect(*w*l/100, *h*t/100, *w*(l+rw)/100, *h*(t+rh)/100).Intersect(img.Bounds())
		bg, frac := differing(img, r)
		fmt.Printf("xshot: region %v: background %v, %.1f%% of it differs\n", r, bg, 100*frac)
		if frac < *minDiffer {
			fail("only %.2f%% of region %v differs from the background (want ≥ %.2f%%): nothing drawn there", 100*frac, r, 100**minDiffer)
		}
	}
}

// inputArea prints the input shape rectangles of win and returns their
// total area (rectangles of one shape do not overlap).
func inputArea(conn *xgb.Conn, win xproto.Window) int {
	if err := shape.Init(conn); err != nil {
		fail("XShape: %v", err)
	}
	reply, err := shape.GetRectangles(conn, win, shape.SkInput).Reply()
	if err != nil {
		fail("input shape of %#x: %v", win, err)
	}
	area := 0
	for _, r := range reply.Rectangles {
		area += int(r.Width) * int(r.Height)
		fmt.Printf("xshot: input rectangle %dx%d at %d,%d\n", r.Width, r.Height, r.X, r.Y)
	}
	fmt.Printf("xshot: input region of %#x: %d rectangles, %d px\n", win, len(reply.Rectangles), area)
	return area
}

// differing finds the background of r (the commonest colour on its border)
// and the fraction of r's pixels that differ from it clearly.
func differing(img *image.RGBA, r image.Rectangle) (color.RGBA, float64) {
	if r.Empty() {
		return color.RGBA{}, 0
	}
	count := map[color.RGBA]int{}
	for x := r.Min.X; x < r.Max.X; x++ {
		count[img.RGBAAt(x, r.Min.Y)]++
		count[img.RGBAAt(x, r.Max.Y-1)]++
	}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		count[img.RGBAAt(r.Min.X, y)]++
		count[img.RGBAAt(r.Max.X-1, y)]++
	}
	var bg color.RGBA
	best := -1
	for c, n := range count {
		if n > best {
			bg, best = c, n
		}
	}
	diff := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := img.RGBAAt(x, y)
			if absDiff(c.R, bg.R)+absDiff(c.G, bg.G)+absDiff(c.B, bg.B) > 24 {
				diff++
			}
		}
	}
	return bg, float64(diff) / float64(r.Dx()*r.Dy())
}

func absDiff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

func fail(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "xshot: "+format+"\n", a...)
	os.Exit(1)
}
