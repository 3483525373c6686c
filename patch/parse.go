package patch

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"unicode/utf8"

	"github.com/kinject/kinject/internal/codec"
)

// ErrInvalidJSON reports a document that is not valid JSON, or that kinject
// refuses: an object with a duplicate key, a string with invalid UTF-8, or
// nesting deeper than 10,000 levels. The error that wraps it names the
// document and the line, column and byte offset.
var ErrInvalidJSON = errors.New("invalid JSON")

// maxDepth bounds nesting so that hostile input cannot exhaust the stack; it
// is the limit encoding/json uses.
const maxDepth = 10000

type kind uint8

const (
	kNull kind = iota
	kFalse
	kTrue
	kNumber
	kString
	kArray
	kObject
)

// node is one JSON value of a parsed document. Nodes are stored in document
// order in one slice (a "tape"): the children of an array or object follow
// it, and next is the index just past its whole subtree, so a subtree is
// skipped in O(1).
type node struct {
	start, end int32 // raw bytes of the value: src[start:end]
	next       int32 // index of the node after this subtree
	count      int32 // number of children (arrays and objects)
	kOff, kLen int32 // decoded member key: src or document.kbuf
	kind       kind
	esc        bool // string value contains escapes
	kBuf       bool // key is in document.kbuf (it contained escapes)
}

// document is a parsed JSON text. It is read-only after parse.
type document struct {
	name    string
	src     []byte
	nodes   []node
	kbuf    []byte
	compact bool // no whitespace outside strings: raw spans are compact JSON
}

// key returns the decoded member key of node i.
func (d *document) key(i int32) []byte {
	n := &d.nodes[i]
	if n.kBuf {
		return d.kbuf[n.kOff : n.kOff+n.kLen]
	}
	return d.src[n.kOff : n.kOff+n.kLen]
}

// raw returns the raw bytes of node i.
func (d *document) raw(i int32) []byte {
	n := &d.nodes[i]
	return d.src[n.start:n.end]
}

type parser struct {
	doc     *document
	src     []byte
	pos     int
	depth   int
	scratch []int32
	check   bool // only validate: no tape, no duplicate-key check, doc is nil
	name    string
	ws      bool // whitespace seen outside strings
}

// parse parses src as one JSON value. name ("original", "modified", ...)
// is used in errors.
func parse(name string, src []byte) (*document, error) {
	d := &document{}
	p := &parser{}
	if err := parseInto(d, p, name, src); err != nil {
		return nil, err
	}
	return d, nil
}

// parseInto is parse into d with p, reusing their slices (a differ that
// parses many small documents keeps one of each).
func parseInto(d *document, p *parser, name string, src []byte) error {
	if len(src) >= 1<<31-1 {
		return fmt.Errorf("patch: %s document: %w: %d bytes is too large", name, ErrInvalidJSON, len(src))
	}
	*d = document{name: name, src: src, compact: true, nodes: d.nodes[:0], kbuf: d.kbuf[:0]}
	if cap(d.nodes) == 0 {
		d.nodes = make([]node, 0, len(src)/16+8)
	}
	*p = parser{doc: d, name: name, src: src, scratch: p.scratch[:0]}
	if cap(p.scratch) == 0 {
		p.scratch = make([]int32, 0, 32)
	}
	p.skipWS()
	if p.pos >= len(src) {
		return p.errorf("empty document")
	}
	if err := p.value(-1, 0, false); err != nil {
		return err
	}
	p.skipWS()
	if p.pos < len(src) {
		return p.errorf("unexpected %s after top-level value", quoteByte(src[p.pos]))
	}
	d.compact = !p.ws
	return nil
}

// valid reports whether b is one JSON value with valid UTF-8 strings, like
// json.Valid but without allocating. Duplicate keys are not checked.
func valid(b []byte) bool {
	if len(b) >= 1<<31-1 {
		return false
	}
	p := parser{src: b, check: true}
	p.skipWS()
	if p.value(-1, 0, false) != nil {
		return false
	}
	p.skipWS()
	return p.pos == len(b)
}

