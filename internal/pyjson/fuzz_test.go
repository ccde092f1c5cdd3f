package pyjson

import (
	"bytes"
	"encoding/json"
	"math"
	"math/big"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// FuzzFormat checks Format against encoding/json, an independent reader of
// nearly the same language, and against itself:
//
//   - Format never panics.
//   - Whatever encoding/json accepts, Format accepts too, except what Python
//     refuses and encoding/json does not check: invalid UTF-8 inside strings
//     and ints longer than 4300 digits. (Lone surrogate escapes are fine:
//     Python keeps them and so does Format. Both limit nesting to 10000.)
//   - Whatever Format accepts beyond that uses Python's NaN or Infinity.
//   - Output is printable ASCII and newlines, and formatting it again
//     changes nothing.
//   - For JSON input, the output means the same to encoding/json.
func FuzzFormat(f *testing.F) {
	for _, s := range []string{
		"", "null", "-0", "1.0", "1e16", "1e-5", "1e400", "-0.0", "NaN", "-Infinity",
		`{"b":1,"a":[true,false,null],"a":{}}`,
		`"\ud800\udc00\udc00\ud800 é 😀 \u007f"`,
		`{"\ue000":1,"\ud83d\ude00":2,"\udbff":3}`,
		"\uFEFF{}", "\"\xff\"", "\"\xed\xa0\x80\"", "[1,]",
		strings.Repeat("[", 50) + strings.Repeat("]", 50),
		userModel,
	} {
		f.Add([]byte(s))
	}
	for _, v := range loadVectors(f) {
		// The fuzzer spends its time minimizing large inputs (thousands of
		// digits) rather than exploring; the digit limit has its own tests.
		if len(v.In) <= 1000 {
			f.Add([]byte(v.In))
		}
	}

	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := Format(in)
		valid := json.Valid(in)
		var inValue any
		if valid {
			inValue = decodeNumbers(t, in)
		}
		if err != nil {
			if valid && utf8.Valid(in) && !hasHugeInt(inValue) {
				t.Fatalf("encoding/json accepts %q but Format fails: %v", in, err)
			}
			return
		}

		if !valid {
			require.True(t, bytes.Contains(in, []byte("NaN")) || bytes.Contains(in, []byte("Infinity")),
				"Format accepts %q, which is neither JSON nor uses Python's extra literals", in)
		}
		for _, c := range out {
			require.True(t, c == '\n' || (0x20 <= c && c < 0x7F), "output byte %#x in %q", c, out)
		}
		again, err := Format(out)
		require.NoError(t, err, "formatting the output %q", out)
		require.Equal(t, string(out), string(again), "not idempotent for input %q", in)

		if !valid {
			return
		}
		if !json.Valid(out) {
			// Only a float too large for float64 turns JSON into non-JSON.
			require.Contains(t, string(out), "Infinity", "output %q of JSON input %q", out, in)
			return
		}
		requireSameJSON(t, inValue, decodeNumbers(t, out))
	})
}

func decodeNumbers(t *testing.T, data []byte) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var v any
	require.NoError(t, d.Decode(&v))
	return v
}

func hasHugeInt(v any) bool {
	switch v := v.(type) {
	case json.Number:
		s := strings.TrimPrefix(string(v), "-")
		return !strings.ContainsAny(s, ".eE") && len(s) > maxIntDigits
	case []any:
		for _, e := range v {
			if hasHugeInt(e) {
				return true
			}
		}
	case map[string]any:
		for _, e := range v {
			if hasHugeInt(e) {
				return true
			}
		}
	}
	return false
}

// requireSameJSON compares values decoded by encoding/json, with ints as
// exact integers and floats as float64 (signed zeros included), so that
// "1E2" and "100.0" agree but "100" and "100.0" do not.
func requireSameJSON(t *testing.T, want, got any) {
	t.Helper()
	switch w := want.(type) {
	case json.Number:
		g, ok := got.(json.Number)
		require.True(t, ok, "number %v became %#v", w, got)
		wInt := !strings.ContainsAny(string(w), ".eE")
		gInt := !strings.ContainsAny(string(g), ".eE")
		require.Equal(t, wInt, gInt, "int or float: %v vs %v", w, g)
		if wInt {
			wb, _ := new(big.Int).SetString(string(w), 10)
			gb, _ := new(big.Int).SetString(string(g), 10)
			require.Zero(t, wb.Cmp(gb), "%v vs %v", w, g)
			return
		}
		wf, _ := strconv.ParseFloat(string(w), 64)
		gf, _ := strconv.ParseFloat(string(g), 64)
		require.True(t, wf == gf && math.Signbit(wf) == math.Signbit(gf), "%v vs %v", w, g)
	case []any:
		g, ok := got.([]any)
		require.True(t, ok, "array became %#v", got)
		require.Len(t, g, len(w))
		for i := range w {
			requireSameJSON(t, w[i], g[i])
		}
	case map[string]any:
		g, ok := got.(map[string]any)
		require.True(t, ok, "object became %#v", got)
		require.Len(t, g, len(w))
		for k, wv := range w {
			gv, ok := g[k]
			require.True(t, ok, "key %q lost", k)
			if strings.ContainsRune(k, utf8.RuneError) {
				// encoding/json reads every lone surrogate as U+FFFD, so
				// distinct keys can collide, and which one's value wins
				// depends on their order, which sorting changed.
				continue
			}
			requireSameJSON(t, wv, gv)
		}
	default: // strings, bools, nil
		require.Equal(t, want, got)
	}
}
