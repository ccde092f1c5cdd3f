package pyjson

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

const (
	// maxDepth matches encoding/json's nesting limit, so whatever json.Valid
	// accepts is deep enough for Format too.
	maxDepth = 10000

	// maxIntDigits is Python's default sys.get_int_max_str_digits(): longer
	// integer literals make json.loads raise ValueError.
	maxIntDigits = 4300
)

// Format returns data formatted as Python's
// json.dumps(json.loads(data), indent=1, sort_keys=True) would, or an error
// where Python's json.loads would raise.
func Format(data []byte) ([]byte, error) {
	return AppendFormat(nil, data)
}

// AppendFormat is like [Format] but appends the result to dst. On error dst
// is returned unchanged: the whole input is checked before anything is
// written.
func AppendFormat(dst, data []byte) ([]byte, error) {
	// Room for a typical document's widest containers, so that the stacks
	// rarely grow.
	p := parser{data: data, items: make([]value, 0, 16), members: make([]member, 0, 16)}
	if bytes.HasPrefix(data, utf8BOM) {
		// Python's message, since the error is easy to make and otherwise
		// reads as a mysterious "expecting value".
		return dst, p.errorf(0, "unexpected UTF-8 BOM")
	}
	v, err := p.parseValue()
	if err != nil {
		return dst, err
	}
	p.skipSpace()
	if p.pos != len(data) {
		return dst, p.errorf(p.pos, "extra data")
	}
	// A guess at the output size: indentation adds about what dropped
	// whitespace saves. One allocation of roughly the right size beats
	// growing from nothing.
	dst = slices.Grow(dst, len(data)+len(data)/4)
	return appendValue(dst, &v, 0), nil
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// value is a parsed JSON value, kept only as long as it takes to sort the
// objects' keys; everything else could be written while parsing.
type value struct {
	kind kind
	// text is the output of a kindRaw value or the decoded contents of a
	// kindString, in WTF-8 (see appendWTF8).
	text    []byte
	num     float64 // kindFloat
	items   []value // kindArray
	members []member
}

type kind uint8

const (
	kindRaw    kind = iota // null, true, false or an int: text is written verbatim
	kindFloat              // written as Python's float repr
	kindString             // written with Python's ensure_ascii escapes
	kindArray
	kindObject // members are sorted by key, without duplicates
)

type member struct {
	key []byte // WTF-8, so that bytes.Compare orders keys by code point
	val value
}

var (
	litNull  = []byte("null")
	litTrue  = []byte("true")
	litFalse = []byte("false")
	litZero  = []byte("0")
)

// parser is a recursive-descent parser for the language Python's json.loads
// accepts in its default strict mode: JSON plus NaN, Infinity and -Infinity.
type parser struct {
	data  []byte
	pos   int
	depth int

	// items and members are stacks shared by all containers being parsed:
	// each container collects its children on top, then copies them out at
	// their final size, which saves the repeated growing of a slice per
	// container.
	items   []value
	members []member
}

// errorf words errors like Python's JSONDecodeError, with a byte offset
// where Python gives a character index.
func (p *parser) errorf(off int, format string, args ...any) error {
	return fmt.Errorf("pyjson: %s at offset %d", fmt.Sprintf(format, args...), off)
}

// skipSpace skips what Python's json module counts as whitespace, which is
// exactly JSON's: no form feed, no vertical tab, no Unicode spaces.
func (p *parser) skipSpace() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *parser) parseValue() (value, error) {
	p.skipSpace()
	if p.pos >= len(p.data) {
		return value{}, p.errorf(p.pos, "expecting value")
	}
	switch c := p.data[p.pos]; c {
	case '{':
		return p.parseObject()
	case '[':
		return p.parseArray()
	case '"':
		s, err := p.parseString()
		return value{kind: kindString, text: s}, err
	case 'n':
		return value{kind: kindRaw, text: litNull}, p.expectLiteral("null")
	case 't':
		return value{kind: kindRaw, text: litTrue}, p.expectLiteral("true")
	case 'f':
		return value{kind: kindRaw, text: litFalse}, p.expectLiteral("false")
	case 'N':
		return value{kind: kindFloat, num: math.NaN()}, p.expectLiteral("NaN")
	case 'I':
		return value{kind: kindFloat, num: math.Inf(1)}, p.expectLiteral("Infinity")
	default:
		if c == '-' || ('0' <= c && c <= '9') {
			return p.parseNumber()
		}
		return value{}, p.errorf(p.pos, "expecting value")
	}
}

func (p *parser) expectLiteral(lit string) error {
	if end := p.pos + len(lit); end > len(p.data) || string(p.data[p.pos:end]) != lit {
		return p.errorf(p.pos, "expecting value")
	}
	p.pos += len(lit)
	return nil
}

