package bench

import (
	"bytes"
	"image/color"
	"image/png"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPlot(t *testing.T) {
	n := 120
	up := make([]float64, n)
	gappy := make([]float64, n)
	for i := range n {
		up[i] = 100 * float64(i*i) / float64((n-1)*(n-1))
		gappy[i] = 50 + 40*math.Sin(float64(i)/7)
		if i%17 < 3 {
			gappy[i] = math.NaN()
		}
	}
	red := color.RGBA{200, 0, 0, 255}
	var buf bytes.Buffer
	require.NoError(t, Plot(&buf, float64(n), []Span{{Label: "hub down", Start: 10, End: 30}},
		Panel{Title: "rising", Series: []Series{{Name: "square", Color: red, Values: up}}},
		Panel{Title: "zeros and gaps", Series: []Series{{Name: "none", Values: make([]float64, n)}, {Name: "wave", Color: red, Values: gappy}}},
	))
	img, err := png.Decode(&buf)
	require.NoError(t, err)
	require.Equal(t, 1100, img.Bounds().Dx())
	// The rising line reaches the top right of the first panel, in red.
	found := false
	for y := 15; y < 60 && !found; y++ {
		for x := 1000; x < 1090; x++ {
			if r, g, _, _ := img.At(x, y).RGBA(); r>>8 == 200 && g == 0 {
				found = true
				break
			}
		}
	}
	require.True(t, found, "the line is drawn where its peak is")
}

func TestNiceCeil(t *testing.T) {
	for _, c := range []struct{ in, want float64 }{{0, 1}, {0.3, 0.5}, {1, 1}, {1.1, 2}, {3, 5}, {7, 10}, {4321, 5000}} {
		require.InDelta(t, c.want, niceCeil(c.in), 1e-9, "%v", c.in)
	}
}
