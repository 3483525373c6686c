package yamlout

import (
	"sync"
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
	// Members and items are gathered on stacks while their object or
	// array is read, then copied to exactly sized slices carved from
	// chunks (one allocation per chunk, not one per growth of every
	// object's slice). The stacks and chunks are reused by the next
	// parse once the tree is dropped (parsers, below).
	members     []member
	items       []node
	memberChunk []member
	itemChunk   []node
}

// chunk is the size of an arena chunk, in members or items.
const chunk = 256

// parsers holds parsers whose stacks can be reused; a parser's tree (and
// so its chunks) must be dropped before it is put back, and the chunks
// are not reused (a new parse carves new ones), only the stacks.
var parsers = sync.Pool{New: func() any { return new(parser) }}

// parseJSON parses s; release the parser (p.release) once the tree is no
// longer used.
func parseJSON(s []byte) (node, *parser, bool) {
	p := parsers.Get().(*parser)
	p.s, p.i, p.depth, p.ok = s, 0, 0, true
	n := p.value()
	p.space()
	if p.i != len(p.s) {
		p.ok = false
	}
	return n, p, p.ok
}

// release returns p to the pool; nothing of its last tree may be used
// after.
func (p *parser) release() {
	p.s = nil
	clear(p.members[:cap(p.members)])
	clear(p.items[:cap(p.items)])
	p.members, p.items = p.members[:0], p.items[:0]
	p.memberChunk, p.itemChunk = nil, nil
	parsers.Put(p)
}

// keepMembers copies the stack's members from mark on to a slice of their
// own and pops them.
func (p *parser) keepMembers(mark int) []member { return keep(&p.members, &p.memberChunk, mark) }

// keepItems is keepMembers for an array's items.
func (p *parser) keepItems(mark int) []node { return keep(&p.items, &p.itemChunk, mark) }

// keep pops the stack's entries from mark on into an exactly sized slice
// carved from room (a fresh chunk when it has too little left).
func keep[T any](stack, room *[]T, mark int) []T {
	n := len(*stack) - mark
	if n > len(*room) {
		*room = make([]T, max(chunk, n))
	}
	out := (*room)[:n:n]
	*room = (*room)[n:]
	copy(out, (*stack)[mark:])
	clear((*stack)[mark:])
	*stack = (*stack)[:mark]
	return out
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
	mark := len(p.members)
	defer func() {
		if len(p.members) > mark { // a failed parse
			clear(p.members[mark:])
			p.members = p.members[:mark]
		}
	}()
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
		p.members = append(p.members, member{key: k, value: v})
		p.space()
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
			continue
		}
		if p.i < len(p.s) && p.s[p.i] == '}' {
			p.i++
			n.members = p.keepMembers(mark)
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
	mark := len(p.items)
	defer func() {
		if len(p.items) > mark { // a failed parse
			clear(p.items[mark:])
			p.items = p.items[:mark]
		}
	}()
	for p.ok {
		v := p.value()
		p.items = append(p.items, v)
		p.space()
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
			continue
		}
		if p.i < len(p.s) && p.s[p.i] == ']' {
			p.i++
			n.items = p.keepItems(mark)
			return n
		}
		p.ok = false
	}
	return node{}
}