// enter and leave bound the recursion of parseArray and parseObject.
func (p *parser) enter() error {
	p.depth++
	if p.depth > maxDepth {
		return p.errorf(p.pos, "nesting deeper than %d levels", maxDepth)
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

func (p *parser) parseArray() (value, error) {
	if err := p.enter(); err != nil {
		return value{}, err
	}
	defer p.leave()
	p.pos++ // '['
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		return value{kind: kindArray}, nil
	}
	base := len(p.items)
	defer func() { p.items = p.items[:base] }()
	for {
		item, err := p.parseValue()
		if err != nil {
			return value{}, err
		}
		p.items = append(p.items, item)
		p.skipSpace()
		if p.pos >= len(p.data) {
			return value{}, p.errorf(p.pos, "expecting ',' delimiter")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			return value{kind: kindArray, items: slices.Clone(p.items[base:])}, nil
		default:
			return value{}, p.errorf(p.pos, "expecting ',' delimiter")
		}
	}
}

func (p *parser) parseObject() (value, error) {
	if err := p.enter(); err != nil {
		return value{}, err
	}
	defer p.leave()
	p.pos++ // '{'
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		return value{kind: kindObject}, nil
	}
	base := len(p.members)
	defer func() { p.members = p.members[:base] }()
	for {
		// Also after a comma: Python allows no trailing comma.
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return value{}, p.errorf(p.pos, "expecting property name enclosed in double quotes")
		}
		key, err := p.parseString()
		if err != nil {
			return value{}, err
		}
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return value{}, p.errorf(p.pos, "expecting ':' delimiter")
		}
		p.pos++
		val, err := p.parseValue()
		if err != nil {
			return value{}, err
		}
		p.members = append(p.members, member{key: key, val: val})
		p.skipSpace()
		if p.pos >= len(p.data) {
			return value{}, p.errorf(p.pos, "expecting ',' delimiter")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			return value{kind: kindObject, members: sortMembers(slices.Clone(p.members[base:]))}, nil
		default:
			return value{}, p.errorf(p.pos, "expecting ',' delimiter")
		}
	}
}

// sortMembers orders members as sort_keys does and drops all but the last
// of repeated keys, as building a Python dict does. The sort is stable so
// that the last of a run of equal keys is the last one in the input.
func sortMembers(ms []member) []member {
	slices.SortStableFunc(ms, func(a, b member) int { return bytes.Compare(a.key, b.key) })
	out := ms[:0]
	for i := range ms {
		if i+1 < len(ms) && bytes.Equal(ms[i].key, ms[i+1].key) {
			continue
		}
		out = append(out, ms[i])
	}
	return out
}

