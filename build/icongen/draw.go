package main

import (
	"image"
	"image/color"
	"math"
)

// The icon: a cream cat face with pink inner ears on a rounded pink square.
// Shapes are drawn in unit coordinates (0..1, y down) and supersampled so
// every size, 16 px to 1024 px, is anti-aliased from the same description.

type layer struct {
	col    color.NRGBA
	inside func(x, y float64) bool
}

var (
	bgTop   = color.NRGBA{0xFF, 0xB3, 0xC6, 0xFF}
	bgBot   = color.NRGBA{0xF2, 0x6B, 0x8F, 0xFF}
	cream   = color.NRGBA{0xFF, 0xF6, 0xEE, 0xFF}
	earPink = color.NRGBA{0xFF, 0xA8, 0xBE, 0xFF}
	dark    = color.NRGBA{0x3A, 0x2E, 0x39, 0xFF}
	nose    = color.NRGBA{0xF2, 0x6B, 0x8F, 0xFF}
	shine   = color.NRGBA{0xFF, 0xFF, 0xFF, 0xFF}
)

func roundedSquare(x, y, margin, r float64) bool {
	lo, hi := margin+r, 1-margin-r
	dx := math.Max(math.Max(lo-x, x-hi), 0)
	dy := math.Max(math.Max(lo-y, y-hi), 0)
	if x < margin || x > 1-margin || y < margin || y > 1-margin {
		return false
	}
	return dx*dx+dy*dy <= r*r
}

func ellipse(x, y, cx, cy, rx, ry float64) bool {
	dx, dy := (x-cx)/rx, (y-cy)/ry
	return dx*dx+dy*dy <= 1
}

// triangle reports whether (x,y) is inside the triangle a-b-c.
func triangle(x, y, ax, ay, bx, by, cx, cy float64) bool {
	s := func(px, py, qx, qy float64) float64 { return (x-qx)*(py-qy) - (px-qx)*(y-qy) }
	d1, d2, d3 := s(ax, ay, bx, by), s(bx, by, cx, cy), s(cx, cy, ax, ay)
	neg := d1 < 0 || d2 < 0 || d3 < 0
	pos := d1 > 0 || d2 > 0 || d3 > 0
	return !(neg && pos)
}

// segment reports whether (x,y) is within w of the segment a-b.
func segment(x, y, ax, ay, bx, by, w float64) bool {
	vx, vy := bx-ax, by-ay
	t := ((x-ax)*vx + (y-ay)*vy) / (vx*vx + vy*vy)
	t = math.Max(0, math.Min(1, t))
	dx, dy := x-(ax+t*vx), y-(ay+t*vy)
	return dx*dx+dy*dy <= w*w
}

// smile is the lower half of a ring: one side of the cat's "ω" mouth.
func smile(x, y, cx, cy, r, w float64) bool {
	if y < cy {
		return false
	}
	d := math.Hypot(x-cx, y-cy)
	return math.Abs(d-r) <= w
}

func mirror(f func(x, y float64) bool) func(x, y float64) bool {
	return func(x, y float64) bool { return f(x, y) || f(1-x, y) }
}

var layers = []layer{
	{cream, mirror(func(x, y float64) bool { return triangle(x, y, 0.20, 0.50, 0.25, 0.15, 0.47, 0.34) })},
	{earPink, mirror(func(x, y float64) bool { return triangle(x, y, 0.25, 0.44, 0.28, 0.23, 0.41, 0.35) })},
	{cream, func(x, y float64) bool { return ellipse(x, y, 0.5, 0.58, 0.33, 0.27) }},
	{dark, mirror(func(x, y float64) bool { return ellipse(x, y, 0.375, 0.56, 0.04, 0.065) })},
	{shine, mirror(func(x, y float64) bool { return ellipse(x, y, 0.388, 0.535, 0.013, 0.018) })},
	{nose, func(x, y float64) bool { return triangle(x, y, 0.465, 0.635, 0.535, 0.635, 0.5, 0.67) }},
	{dark, mirror(func(x, y float64) bool { return smile(x, y, 0.465, 0.672, 0.035, 0.009) })},
	{dark, mirror(func(x, y float64) bool {
		return segment(x, y, 0.29, 0.64, 0.10, 0.60, 0.008) || segment(x, y, 0.29, 0.68, 0.11, 0.71, 0.008)
	})},
}

// Render draws the icon at size×size pixels.
func Render(size int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	const ss = 4 // samples per axis
	for py := 0; py < size; py++ {
		for px := 0; px < size; px++ {
			var r, g, b, a float64
			for sy := 0; sy < ss; sy++ {
				for sx := 0; sx < ss; sx++ {
					x := (float64(px) + (float64(sx)+0.5)/ss) / float64(size)
					y := (float64(py) + (float64(sy)+0.5)/ss) / float64(size)
					c, ok := sample(x, y)
					if !ok {
						continue
					}
					r += float64(c.R)
					g += float64(c.G)
					b += float64(c.B)
					a++
				}
			}
			if a == 0 {
				continue
			}
			img.SetNRGBA(px, py, color.NRGBA{uint8(r/a + 0.5), uint8(g/a + 0.5), uint8(b/a + 0.5), uint8(a/(ss*ss)*255 + 0.5)})
		}
	}
	return img
}

// sample returns the colour at one point, or false outside the icon.
func sample(x, y float64) (color.NRGBA, bool) {
	if !roundedSquare(x, y, 0.04, 0.2) {
		return color.NRGBA{}, false
	}
	t := (y - 0.04) / 0.92
	c := color.NRGBA{lerp(bgTop.R, bgBot.R, t), lerp(bgTop.G, bgBot.G, t), lerp(bgTop.B, bgBot.B, t), 0xFF}
	for _, l := range layers {
		if l.inside(x, y) {
			c = l.col
		}
	}
	return c, true
}

func lerp(a, b uint8, t float64) uint8 { return uint8(float64(a) + (float64(b)-float64(a))*t + 0.5) }
