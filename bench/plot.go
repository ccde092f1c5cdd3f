package bench

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"
	"strings"
)

// Series is one line of a Panel: a value per second of the run (NaN where
// there is none).
type Series struct {
	Name   string
	Color  color.RGBA
	Values []float64
}

// Panel is one chart of a Plot, with its own vertical scale from zero.
type Panel struct {
	Title  string
	Series []Series
}

// Span is a shaded stretch of time, such as a fault, in seconds of the run.
type Span struct {
	Label      string
	Start, End float64
}

// Plot draws panels stacked over one time axis of seconds seconds, with
// spans shaded across all of them, as a PNG. It needs nothing but the
// standard library: the lettering is a 5×7 pixel font of its own.
func Plot(w io.Writer, seconds float64, spans []Span, panels ...Panel) error {
	const (
		width  = 1100
		left   = 90
		right  = 20
		top    = 20
		panelH = 190
		gap    = 50
		bottom = 40
	)
	height := top + len(panels)*(panelH+gap) - gap + bottom
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	plotW := width - left - right
	xOf := func(s float64) int { return left + int(s/math.Max(seconds, 1)*float64(plotW)) }
	for i, p := range panels {
		y0 := top + i*(panelH+gap) // panel top
		y1 := y0 + panelH          // panel bottom (zero line)
		for _, sp := range spans {
			fill(img, xOf(sp.Start), y0, max(xOf(sp.End), xOf(sp.Start)+1), y1, color.RGBA{225, 225, 235, 255})
			if i == 0 {
				text(img, xOf(sp.Start)+2, y0+2, sp.Label, color.RGBA{90, 90, 110, 255})
			}
		}
		peak := 0.0
		for _, s := range p.Series {
			for _, v := range s.Values {
				if !math.IsNaN(v) {
					peak = math.Max(peak, v)
				}
			}
		}
		scale := niceCeil(peak)
		black := color.RGBA{0, 0, 0, 255}
		grey := color.RGBA{200, 200, 200, 255}
		for k := 0; k <= 4; k++ {
			y := y1 - k*panelH/4
			hline(img, left, left+plotW, y, grey)
			label := formatTick(scale * float64(k) / 4)
			text(img, left-6-textWidth(label), y-7, label, black)
		}
		hline(img, left, left+plotW, y1, black)
		vline(img, left, y0, y1, black)
		text(img, left, y0-18, p.Title, black)
		lx := left + textWidth(p.Title) + 30
		for _, s := range p.Series {
			fill(img, lx, y0-14, lx+18, y0-8, s.Color)
			text(img, lx+24, y0-18, s.Name, s.Color)
			lx += 24 + textWidth(s.Name) + 24
			prevX, prevY, have := 0, 0, false
			for sec, v := range s.Values {
				if math.IsNaN(v) {
					have = false
					continue
				}
				x := xOf(float64(sec) + 0.5)
				y := y1 - int(v/scale*float64(panelH))
				if have {
					line(img, prevX, prevY, x, y, s.Color)
				} else {
					fill(img, x-1, y-1, x+1, y+1, s.Color)
				}
				prevX, prevY, have = x, y, true
			}
		}
	}
	// Time axis under the last panel.
	yAxis := top + len(panels)*(panelH+gap) - gap
	step := niceCeil(seconds/10) / 1
	if step <= 0 {
		step = 1
	}
	for s := 0.0; s <= seconds+0.001; s += step {
		x := xOf(s)
		vline(img, x, yAxis, yAxis+4, color.RGBA{0, 0, 0, 255})
		label := formatTick(s)
		text(img, x-textWidth(label)/2, yAxis+8, label, color.RGBA{0, 0, 0, 255})
	}
	text(img, left+plotW-textWidth("SECONDS"), yAxis+24, "seconds", color.RGBA{0, 0, 0, 255})
	return png.Encode(w, img)
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

func formatTick(v float64) string {
	switch {
	case v >= 10000:
		return fmt.Sprintf("%.0fK", v/1000)
	case v == math.Trunc(v):
		return fmt.Sprintf("%.0f", v)
	default:
		return fmt.Sprintf("%.1f", v)
	}
}

func fill(img *image.RGBA, x0, y0, x1, y1 int, c color.Color) {
	draw.Draw(img, image.Rect(x0, y0, x1, y1), image.NewUniform(c), image.Point{}, draw.Src)
}

func hline(img *image.RGBA, x0, x1, y int, c color.Color) {
	for x := x0; x <= x1; x++ {
		img.Set(x, y, c)
	}
}

func vline(img *image.RGBA, x, y0, y1 int, c color.Color) {
	for y := y0; y <= y1; y++ {
		img.Set(x, y, c)
	}
}

// line draws a two-pixel-thick line (Bresenham's).
func line(img *image.RGBA, x0, y0, x1, y1 int, c color.Color) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := sign(x1-x0), sign(y1-y0)
	e := dx + dy
	for {
		img.Set(x0, y0, c)
		img.Set(x0, y0+1, c)
		if x0 == x1 && y0 == y1 {
			return
		}
		e2 := 2 * e
		if e2 >= dy {
			e += dy
			x0 += sx
		}
		if e2 <= dx {
			e += dx
			y0 += sy
		}
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func sign(v int) int {
	switch {
	case v < 0:
		return -1
	case v > 0:
		return 1
	}
	return 0
}

// The font: each glyph is seven rows of five pixels, the high bit on the
// left, drawn twice the size.
const fontScale = 2

func glyph(r rune) [7]uint8 {
	switch r {
	case '0':
		return [7]uint8{0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E}
	case '1':
		return [7]uint8{0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E}
	case '2':
		return [7]uint8{0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F}
	case '3':
		return [7]uint8{0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E}
	case '4':
		return [7]uint8{0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02}
	case '5':
		return [7]uint8{0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E}
	case '6':
		return [7]uint8{0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E}
	case '7':
		return [7]uint8{0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08}
	case '8':
		return [7]uint8{0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E}
	case '9':
		return [7]uint8{0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C}
	case 'A':
		return [7]uint8{0x0E, 0x11, 0x11, 0x11, 0x1F, 0x11, 0x11}
	case 'B':
		return [7]uint8{0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E}
	case 'C':
		return [7]uint8{0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E}
	case 'D':
		return [7]uint8{0x1C, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1C}
	case 'E':
		return [7]uint8{0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F}
	case 'F':
		return [7]uint8{0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10}
	case 'G':
		return [7]uint8{0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F}
	case 'H':
		return [7]uint8{0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11}
	case 'I':
		return [7]uint8{0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E}
	case 'J':
		return [7]uint8{0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C}
	case 'K':
		return [7]uint8{0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11}
	case 'L':
		return [7]uint8{0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F}
	case 'M':
		return [7]uint8{0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11}
	case 'N':
		return [7]uint8{0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11}
	case 'O':
		return [7]uint8{0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E}
	case 'P':
		return [7]uint8{0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10}
	case 'Q':
		return [7]uint8{0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D}
	case 'R':
		return [7]uint8{0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11}
	case 'S':
		return [7]uint8{0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E}
	case 'T':
		return [7]uint8{0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04}
	case 'U':
		return [7]uint8{0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E}
	case 'V':
		return [7]uint8{0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04}
	case 'W':
		return [7]uint8{0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A}
	case 'X':
		return [7]uint8{0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11}
	case 'Y':
		return [7]uint8{0x11, 0x11, 0x11, 0x0A, 0x04, 0x04, 0x04}
	case 'Z':
		return [7]uint8{0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F}
	case '/':
		return [7]uint8{0x00, 0x01, 0x02, 0x04, 0x08, 0x10, 0x00}
	case '-':
		return [7]uint8{0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00}
	case '.':
		return [7]uint8{0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x0C}
	case ',':
		return [7]uint8{0x00, 0x00, 0x00, 0x00, 0x0C, 0x04, 0x08}
	case ':':
		return [7]uint8{0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x0C, 0x00}
	case '(':
		return [7]uint8{0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02}
	case ')':
		return [7]uint8{0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08}
	case '%':
		return [7]uint8{0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03}
	case '+':
		return [7]uint8{0x00, 0x04, 0x04, 0x1F, 0x04, 0x04, 0x00}
	case '=':
		return [7]uint8{0x00, 0x00, 0x1F, 0x00, 0x1F, 0x00, 0x00}
	}
	return [7]uint8{} // space, and anything the font lacks
}

const advance = 6 * fontScale

func textWidth(s string) int { return len([]rune(s)) * advance }

// text draws s (in capitals) with its top left corner at x, y.
func text(img *image.RGBA, x, y int, s string, c color.Color) {
	for _, r := range strings.ToUpper(s) {
		g := glyph(r)
		for row, bits := range g {
			for col := 0; col < 5; col++ {
				if bits&(0x10>>col) != 0 {
					fill(img, x+col*fontScale, y+row*fontScale, x+(col+1)*fontScale, y+(row+1)*fontScale, c)
				}
			}
		}
		x += advance
	}
}