func (p *parser) errorf(format string, args ...any) error {
	line, col := 1, 1
	end := min(p.pos, len(p.src))
	for _, c := range p.src[:end] {
		if c == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return fmt.Errorf("patch: %s document: %w at line %d, column %d (offset %d): %s",
		p.name, ErrInvalidJSON, line, col, p.pos, fmt.Sprintf(format, args...))
}

func quoteByte(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return fmt.Sprintf("character %q", rune(c))
	}
	return fmt.Sprintf("byte 0x%02x", c)
}

func (p *parser) skipWS() {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
			p.ws = true
		default:
			return
		}
	}
}

// value parses one value at p.pos (whitespace already skipped) and appends
// its subtree to the tape. kOff/kLen/kBuf is the member key, if any.
func (p *parser) value(kOff, kLen int32, kBuf bool) error {
	if p.pos >= len(p.src) {
		return p.errorf("unexpected end of input")
	}
	idx := 0
	if !p.check {
		idx = len(p.doc.nodes)
		p.doc.nodes = append(p.doc.nodes, node{start: int32(p.pos), kOff: kOff, kLen: kLen, kBuf: kBuf})
	}
	c := p.src[p.pos]
	var k kind
	var esc bool
	var err error
	switch {
	case c == '{':
		k = kObject
		err = p.object(idx)
	case c == '[':
		k = kArray
		err = p.array(idx)
	case c == '"':
		k = kString
		_, esc, err = p.str()
	case c == 't':
		k = kTrue
		err = p.literal("true")
	case c == 'f':
		k = kFalse
		err = p.literal("false")
	case c == 'n':
		k = kNull
		err = p.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		k = kNumber
		err = p.number()
	default:
		return p.errorf("unexpected %s looking for a value", quoteByte(c))
	}
	if err != nil || p.check {
		return err
	}
	n := &p.doc.nodes[idx]
	n.kind = k
	n.esc = esc
	n.end = int32(p.pos)
	n.next = int32(len(p.doc.nodes))
	return nil
}

func (p *parser) literal(word string) error {
	if !bytes.HasPrefix(p.src[p.pos:], []byte(word)) {
		return p.errorf("invalid literal, expected %q", word)
	}
	p.pos += len(word)
	return nil
}

func (p *parser) number() error {
	s := p.src
	i := p.pos
	if s[i] == '-' {
		i++
	}
	digits := func() int {
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i - j
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		digits()
	default:
		p.pos = i
		return p.errorf("invalid number: expected a digit")
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			p.pos = i
			return p.errorf("invalid number: expected a digit after the decimal point")
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			p.pos = i
			return p.errorf("invalid number: expected a digit in the exponent")
		}
	}
	p.pos = i
	return nil
}

// plain marks the bytes that can appear in a string without ending it or
// needing a check: printable ASCII other than '"' and '\\'.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// str scans a string at p.pos. It returns the span of its contents (without
// the quotes) and whether it contains escapes.
func (p *parser) str() (int, bool, error) {
	s := p.src
	i := p.pos + 1
	start := i
	esc := false
	for {
		for i < len(s) && plain[s[i]] {
			i++
		}
		if i >= len(s) {
			p.pos = i
			return 0, false, p.errorf("unterminated string")
		}
		c := s[i]
		switch {
		case c == '"':
			p.pos = i + 1
			return start, esc, nil
		case c == '\\':
			esc = true
			if i+1 >= len(s) {
				p.pos = i
				return 0, false, p.errorf("unterminated string")
			}
			switch s[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(s) || !isHex4(s[i+2:i+6]) {
					p.pos = i
					return 0, false, p.errorf(`invalid \u escape in string`)
				}
				i += 6
			default:
				p.pos = i
				return 0, false, p.errorf("invalid escape %q in string", s[i:i+2])
			}
		case c < 0x20:
			p.pos = i
			return 0, false, p.errorf("control character 0x%02x in string", c)
		default:
			r, size := utf8.DecodeRune(s[i:])
			if r == utf8.RuneError && size <= 1 {
				p.pos = i
				return 0, false, p.errorf("invalid UTF-8 in string")
			}
			i += size
		}
	}
}

func isHex4(b []byte) bool {
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxDepth {
		return p.errorf("nesting deeper than %d levels", maxDepth)
	}
	return nil
}