// parseNumber reads an int, a float or -Infinity. Python's scanner matches
// the longest prefix that is a number and lets the next token fail; that
// rejects exactly what strict JSON number syntax does, since a number can
// only be followed by whitespace, ',', ']', '}' or the end.
func (p *parser) parseNumber() (value, error) {
	d := p.data
	start := p.pos
	i := p.pos
	if d[i] == '-' {
		i++
		if i < len(d) && d[i] == 'I' {
			p.pos = i
			return value{kind: kindFloat, num: math.Inf(-1)}, p.expectLiteral("Infinity")
		}
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && '1' <= d[i] && d[i] <= '9':
		i = skipDigits(d, i)
	default:
		return value{}, p.errorf(start, "expecting value")
	}
	intEnd := i
	if i < len(d) && d[i] == '.' {
		if j := skipDigits(d, i+1); j > i+1 {
			i = j
		} else {
			return value{}, p.errorf(i, "expecting digits after '.'")
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		j := i + 1
		if j < len(d) && (d[j] == '+' || d[j] == '-') {
			j++
		}
		if k := skipDigits(d, j); k > j {
			i = k
		} else {
			return value{}, p.errorf(i, "expecting exponent digits")
		}
	}
	p.pos = i
	text := d[start:i]

	if i == intEnd { // a Python int
		digits := len(text)
		if text[0] == '-' {
			digits--
		}
		if digits > maxIntDigits {
			return value{}, p.errorf(start, "integer of %d digits exceeds Python's limit of %d", digits, maxIntDigits)
		}
		if string(text) == "-0" {
			text = litZero // Python ints have no negative zero
		}
		return value{kind: kindRaw, text: text}, nil
	}

	// Both strconv and Python's float() round correctly, so they agree on
	// every input. Overflow gives ±Inf with ErrRange, which is Python's
	// answer too; underflow gives (signed) zero, again as in Python.
	f, err := strconv.ParseFloat(string(text), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return value{}, p.errorf(start, "invalid number %q", text)
	}
	return value{kind: kindFloat, num: f}, nil
}

func skipDigits(d []byte, i int) int {
	for i < len(d) && '0' <= d[i] && d[i] <= '9' {
		i++
	}
	return i
}

// parseString reads the string starting at the quote at p.pos and returns
// its contents decoded to WTF-8. A string without escapes is returned as a
// slice of the input, so most strings cost no allocation.
func (p *parser) parseString() ([]byte, error) {
	d := p.data
	start := p.pos + 1
	for i := start; i < len(d); {
		switch c := d[i]; {
		case c == '"':
			p.pos = i + 1
			return d[start:i], nil
		case c == '\\':
			return p.parseEscapedString(start, i)
		case c < 0x20:
			return nil, p.errorf(i, "invalid control character in string")
		case c < utf8.RuneSelf:
			i++
		default:
			n, err := p.checkUTF8(i)
			if err != nil {
				return nil, err
			}
			i += n
		}
	}
	return nil, p.errorf(p.pos, "unterminated string")
}

// parseEscapedString continues parseString from the first backslash at i,
// decoding into a copy.
func (p *parser) parseEscapedString(start, i int) ([]byte, error) {
	d := p.data
	buf := make([]byte, i-start, i-start+16)
	copy(buf, d[start:i])
	for i < len(d) {
		c := d[i]
		switch {
		case c == '"':
			p.pos = i + 1
			return buf, nil
		case c == '\\':
			if i+1 >= len(d) {
				return nil, p.errorf(p.pos, "unterminated string")
			}
			if c, ok := unescape(d[i+1]); ok {
				buf = append(buf, c)
				i += 2
				continue
			}
			if d[i+1] != 'u' {
				return nil, p.errorf(i, "invalid \\escape")
			}
			r, ok := hex4(d[i+2:])
			if !ok {
				return nil, p.errorf(i, "invalid \\uXXXX escape")
			}
			i += 6
			// Like Python, join a high surrogate only with an escaped low
			// one right after it, and otherwise keep it as a lone code
			// point: Python strings may hold those.
			if isHighSurrogate(r) && i+1 < len(d) && d[i] == '\\' && d[i+1] == 'u' {
				r2, ok := hex4(d[i+2:])
				if !ok {
					return nil, p.errorf(i, "invalid \\uXXXX escape")
				}
				if isLowSurrogate(r2) {
					r = 0x10000 + (r-0xD800)<<10 + (r2 - 0xDC00)
					i += 6
				}
			}
			buf = appendWTF8(buf, r)
		case c < 0x20:
			return nil, p.errorf(i, "invalid control character in string")
		case c < utf8.RuneSelf:
			buf = append(buf, c)
			i++
		default:
			n, err := p.checkUTF8(i)
			if err != nil {
				return nil, err
			}
			buf = append(buf, d[i:i+n]...)
			i += n
		}
	}
	return nil, p.errorf(p.pos, "unterminated string")
}

// unescape decodes the escapes other than \uXXXX.
func unescape(c byte) (byte, bool) {
	switch c {
	case '"', '\\', '/':
		return c, true
	case 'b':
		return '\b', true
	case 'f':
		return '\f', true
	case 'n':
		return '\n', true
	case 'r':
		return '\r', true
	case 't':
		return '\t', true
	}
	return 0, false
}

// checkUTF8 returns the length of the UTF-8 sequence at i. utf8.DecodeRune
// refuses what Python's strict UTF-8 decoder refuses: overlong forms,
// encoded surrogates and code points above U+10FFFF.
func (p *parser) checkUTF8(i int) (int, error) {
	r, n := utf8.DecodeRune(p.data[i:])
	if r == utf8.RuneError && n == 1 {
		return 0, p.errorf(i, "invalid UTF-8")
	}
	return n, nil
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		var d byte
		switch {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	return r, true
}

func isHighSurrogate(r rune) bool { return 0xD800 <= r && r < 0xDC00 }
func isLowSurrogate(r rune) bool  { return 0xDC00 <= r && r < 0xE000 }
func isSurrogate(r rune) bool     { return 0xD800 <= r && r < 0xE000 }

// appendWTF8 appends r in UTF-8, extended to lone surrogates the obvious way
// (three bytes ED A0 80 to ED BF BF), which is the WTF-8 encoding. They
// fall between U+D7FF and U+E000 in byte order as in code point order, so
// sorting keys by bytes still sorts them the way Python does.
func appendWTF8(b []byte, r rune) []byte {
	if isSurrogate(r) {
		return append(b, 0xE0|byte(r>>12), 0x80|(byte(r>>6)&0x3F), 0x80|(byte(r)&0x3F))
	}
	return utf8.AppendRune(b, r)
}

// decodeWTF8 undoes appendWTF8. The parser let through only valid UTF-8 and
// the surrogates it encoded itself, so an invalid sequence is a surrogate.
func decodeWTF8(b []byte) (rune, int) {
	r, n := utf8.DecodeRune(b)
	if r == utf8.RuneError && n == 1 && len(b) >= 3 {
		return rune(b[0]&0x0F)<<12 | rune(b[1]&0x3F)<<6 | rune(b[2]&0x3F), 3
	}
	return r, n
}

func appendValue(dst []byte, v *value, depth int) []byte {
	switch v.kind {
	case kindRaw:
		return append(dst, v.text...)
	case kindFloat:
		return appendFloat(dst, v.num)
	case kindString:
		return appendString(dst, v.text)
	case kindArray:
		if len(v.items) == 0 {
			return append(dst, "[]"...)
		}
		dst = append(dst, '[')
		for i := range v.items {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendNewline(dst, depth+1)
			dst = appendValue(dst, &v.items[i], depth+1)
		}
		dst = appendNewline(dst, depth)
		return append(dst, ']')
	default: // kindObject
		if len(v.members) == 0 {
			return append(dst, "{}"...)
		}
		dst = append(dst, '{')
		for i := range v.members {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendNewline(dst, depth+1)
			dst = appendString(dst, v.members[i].key)
			dst = append(dst, ": "...)
			dst = appendValue(dst, &v.members[i].val, depth+1)
		}
		dst = appendNewline(dst, depth)
		return append(dst, '}')
	}
}

const spaces = "                                                                "

// appendNewline starts a line indented by one space per level (indent=1).
func appendNewline(dst []byte, depth int) []byte {
	dst = append(dst, '\n')
	for depth > len(spaces) {
		dst = append(dst, spaces...)
		depth -= len(spaces)
	}
	return append(dst, spaces[:depth]...)
}

// appendFloat appends float.__repr__(f). Python and strconv agree on the
// shortest digits that round-trip; they differ on where to switch to
// exponent notation, which Python does for decimal exponents below -4 or
// from 16 on, and on positional form, where Python always shows a fraction.
func appendFloat(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "NaN"...)
	case math.IsInf(f, 1):
		return append(dst, "Infinity"...)
	case math.IsInf(f, -1):
		return append(dst, "-Infinity"...)
	}
	start := len(dst)
	// strconv's exponent form is already Python's: "1e+16", "1.5e-07",
	// at least two exponent digits, no ".0" on a single digit.
	dst = strconv.AppendFloat(dst, f, 'e', -1, 64)
	if exp := decimalExponent(dst[start:]); exp < -4 || exp >= 16 {
		return dst
	}
	dst = strconv.AppendFloat(dst[:start], f, 'f', -1, 64)
	if bytes.IndexByte(dst[start:], '.') < 0 {
		dst = append(dst, ".0"...)
	}
	return dst
}

