package pyjson

import (
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

type formatCase struct {
	name string
	in   string
	want string
}

func runFormatCases(t *testing.T, cases []formatCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Format([]byte(tc.in))
			require.NoError(t, err)
			require.Equal(t, tc.want, string(got))
		})
	}
}

func TestLayout(t *testing.T) {
	runFormatCases(t, []formatCase{
		{"null", "null", "null"},
		{"true", "true", "true"},
		{"false", "false", "false"},
		{"top-level string", `"x"`, `"x"`},
		{"empty array", "[]", "[]"},
		{"empty object", "{}", "{}"},
		{"empty containers nested", `[[],{}]`, "[\n [],\n {}\n]"},
		{"array", "[1,2]", "[\n 1,\n 2\n]"},
		{"object", `{"a":1}`, "{\n \"a\": 1\n}"},
		{"one space per level", `{"a":[1,{"b":null}]}`,
			"{\n \"a\": [\n  1,\n  {\n   \"b\": null\n  }\n ]\n}"},
		{"input whitespace is dropped", " \t\r\n[ 1 ,\n\t2 ]\r\n ", "[\n 1,\n 2\n]"},
		{"deeper than the spaces constant", strings.Repeat("[", 70) + strings.Repeat("]", 70),
			nestedArrays(70)},
	})
}

// nestedArrays is Python's layout of n nested arrays, written out the slow,
// obvious way.
func nestedArrays(n int) string {
	var b strings.Builder
	for i := 0; i < n-1; i++ {
		b.WriteString("[\n" + strings.Repeat(" ", i+1))
	}
	b.WriteString("[]")
	for i := n - 2; i >= 0; i-- {
		b.WriteString("\n" + strings.Repeat(" ", i) + "]")
	}
	return b.String()
}

func TestStrings(t *testing.T) {
	runFormatCases(t, []formatCase{
		{"plain", `"hello world"`, `"hello world"`},
		{"quote and backslash", `"\"\\"`, `"\"\\"`},
		{"escaped slash is decoded and not re-escaped", `"\/"`, `"/"`},
		{"html characters stay", `"</script>&"`, `"</script>&"`},
		{"short escapes", `"\b\f\n\r\t"`, `"\b\f\n\r\t"`},
		{"other control characters", `"\u0000\u0001\u001f"`, `"\u0000\u0001\u001f"`},
		{"raw DEL is escaped", "\"\x7f\"", `"\u007f"`},
		{"raw latin-1", `"é"`, `"\u00e9"`},
		{"uppercase hex becomes lowercase", `"\u00E9"`, `"\u00e9"`},
		{"escaped ascii is decoded", `"\u0041\u0062"`, `"Ab"`},
		{"raw BMP", `"中文"`, `"\u4e2d\u6587"`},
		{"line separators", "\"\u2028\\u2029\"", `"\u2028\u2029"`},
		{"replacement character is text", "\"\uFFFD\"", `"\ufffd"`},
		{"BOM inside a string", "\"\uFEFF\"", `"\ufeff"`},
		{"raw astral", `"😀"`, `"\ud83d\ude00"`},
		{"escaped pair", `"\uD83D\uDE00"`, `"\ud83d\ude00"`},
		{"highest code point", "\"\U0010FFFF\"", `"\udbff\udfff"`},
		{"NUL in the middle", `"a\u0000b"`, `"a\u0000b"`},
	})
}

func TestLoneSurrogates(t *testing.T) {
	runFormatCases(t, []formatCase{
		{"lone high", `"\ud800"`, `"\ud800"`},
		{"lone low", `"\udc00"`, `"\udc00"`},
		{"reversed pair", `"\udc00\ud800"`, `"\udc00\ud800"`},
		{"two highs", `"\ud800\ud800"`, `"\ud800\ud800"`},
		{"high then escaped ascii", `"\ud800\u0041"`, `"\ud800A"`},
		{"high then raw ascii", `"\ud800A"`, `"\ud800A"`},
		{"high then short escape", `"\ud800\n"`, `"\ud800\n"`},
		{"pair then lone low", `"\ud800\udc00\udc00"`, `"\ud800\udc00\udc00"`},
		{"high then escaped backslash", `"\ud800\\udc00"`, `"\ud800\\udc00"`},
		{"uppercase", `"\uDFFF"`, `"\udfff"`},
		{"as key and value", `{"\ud800":"\udfff"}`, "{\n \"\\ud800\": \"\\udfff\"\n}"},
	})
}