func (p *parser) array(idx int) error {
	if err := p.enter(); err != nil {
		return err
	}
	p.pos++ // [
	p.skipWS()
	var count int32
	if p.pos < len(p.src) && p.src[p.pos] == ']' {
		p.pos++
		p.depth--
		return nil
	}
	for {
		p.skipWS()
		if err := p.value(-1, 0, false); err != nil {
			return err
		}
		count++
		p.skipWS()
		if p.pos >= len(p.src) {
			return p.errorf("unexpected end of input in array")
		}
		switch p.src[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			p.depth--
			if !p.check {
				p.doc.nodes[idx].count = count
			}
			return nil
		default:
			return p.errorf("unexpected %s after array element, expected ',' or ']'", quoteByte(p.src[p.pos]))
		}
	}
}

func (p *parser) object(idx int) error {
	if err := p.enter(); err != nil {
		return err
	}
	p.pos++ // {
	p.skipWS()
	if p.pos < len(p.src) && p.src[p.pos] == '}' {
		p.pos++
		p.depth--
		return nil
	}
	var count int32
	for {
		p.skipWS()
		if p.pos >= len(p.src) {
			return p.errorf("unexpected end of input in object")
		}
		if p.src[p.pos] != '"' {
			return p.errorf("unexpected %s looking for an object key", quoteByte(p.src[p.pos]))
		}
		start, esc, err := p.str()
		if err != nil {
			return err
		}
		end := p.pos - 1
		kOff, kLen, kBuf := int32(start), int32(end-start), false
		if esc && !p.check {
			kOff = int32(len(p.doc.kbuf))
			p.doc.kbuf = appendUnquoted(p.doc.kbuf, p.src[start:end])
			kLen = int32(len(p.doc.kbuf)) - kOff
			kBuf = true
		}
		p.skipWS()
		if p.pos >= len(p.src) || p.src[p.pos] != ':' {
			if p.pos >= len(p.src) {
				return p.errorf("unexpected end of input after object key")
			}
			return p.errorf("unexpected %s after object key, expected ':'", quoteByte(p.src[p.pos]))
		}
		p.pos++
		p.skipWS()
		if err := p.value(kOff, kLen, kBuf); err != nil {
			return err
		}
		count++
		p.skipWS()
		if p.pos >= len(p.src) {
			return p.errorf("unexpected end of input in object")
		}
		switch p.src[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			p.depth--
			if p.check {
				return nil
			}
			p.doc.nodes[idx].count = count
			p.doc.nodes[idx].next = int32(len(p.doc.nodes))
			if count > 1 {
				if dup := p.duplicate(int32(idx)); dup >= 0 {
					p.pos = int(p.doc.nodes[dup].start)
					return p.errorf("duplicate key %q in object", p.doc.key(dup))
				}
			}
			return nil
		default:
			return p.errorf("unexpected %s after object member, expected ',' or '}'", quoteByte(p.src[p.pos]))
		}
	}
}

// duplicate returns a member of object idx whose key repeats an earlier one,
// or -1.
func (p *parser) duplicate(idx int32) int32 {
	d := p.doc
	n := d.nodes[idx]
	if n.count <= 16 {
		var keys [16][]byte
		k := 0
		for i := idx + 1; i < n.next; i = d.nodes[i].next {
			key := d.key(i)
			for j := range k {
				if len(keys[j]) == len(key) && bytes.Equal(keys[j], key) {
					return i
				}
			}
			keys[k] = key
			k++
		}
		return -1
	}
	m := p.scratch[:0]
	for i := idx + 1; i < n.next; i = d.nodes[i].next {
		m = append(m, i)
	}
	slices.SortStableFunc(m, func(x, y int32) int { return bytes.Compare(d.key(x), d.key(y)) })
	p.scratch = m
	for i := 1; i < len(m); i++ {
		if bytes.Equal(d.key(m[i-1]), d.key(m[i])) {
			return max(m[i-1], m[i])
		}
	}
	return -1
}

// appendUnquoted appends the text of a JSON string body (without quotes)
// the parser has checked, as encoding/json decodes it (codec.AppendUnquote:
// lone surrogates and bytes that are not UTF-8 become U+FFFD).
func appendUnquoted(dst, s []byte) []byte {
	out, _ := codec.AppendUnquote(dst, s)
	return out
}
