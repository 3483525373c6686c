package yamlout

import (
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// node is a JSON value. Strings and numbers keep their text: a string's is
// its decoded value, a number's the JSON literal.
type node struct {
	kind    nodeKind
	text    []byte   // string (decoded), number (literal)
	members []member // object, in YAML key order once sorted
	items   []node   // array
}

type member struct {
	key   []byte // decoded
	value node
}

type nodeKind uint8

const (
	nNull nodeKind = iota
	nFalse
	nTrue
	nNumber
	nString
	nObject
	nArray
)

// maxDepth bounds nesting, as encoding/json does (10000); deeper input
// declines.
const maxDepth = 10000

// parser reads JSON text strictly; ok turns false on anything encoding/json
// would refuse, or that this package leaves to the reference (duplicate
// keys, which encoding/json resolves by keeping the last).
type parser struct {
	s     []byte
	i     int
	depth int
	ok    bool
}

func parseJSON(s []byte) (node, bool) {
	p := &parser{s: s, ok: true}
	n := p.value()
	p.space()
	if p.i != len(p.s) {
		p.ok = false
	}
	return n, p.ok
}

func (p *parser) space() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *parser) value() node {
	p.space()
	if !p.ok || p.i >= len(p.s) {
		p.ok = false
		return node{}
	}
	switch c := p.s[p.i]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		s, ok := p.str()
		p.ok = p.ok && ok
		return node{kind: nString, text: s}
	case c == 't':
		return p.literal("true", nTrue)
	case c == 'f':
		return p.literal("false", nFalse)
	case c == 'n':
		return p.literal("null", nNull)
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	}
	p.ok = false
	return node{}
}

func (p *parser) literal(word string, k nodeKind) node {
	if len(p.s)-p.i < len(word) || string(p.s[p.i:p.i+len(word)]) != word {
		p.ok = false
		return node{}
	}
	p.i += len(word)
	return node{kind: k}
}

func (p *parser) number() node {
	start := p.i
	if p.s[p.i] == '-' {
		p.i++
	}
	digits := func() int {
		n := 0
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	if p.i < len(p.s) && p.s[p.i] == '0' {
		p.i++
	} else if digits() == 0 {
		p.ok = false
		return node{}
	}
	if p.i < len(p.s) && p.s[p.i] == '.' {
		p.i++
		if digits() == 0 {
			p.ok = false
			return node{}
		}
	}
	if p.i < len(p.s) && (p.s[p.i] == 'e' || p.s[p.i] == 'E') {
		p.i++
		if p.i < len(p.s) && (p.s[p.i] == '+' || p.s[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			p.ok = false
			return node{}
		}
	}
	return node{kind: nNumber, text: p.s[start:p.i]}
}

// str reads a string, decoded as encoding/json decodes it (an invalid
// escape fails; an unpaired surrogate or invalid UTF-8 becomes U+FFFD). A
// string without escapes or invalid bytes is a slice of the input.
func (p *parser) str() ([]byte, bool) {
	p.i++ // the quote
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			s := p.s[start:p.i]
			p.i++
			return s, true
		case c == '\\' || c >= utf8.RuneSelf:
			return p.slowStr(start)
		case c < 0x20:
			return nil, false
		}
		p.i++
	}
	return nil, false
}

func (p *parser) slowStr(start int) ([]byte, bool) {
	out := append([]byte(nil), p.s[start:p.i]...)
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return out, true
		case c < 0x20:
			return nil, false
		case c == '\\':
			if p.i+1 >= len(p.s) {
				return nil, false
			}
			e := p.s[p.i+1]
			p.i += 2
			switch e {
			case '"', '\\', '/':
				out = append(out, e)
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				r, ok := p.hex4()
				if !ok {
					return nil, false
				}
				if utf16.IsSurrogate(r) {
					r2 := rune(-1)
					if p.i+1 < len(p.s) && p.s[p.i] == '\\' && p.s[p.i+1] == 'u' {
						save := p.i
						p.i += 2
						if r2, ok = p.hex4(); !ok {
							return nil, false
						}
						if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
							out = utf8.AppendRune(out, d)
							continue
						}
						p.i = save // the second escape is read on its own
					}
					r = utf8.RuneError
				}
				out = utf8.AppendRune(out, r)
			default:
				return nil, false
			}
		case c < utf8.RuneSelf:
			out = append(out, c)
			p.i++
		default:
			r, size := utf8.DecodeRune(p.s[p.i:])
			if r == utf8.RuneError && size == 1 {
				out = utf8.AppendRune(out, utf8.RuneError)
			} else {
				out = append(out, p.s[p.i:p.i+size]...)
			}
			p.i += size
		}
	}
	return nil, false
}

func (p *parser) hex4() (rune, bool) {
	if p.i+4 > len(p.s) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(p.s[p.i:p.i+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	for _, c := range p.s[p.i : p.i+4] {
		if c == '+' || c == '-' || c == '_' {
			return 0, false
		}
	}
	p.i += 4
	return rune(v), true
}

func (p *parser) object() node {
	p.i++
	if p.depth++; p.depth > maxDepth {
		p.ok = false
		return node{}
	}
	defer func() { p.depth-- }()
	n := node{kind: nObject}
	p.space()
	if p.i < len(p.s) && p.s[p.i] == '}' {
		p.i++
		return n
	}
	for p.ok {
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != '"' {
			p.ok = false
			break
		}
		k, ok := p.str()
		if !ok {
			p.ok = false
			break
		}
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			p.ok = false
			break
		}
		p.i++
		v := p.value()
		n.members = append(n.members, member{key: k, value: v})
		p.space()
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
			continue
		}
		if p.i < len(p.s) && p.s[p.i] == '}' {
			p.i++
			return n
		}
		p.ok = false
	}
	return node{}
}

func (p *parser) array() node {
	p.i++
	if p.depth++; p.depth > maxDepth {
		p.ok = false
		return node{}
	}
	defer func() { p.depth-- }()
	n := node{kind: nArray}
	p.space()
	if p.i < len(p.s) && p.s[p.i] == ']' {
		p.i++
		return n
	}
	for p.ok {
		n.items = append(n.items, p.value())
		p.space()
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
			continue
		}
		if p.i < len(p.s) && p.s[p.i] == ']' {
			p.i++
			return n
		}
		p.ok = false
	}
	return node{}
}