func TestKeyOrder(t *testing.T) {
	runFormatCases(t, []formatCase{
		{"ascii", `{"b":1,"a":2,"A":3,"":4,"aa":5,"a ":6}`,
			"{\n \"\": 4,\n \"A\": 3,\n \"a\": 2,\n \"a \": 6,\n \"aa\": 5,\n \"b\": 1\n}"},
		// UTF-16 order would put the astral key (a surrogate pair) before
		// U+E000; Python compares code points.
		{"code points, not UTF-16", `{"😀":1,"\ue000":2,"\uffff":3}`,
			"{\n \"\\ue000\": 2,\n \"\\uffff\": 3,\n \"\\ud83d\\ude00\": 1\n}"},
		{"lone surrogates between U+D7FF and U+E000", `{"\ue000":1,"\udc00":2,"\ud7ff":3,"\ud800":4}`,
			"{\n \"\\ud7ff\": 3,\n \"\\ud800\": 4,\n \"\\udc00\": 2,\n \"\\ue000\": 1\n}"},
		{"lone surrogate before astral", `{"\ud83d\ude00":1,"\udbff":2}`,
			"{\n \"\\udbff\": 2,\n \"\\ud83d\\ude00\": 1\n}"},
		{"keys compare decoded", `{"b":1,"\u0061":2}`, "{\n \"a\": 2,\n \"b\": 1\n}"},
	})
}

func TestDuplicateKeys(t *testing.T) {
	runFormatCases(t, []formatCase{
		{"last wins", `{"a":1,"a":2}`, "{\n \"a\": 2\n}"},
		{"last wins with others between", `{"a":1,"b":2,"a":3}`, "{\n \"a\": 3,\n \"b\": 2\n}"},
		{"spelled differently", `{"a":1,"\u0061":2}`, "{\n \"a\": 2\n}"},
		{"containers replaced whole", `{"a":{"x":1},"a":[2]}`, "{\n \"a\": [\n  2\n ]\n}"},
		{"many", `{"k":1,"k":2,"k":3,"j":0,"k":4}`, "{\n \"j\": 0,\n \"k\": 4\n}"},
	})
}

func TestNumbers(t *testing.T) {
	bigInt := strings.Repeat("9", maxIntDigits)
	runFormatCases(t, []formatCase{
		{"zero", "0", "0"},
		{"negative zero int", "-0", "0"},
		{"negative", "-17", "-17"},
		{"beyond int64", "-9223372036854775809", "-9223372036854775809"},
		{"beyond float64 precision", "9007199254740993", "9007199254740993"},
		{"huge", "123456789012345678901234567890", "123456789012345678901234567890"},
		{"4300 digits", bigInt, bigInt},
		{"4300 digits negative", "-" + bigInt, "-" + bigInt},

		{"float", "1.5", "1.5"},
		{"integral float keeps .0", "1.0", "1.0"},
		{"exponent makes a float", "1E2", "100.0"},
		{"explicit plus", "1e+2", "100.0"},
		{"negative zero float", "-0.0", "-0.0"},
		{"negative zero exponent", "-0e0", "-0.0"},
		{"shortest digits", "0.30000000000000004", "0.30000000000000004"},
		{"rounds to shortest", "0.1000000000000000055511151231257827", "0.1"},
		{"positional up to 1e16", "1e15", "1000000000000000.0"},
		{"largest positional", "9999999999999998.0", "9999999999999998.0"},
		{"exponent from 1e16", "1e16", "1e+16"},
		{"exponent keeps fraction", "1.5e16", "1.5e+16"},
		{"1e22", "1e22", "1e+22"},
		{"rounded to 17 digits", "123456789012345678.0", "1.2345678901234568e+17"},
		{"positional down to 1e-4", "0.0001", "0.0001"},
		{"exponent below 1e-4", "0.00001", "1e-05"},
		{"small with digits", "0.0000123", "1.23e-05"},
		{"largest", "1.7976931348623157e308", "1.7976931348623157e+308"},
		{"smallest subnormal", "5e-324", "5e-324"},
		{"underflow", "1e-400", "0.0"},
		{"negative underflow", "-1e-400", "-0.0"},
		{"overflow", "1e400", "Infinity"},
		{"negative overflow", "-1e400", "-Infinity"},
		{"huge exponent", "1e999999999999999999999", "Infinity"},
		{"zero with huge exponent", "0e999999999999999999999", "0.0"},
		{"tie rounds to even", "9007199254740993.0", "9007199254740992.0"},
		{"tie broken by a late digit", "9007199254740993.000000000000000000000000001", "9007199254740994.0"},
		{"leading zeros in exponent", "1e0001", "10.0"},

		{"NaN", "NaN", "NaN"},
		{"Infinity", "Infinity", "Infinity"},
		{"-Infinity", "-Infinity", "-Infinity"},
		{"in a container", "[NaN,-Infinity]", "[\n NaN,\n -Infinity\n]"},
	})
}

