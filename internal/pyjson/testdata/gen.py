#!/usr/bin/env python3
"""Write vectors.json: JSON texts and what Python makes of them.

Each vector is {"in": text, "out": json.dumps(json.loads(text), indent=1,
sort_keys=True)}, with "out" null where json.loads raises. TestGoldenVectors
requires Format to agree on every one. Run from anywhere with Python 3.11:

    python3 internal/pyjson/testdata/gen.py

The inputs are hand-written edge cases, random documents written out in
random styles (whitespace, escapes, number spellings), and random damage to
those documents so that Python's rejections are checked as well as its
output. The random generator is seeded, so the file only changes when this
script does.

An input is the JSON text itself, a Python str. A lone surrogate can only
occur in it as escape text (the six characters \\ud800), never as a raw
character, so that vectors.json, written with ensure_ascii=True, decodes in
Go to exactly the text Python parsed.
"""

import decimal
import json
import math
import os
import random
import struct
import sys

SEED = 20240611
rng = random.Random(SEED)


def python_format(text):
    try:
        return json.dumps(json.loads(text), indent=1, sort_keys=True)
    except (ValueError, RecursionError):
        # JSONDecodeError is a ValueError, and so is exceeding the limit on
        # integer digits.
        return None


# --- Hand-written cases ------------------------------------------------------

