// Package pyjson formats JSON exactly as Python's
// json.dumps(json.loads(x), indent=1, sort_keys=True) does, byte for byte.
//
// JupyterHub's Python whoami example answers with that expression, so a Go
// service that wants to be a drop-in replacement has to reproduce Python's
// choices, several of which differ from encoding/json's:
//
//   - Layout: a newline and one space per nesting level before every item and
//     before the closing bracket, "," at the end of a line, ": " between key
//     and value, "[]" and "{}" for empty containers, and no trailing newline.
//   - Strings are ASCII-only (ensure_ascii): every other code point becomes
//     \uXXXX with lowercase hex, astral ones as a surrogate pair. DEL (0x7f)
//     is escaped too; "<", ">", "&" and "/" are not. Control characters use
//     \n \r \t \b \f where those exist and \u00XX otherwise.
//   - Python strings are sequences of code points, not of valid Unicode, so a
//     lone surrogate escape such as "\ud800" survives the round trip. Go
//     strings cannot hold one as UTF-8; internally such code points are kept
//     as their generalized UTF-8 (WTF-8) encoding, which also keeps byte
//     order equal to code point order.
//   - Object keys are sorted by code point (Python's str ordering, which is
//     not UTF-16 order: U+E000 sorts before U+1F600). A repeated key keeps
//     its last value, as a Python dict does.
//   - Numbers without a fraction or exponent are Python ints: any size is
//     kept digit for digit, except that "-0" becomes "0" and that more than
//     4300 digits is an error (Python's default int_max_str_digits). Other
//     numbers are floats printed by float.__repr__: the shortest digits that
//     read back to the same float, in positional form with at least one
//     fractional digit ("1.0", "0.0001") when the decimal exponent is in
//     [-4, 16), and otherwise as "1e+16", "1e-05", "1.5e+300". Floats too
//     large for a float64 become Infinity, as Python's do.
//   - Python's json module reads and writes the non-standard literals NaN,
//     Infinity and -Infinity, so they are accepted here as well.
//
// The input is taken to be UTF-8 text: Format behaves like
// json.loads(data.decode("utf-8")). It therefore rejects what that rejects:
// invalid UTF-8 (including UTF-8-encoded surrogates), a leading byte order
// mark, raw control characters inside strings, trailing data and anything
// else that is not JSON. (Python's json.loads given bytes would instead sniff
// UTF-16 and UTF-32 and skip a UTF-8 BOM; a JSON body from JupyterHub is
// UTF-8 without a BOM, so the difference does not arise there.)
//
// Nesting is limited to 10000 levels, the same limit as encoding/json, so
// that hostile input cannot exhaust the stack. Python itself gives up near
// 1000 levels with a RecursionError, at a depth that depends on its call
// stack, so no depth limit could match it exactly. Note that the output
// grows with the square of the nesting depth, since each line is indented.
package pyjson