// decimalExponent reads the exponent of strconv's 'e' format, "d.ddde±XX".
func decimalExponent(s []byte) int {
	i := bytes.LastIndexByte(s, 'e')
	exp := 0
	for _, c := range s[i+2:] {
		exp = exp*10 + int(c-'0')
	}
	if s[i+1] == '-' {
		exp = -exp
	}
	return exp
}

const hexDigits = "0123456789abcdef"

// appendString appends s quoted as Python's ensure_ascii encoder does:
// printable ASCII as is, everything else escaped.
func appendString(dst, s []byte) []byte {
	dst = append(dst, '"')
	plain := 0 // start of the run of bytes not yet copied
	for i := 0; i < len(s); {
		c := s[i]
		if 0x20 <= c && c < 0x7F && c != '"' && c != '\\' {
			i++
			continue
		}
		dst = append(dst, s[plain:i]...)
		if c < utf8.RuneSelf {
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			default: // other control characters and DEL
				dst = appendUEscape(dst, rune(c))
			}
			i++
		} else {
			r, n := decodeWTF8(s[i:])
			if r >= 0x10000 {
				r -= 0x10000
				dst = appendUEscape(dst, 0xD800+(r>>10))
				r = 0xDC00 + (r & 0x3FF)
			}
			dst = appendUEscape(dst, r)
			i += n
		}
		plain = i
	}
	dst = append(dst, s[plain:]...)
	return append(dst, '"')
}

func appendUEscape(dst []byte, r rune) []byte {
	return append(dst, '\\', 'u',
		hexDigits[r>>12&0xF], hexDigits[r>>8&0xF], hexDigits[r>>4&0xF], hexDigits[r&0xF])
}