HAND = [
    # Scalars and layout.
    "null", "true", "false", "0", "-0", "1", "-1", "[]", "{}", "[[]]",
    "[{}]", '{"a":[]}', '{"a":{}}', "[1,2,3]", '{"b":1,"a":2}',
    '{"a":[1,{"b":null}],"c":"d"}', "[[[[[[1]]]]]]",
    ' \t\r\n[ 1 , 2 ]\n\r\t ', '  "x"  ',
    # Key order is by code point, not UTF-16 or UTF-8-with-surrogates order.
    '{"b":1,"a":2,"A":3,"":4,"aa":5,"a ":6}',
    '{"\\ue000":1,"\\ud800":2,"\\ud83d\\ude00":3,"\\uffff":4,"\\u00e9":5,"z":6}',
    '{"\\udc00":1,"\\udbff":2,"\\ud7ff":3,"\\ue000":4}',
    '{"\U0001f600":1,"\ue000":2,"\uffff":3}',
    # Duplicate keys: last wins.
    '{"a":1,"a":2}', '{"a":1,"b":2,"a":3}', '{"a":{"x":1},"a":[2]}',
    '{"\\u0061":1,"a":2}', '{"a":2,"\\u0061":1}',
    # Strings.
    '""', '"plain"', '"\\"\\\\\\/"', '"\\b\\f\\n\\r\\t"', '"</script>&"',
    '"\\u0000\\u0001\\u001f\\u007f\\u0080"', '"\x7f"', '"\u0080\u00ff"',
    '"\\u00e9\\u00E9\u00e9"', '"\\u2028\\u2029\u2028"', '"\\ufeff\ufeff"',
    '"\\uffff\uffff\\ufffe"', '"\ufffd"', '"\U0001f600"', '"\\ud83d\\ude00"',
    '"\\uD83D\\uDE00"', '"\U0010ffff"', '"\\udbff\\udfff"',
    '"\u4e2d\u6587"', '"a\\u0000b"',
    # Lone and mispaired surrogates are kept as code points.
    '"\\ud800"', '"\\udc00"', '"\\udfff"', '"\\ud800\\ud800"',
    '"\\udc00\\ud800"', '"\\ud800\\u0041"', '"\\ud800A"', '"\\ud800\\n"',
    '"x\\ud800"', '"\\ud800\\udc00\\udc00"', '"\\ud800\\\\udc00"',
    '{"\\ud800":"\\udfff"}',
    # Bad strings.
    '"', '"abc', '"\\"', '"\\', '"\\x"', "\"\\'\"", '"\\u"', '"\\u12"',
    '"\\u12g4"', '"\\ud800\\u12g4"', '"\\ud800\\u"', '"\\U0041"',
    '"a\nb"', '"a\tb"', '"\x00"', '"\x1f"', "'a'", '"\\ud800\\udc0"',
    # Integers: Python ints of any size, up to its 4300-digit limit.
    "123456789012345678901234567890", "-98765432109876543210987654321",
    "9007199254740993", "18446744073709551616", "-9223372036854775809",
    "1" * 4300, "-" + "9" * 4300, "1" * 4301, "-" + "1" * 4301,
    "[-0,0,-0]",
    # Floats: repr's switch to exponent notation and its shortest digits.
    "1.0", "-1.0", "0.0", "-0.0", "0e0", "-0e0", "0.5", "1.5", "100.0",
    "1e0", "1E2", "1e+2", "1e-2", "1e15", "1e16", "-1e16", "1e17", "1e22",
    "1e23", "9999999999999998.0", "9999999999999999.0",
    "1234567890123456.7", "12345678901234567.0", "123456789012345678.0",
    "0.0001", "0.00001", "0.000123", "0.0000123", "-0.0001", "-0.00001",
    "0.1", "0.2", "0.30000000000000004", "0.1e1", "100e-2",
    "3.141592653589793", "2.718281828459045", "1.7976931348623157e308",
    "2.2250738585072014e-308", "2.225073858507201e-308", "5e-324",
    "4.9406564584124654e-324", "2.4703282292062328e-324",
    "2.4703282292062327e-324", "1e-400", "-1e-400", "1e400", "-1e400",
    "1e999999999999999999999", "0e999999999999999999999",
    "1.00000000000000011102230246251565404236316680908203125",
    "1.00000000000000011102230246251565404236316680908203124",
    "1.00000000000000011102230246251565404236316680908203126",
    "9007199254740993.0", "9007199254740993.000000000000000000000000001",
    "1e0001", "1E-0001", "123.456e3", "0.000001e-300",
    "[1.0,2.5,-3e-7,4e+21]",
    # Python's extra literals.
    "NaN", "Infinity", "-Infinity", "[NaN,Infinity,-Infinity]",
    '{"x":NaN}', "-NaN", "nan", "inf", "-inf", "+Infinity", "Infinit",
    "NaNa", "-Infinityx",
    # Bad numbers.
    "01", "-01", "00", "1.", ".5", "-.5", "+1", "1e", "1e+", "1E-", "-",
    "--1", "1.e5", "0x10", "1_000", "1 2", "[1 2]", "[01]", "[1.]",
    "[1e]", "-a", "1.5e", "1ee5",
    # Bad structure.
    "", " ", "[", "]", "{", "}", "[1", "[1,", "[1,]", "[,1]", "[,]",
    "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{,}", "{\"a\" 1}", "{1:2}",
    "{a:1}", "{'a':1}", "[1]]", "{}}", "[]x", "nul", "tru", "falsey",
    "True", "None", "null null", "[] []", "\ufeff{}", "\ufeff",
    "\x00", "[1]\x00", "\x0c1", "1\x0c", "\u00a01", "\v[]", "[1\v]",
    "// comment\n1", "/* */1",
    # Whitespace everywhere it may go, and nowhere it may not.
    ' { "a" : [ 1 , { } , [ ] ] , "b" : null } ',
    '\n{\n"a"\n:\n1\n}\n', '[\t]', '{\r}',
    # Deep but within Python's recursion limit.
    "[" * 200 + "]" * 200,
    '{"a":' * 150 + "1" + "}" * 150,
    "[" * 100 + '{"k":' * 100 + "[]" + "}" * 100 + "]" * 100,
    "[" * 200 + "]" * 199,
]

