package yamlout

import (
	"unicode/utf8"

	"github.com/kinject/kinject/internal/codec"
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

// slowStr reads the rest of a string that holds an escape or non-ASCII
// text: its end is the first quote no backslash escapes, and its text is
// what encoding/json decodes (codec.AppendUnquote).
func (p *parser) slowStr(start int) ([]byte, bool) {
	i := p.i
	for i < len(p.s) && p.s[i] != '"' {
		if p.s[i] == '\\' {
			i++
		}
		i++
	}
	if i >= len(p.s) {
		return nil, false
	}
	out, ok := codec.AppendUnquote(nil, p.s[start:i])
	p.i = i + 1
	return out, ok
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