func TestFloatRepr(t *testing.T) {
	// Python's float.__repr__ for values around each boundary of the
	// positional form.
	for f, want := range map[float64]string{
		1e16:                 "1e+16",
		9999999999999998:     "9999999999999998.0",
		1e-4:                 "0.0001",
		9.999999999999999e-5: "9.999999999999999e-05",
		1e-5:                 "1e-05",
		1e100:                "1e+100",
		1e-100:               "1e-100",
		123.456:              "123.456",
		-2.5e-7:              "-2.5e-07",
		1 << 62:              "4.611686018427388e+18",
	} {
		require.Equal(t, want, string(appendFloat(nil, f)), "%v", f)
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct{ name, in string }{
		{"empty", ""},
		{"only whitespace", " \n"},
		{"UTF-8 BOM", "\uFEFF{}"},
		{"BOM alone", "\uFEFF"},
		{"trailing data", "[] []"},
		{"two values", "1 2"},
		{"trailing garbage", "{}x"},
		{"trailing NUL", "1\x00"},
		{"form feed is not whitespace", "\f1"},
		{"vertical tab is not whitespace", "[1\v]"},
		{"no-break space is not whitespace", "\u00a01"},
		{"unclosed array", "[1"},
		{"unclosed object", `{"a":1`},
		{"trailing comma in array", "[1,]"},
		{"trailing comma in object", `{"a":1,}`},
		{"leading comma", "[,1]"},
		{"missing comma", "[1 2]"},
		{"missing colon", `{"a" 1}`},
		{"missing value", `{"a":}`},
		{"unquoted key", "{a:1}"},
		{"number key", "{1:2}"},
		{"single quotes", "'a'"},
		{"comment", "// x\n1"},
		{"python literal", "True"},
		{"truncated literal", "nul"},
		{"literal with tail", "falsey"},
		{"lowercase nan", "nan"},
		{"negative NaN", "-NaN"},
		{"plus Infinity", "+Infinity"},
		{"truncated Infinity", "-Infinit"},
		{"leading zero", "01"},
		{"negative leading zero", "-01"},
		{"bare minus", "-"},
		{"no fraction digits", "1."},
		{"no integer digits", ".5"},
		{"no exponent digits", "1e"},
		{"exponent sign only", "1e+"},
		{"hex", "0x10"},
		{"int above Python's digit limit", strings.Repeat("1", maxIntDigits+1)},
		{"negative int above the limit", "-" + strings.Repeat("1", maxIntDigits+1)},
		{"unterminated string", `"abc`},
		{"unterminated after escape", `"\`},
		{"raw newline in string", "\"a\nb\""},
		{"raw tab in string", "\"a\tb\""},
		{"raw NUL in string", "\"\x00\""},
		{"unknown escape", `"\x"`},
		{"escaped single quote", `"\'"`},
		{"capital U escape", `"\U0041"`},
		{"short unicode escape", `"\u12"`},
		{"bad hex", `"\u12g4"`},
		{"bad hex after high surrogate", `"\ud800\u12g4"`},
		{"truncated escape after high surrogate", `"\ud800\u"`},
		{"invalid UTF-8 in string", "\"\xff\""},
		{"truncated UTF-8", "\"\xc3\""},
		{"overlong UTF-8", "\"\xc0\xaf\""},
		{"UTF-8-encoded surrogate", "\"\xed\xa0\x80\""},
		{"above U+10FFFF", "\"\xf4\x90\x80\x80\""},
		{"invalid UTF-8 outside a string", "\xff"},
		{"too deep", strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1)},
		{"too deep objects", strings.Repeat(`{"":`, maxDepth+1) + "1" + strings.Repeat("}", maxDepth+1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Format([]byte(tc.in))
			require.Error(t, err)
			require.Nil(t, got)
			require.True(t, strings.HasPrefix(err.Error(), "pyjson: "), err.Error())
		})
	}
}

func TestDepthLimit(t *testing.T) {
	// As deep as encoding/json allows, one beyond fails (in TestErrors).
	in := strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth)
	require.True(t, json.Valid([]byte(in)))
	_, err := Format([]byte(in))
	require.NoError(t, err)
	require.False(t, json.Valid([]byte("["+in+"]")))
}

func TestAppendFormat(t *testing.T) {
	dst := []byte("prefix:")
	got, err := AppendFormat(dst, []byte(`{"b":[],"a":1}`))
	require.NoError(t, err)
	require.Equal(t, "prefix:{\n \"a\": 1,\n \"b\": []\n}", string(got))

	got, err = AppendFormat(dst, []byte(`{"b":`))
	require.Error(t, err)
	require.Equal(t, "prefix:", string(got), "dst comes back untouched on error")
}

func TestInputNotModified(t *testing.T) {
	in := []byte(`{"z":"\u00e9","a":["x"]}`)
	orig := string(in)
	_, err := Format(in)
	require.NoError(t, err)
	require.Equal(t, orig, string(in))
}

// vector is one line of testdata/vectors.json, made by testdata/gen.py
// from Python's own answers.
type vector struct {
	In  string  `json:"in"`
	Out *string `json:"out"` // nil where Python's json.loads raises
}

func loadVectors(tb testing.TB) []vector {
	tb.Helper()
	data, err := os.ReadFile("testdata/vectors.json")
	require.NoError(tb, err)
	var vs []vector
	require.NoError(tb, json.Unmarshal(data, &vs))
	require.NotEmpty(tb, vs)
	return vs
}

func TestGoldenVectors(t *testing.T) {
	for i, v := range loadVectors(t) {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			got, err := Format([]byte(v.In))
			if v.Out == nil {
				require.Error(t, err, "Python rejects %q", v.In)
				return
			}
			require.NoError(t, err, "Python accepts %q", v.In)
			require.Equal(t, *v.Out, string(got), "input %q", v.In)
		})
	}
}