# A user model as JupyterHub's REST API returns it.
HAND.append(json.dumps({
    "kind": "user", "name": "ada", "admin": False,
    "groups": ["whoami", "staff"], "roles": ["user"],
    "scopes": ["access:servers!user=ada", "read:users!user=ada",
               "read:users:activity!user=ada", "read:users:groups!user=ada",
               "read:users:name!user=ada", "read:users:servers!user=ada",
               "read:tokens!user=ada", "access:services!service=whoami",
               "users:activity!user=ada", "servers!user=ada"],
    "server": "/user/ada/", "pending": None,
    "created": "2024-05-01T10:20:30.123456Z",
    "last_activity": "2024-06-11T08:09:10.654321Z",
    "session_id": "0b5e9f3c2a1d4e6f8a7b9c0d1e2f3a4b", "servers": {},
    "auth_state": None, "name\u00e9": "\U0001f600 \ud7ff",
}, separators=(",", ":")))


# --- Random documents --------------------------------------------------------

CHAR_POOLS = [
    (30, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-."),
    (6, "\"\\/<>&'`{}[]:,"),
    (3, "".join(map(chr, range(0x00, 0x20))) + "\x7f"),
    (4, "".join(map(chr, range(0x80, 0x100)))),
    (4, "\u0100\u0394\u05d0\u0627\u0e01\u1e9e\u2028\u2029\u20ac\u3042\u4e2d\uac00\ud7ff\ue000\uf8ff\ufeff\ufffd\ufffe\uffff"),
    (4, "\U00010000\U0001d11e\U0001f600\U0001f9ea\U00020000\U0010fffd\U0010ffff"),
    (3, "\ud800\udbff\udc00\udfff\ud83d\ude00"),  # as lone code points
]
POOL_WEIGHTS = [w for w, _ in CHAR_POOLS]

SHORT = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n",
         "\r": "\\r", "\t": "\\t"}


def random_text(max_len):
    out = []
    for _ in range(rng.randint(0, max_len)):
        _, pool = rng.choices(CHAR_POOLS, POOL_WEIGHTS)[0]
        out.append(rng.choice(pool))
    return "".join(out)


def u_escape(cp):
    s = "\\u%04x" % cp
    return s.upper().replace("\\U", "\\u") if rng.random() < 0.3 else s


def encode_string(s):
    """Quote s as JSON text, escaping each character at random (or when it
    must be), so that parsers see every way of spelling a character."""
    out = ['"']
    i = 0
    while i < len(s):
        c = s[i]
        cp = ord(c)
        must = c in '"\\' or cp < 0x20 or 0xD800 <= cp < 0xE000
        r = rng.random()
        if c in SHORT and r < 0.7:
            out.append(SHORT[c])
        elif c == "/" and r < 0.3:
            out.append("\\/")
        elif must or r < 0.25:
            if cp >= 0x10000:
                cp -= 0x10000
                out.append(u_escape(0xD800 + (cp >> 10)))
                out.append(u_escape(0xDC00 + (cp & 0x3FF)))
            else:
                out.append(u_escape(cp))
        else:
            out.append(c)
        i += 1
    out.append('"')
    # A lone high and a lone low surrogate side by side come back as one
    # pair; that is a fine test too, since Python decides the answer.
    return "".join(out)


def random_float_value():
    kind = rng.random()
    if kind < 0.4:
        while True:
            f = struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0]
            if math.isfinite(f):
                return f
    if kind < 0.7:
        return rng.uniform(-1e6, 1e6) * 10.0 ** rng.randint(-25, 25)
    return rng.choice([0.0, -0.0, 0.1, 0.5, 1.0, 1e16, 1e-5, 1e-4, 9.5,
                       123456789.125, 2.0 ** 53, 2.0 ** 63, 1e21, 1e-7,
                       5e-324, 1.7976931348623157e308, 1 / 3])


def halfway_text(f):
    """The exact decimal halfway between f and the next float up: a tie
    only correctly rounding parsers break the same way."""
    nxt = math.nextafter(f, math.inf)
    with decimal.localcontext(prec=2000):  # enough to be exact
        d = (decimal.Decimal(f) + decimal.Decimal(nxt)) / 2
    return format(d, "f") if abs(f) > 1e-30 else format(d, "e")


def float_text(f):
    style = rng.random()
    if style < 0.35:
        return repr(f)
    if style < 0.5:
        return "%.17g" % f
    if style < 0.65:
        return ("%." + str(rng.randint(0, 20)) + "e") % f
    if style < 0.75:
        return ("%." + str(rng.randint(0, 20)) + "E") % f
    if style < 0.85 and abs(f) < 1e20:
        return ("%." + str(rng.randint(1, 25)) + "f") % f
    if style < 0.9:
        # Long mantissas, as some serializers write.
        return "%.40e" % f
    return repr(f)


def random_number_text():
    r = rng.random()
    if r < 0.25:
        return str(rng.randint(-1000, 1000))
    if r < 0.4:
        return str(rng.randint(-(10 ** rng.randint(1, 60)), 10 ** rng.randint(1, 60)))
    if r < 0.45:
        return rng.choice(["-0", "0", str(2 ** 53 + 1), str(2 ** 64), str(-(2 ** 63) - 1)])
    if r < 0.5:
        f = abs(random_float_value())
        f = f if f < 1e300 else 1.5
        return halfway_text(f)
    return float_text(random_float_value())


def random_ws():
    if rng.random() < 0.6:
        return ""
    return "".join(rng.choice(" \t\n\r") for _ in range(rng.randint(1, 3)))


def random_key():
    r = rng.random()
    if r < 0.5:
        return rng.choice(["name", "kind", "admin", "groups", "a", "b", "A",
                           "", "_", "z", "\u00e9", "\ue000", "\U0001f600",
                           "\ud800", "\udc00", "\uffff", "a\u0000"])
    return random_text(8)


def random_value(depth):
    r = rng.random()
    if depth > 0 and r < 0.25:
        n = rng.randint(0, 6)
        return "[" + random_ws() + ("," + random_ws()).join(
            random_value(depth - 1) + random_ws() for _ in range(n)) + "]"
    if depth > 0 and r < 0.5:
        n = rng.randint(0, 6)
        keys = [random_key() for _ in range(n)]
        if keys and rng.random() < 0.3:
            keys.append(rng.choice(keys))  # a duplicate
        return "{" + random_ws() + ("," + random_ws()).join(
            encode_string(k) + random_ws() + ":" + random_ws()
            + random_value(depth - 1) + random_ws() for k in keys) + "}"
    if r < 0.7:
        return encode_string(random_text(12))
    if r < 0.9:
        return random_number_text()
    return rng.choice(["null", "true", "false", "NaN", "Infinity", "-Infinity"])


def random_document():
    return random_ws() + random_value(rng.randint(0, 5)) + random_ws()


DAMAGE = list(',:[]{}"\\ 0123456789-+.eEnulatrfsINy') + ["\x00", "\x1f", "\x7f", "\u00e9"]


def damage(text):
    """One or two random edits, mostly making the text invalid."""
    for _ in range(rng.randint(1, 2)):
        i = rng.randint(0, len(text))
        r = rng.random()
        if r < 0.4 and text:
            i = min(i, len(text) - 1)
            text = text[:i] + text[i + 1:]
        elif r < 0.8:
            text = text[:i] + rng.choice(DAMAGE) + text[i:]
        else:
            text = text[:i]
    return text


def main():
    inputs = list(HAND)
    documents = []
    while len(documents) < 300:
        doc = random_document()
        if len(doc) <= 600:
            documents.append(doc)
    inputs += documents
    inputs += [damage(rng.choice(documents)) for _ in range(150)]
    inputs += [damage(rng.choice(HAND[:60])) for _ in range(30)]

    vectors = []
    seen = set()
    for text in inputs:
        if text in seen:
            continue
        seen.add(text)
        assert not any(0xD800 <= ord(c) < 0xE000 for c in text), repr(text)
        vectors.append({"in": text, "out": python_format(text)})

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "vectors.json")
    with open(path, "w", encoding="ascii") as f:
        json.dump(vectors, f, ensure_ascii=True, indent=0)
        f.write("\n")
    rejected = sum(v["out"] is None for v in vectors)
    print(f"{path}: {len(vectors)} vectors, {rejected} rejected by Python",
          file=sys.stderr)


if __name__ == "__main__":
    main()
