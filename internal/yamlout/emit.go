package yamlout

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// The emitter writes what yaml.v2's emitter writes for the events
// yaml.v2's encoder sends for a decoded JSON value: block mappings with
// keys in its natural order, block sequences (not indented under a mapping
// key), [] and {} for empty ones, scalars in the style its analysis picks,
// lines folded past column 80. Its state is the emitter's: the column (in
// characters), the indentation, and whether the last thing written was
// whitespace or indentation.

const (
	bestIndent = 2
	bestWidth  = 80
)

type emitter struct {
	b          []byte
	column     int
	indent     int
	whitespace bool
	indention  bool
	ok         bool
}

// context is where a node is: yaml.v2's root, sequence, mapping and simple
// key flags.
type context struct {
	root, sequence, mapping, simpleKey bool
}

func (e *emitter) put(c byte) {
	e.b = append(e.b, c)
	e.column++
}

func (e *emitter) putBreak() {
	e.b = append(e.b, '\n')
	e.column = 0
}

// writeChar copies one character of s at i and returns its width.
func (e *emitter) writeChar(s []byte, i int) int {
	w := charWidth(s[i])
	if w == 0 || i+w > len(s) {
		e.ok = false
		return 1
	}
	e.b = append(e.b, s[i:i+w]...)
	e.column++
	return w
}

func (e *emitter) writeAll(s string) {
	e.b = append(e.b, s...)
	e.column += utf8.RuneCountInString(s)
}

func (e *emitter) writeIndent() {
	indent := max(e.indent, 0)
	if !e.indention || e.column > indent || (e.column == indent && !e.whitespace) {
		e.putBreak()
	}
	for e.column < indent {
		e.put(' ')
	}
	e.whitespace = true
	e.indention = true
}

func (e *emitter) writeIndicator(ind string, needWhitespace, isWhitespace, isIndention bool) {
	if needWhitespace && !e.whitespace {
		e.put(' ')
	}
	e.writeAll(ind)
	e.whitespace = isWhitespace
	e.indention = e.indention && isIndention
}

// increaseIndent returns the indentation to restore.
func (e *emitter) increaseIndent(flow, indentless bool) int {
	saved := e.indent
	switch {
	case e.indent < 0 && flow:
		e.indent = bestIndent
	case e.indent < 0:
		e.indent = 0
	case !indentless:
		e.indent += bestIndent
	}
	return saved
}

// document writes a whole document: yaml.Marshal's bytes for the value.
func (e *emitter) document(n *node) {
	e.indent = -1
	e.whitespace, e.indention = true, true
	e.node(n, context{root: true})
	// Document end. (yaml.v2's encoder clears the emitter's open-ended
	// state before the stream end, so no "..." follows.)
	e.writeIndent()
}

func (e *emitter) node(n *node, ctx context) {
	if !e.ok {
		return
	}
	switch n.kind {
	case nObject:
		if len(n.members) == 0 {
			e.emptyFlow("{", "}")
			return
		}
		e.mapping(n, ctx)
	case nArray:
		if len(n.items) == 0 {
			e.emptyFlow("[", "]")
			return
		}
		e.sequence(n, ctx)
	case nString:
		e.stringScalar(n.text, ctx)
	case nNumber:
		e.number(n.text, ctx)
	case nTrue:
		e.plainScalar([]byte("true"), ctx)
	case nFalse:
		e.plainScalar([]byte("false"), ctx)
	default:
		e.plainScalar([]byte("null"), ctx)
	}
}

func (e *emitter) emptyFlow(open, close string) {
	e.writeIndicator(open, true, true, false)
	saved := e.increaseIndent(true, false)
	e.indent = saved
	e.writeIndicator(close, false, false, false)
}

func (e *emitter) mapping(n *node, ctx context) {
	saved := e.increaseIndent(false, false)
	for i := range n.members {
		m := &n.members[i]
		e.writeIndent()
		if len(m.key) > 128 || !simple(m.key) && hasBreak(m.key) {
			e.ok = false // a complex key ("? "): left to the reference
			return
		}
		e.stringScalar(m.key, context{mapping: true, simpleKey: true})
		e.writeIndicator(":", false, false, false)
		e.node(&m.value, context{mapping: true})
	}
	e.indent = saved
}

func (e *emitter) sequence(n *node, ctx context) {
	saved := e.increaseIndent(false, ctx.mapping && !e.indention)
	for i := range n.items {
		e.writeIndent()
		e.writeIndicator("-", true, false, true)
		e.node(&n.items[i], context{sequence: true})
	}
	e.indent = saved
}

// number writes a JSON number as kinject's JSON-to-YAML conversion types
// it (the type yaml.v2 would resolve the literal to): an int, an unsigned
// int, a float64, or, out of their ranges, the literal as a string.
func (e *emitter) number(lit []byte, ctx context) {
	var buf [32]byte
	s := string(lit)
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		e.plainScalar(strconv.AppendInt(buf[:0], i, 10), ctx)
		return
	}
	if u, err := strconv.ParseUint(s, 10, 64); err == nil {
		e.plainScalar(strconv.AppendUint(buf[:0], u, 10), ctx)
		return
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		out := strconv.AppendFloat(buf[:0], f, 'g', -1, 64)
		switch string(out) {
		case "+Inf":
			out = []byte(".inf")
		case "-Inf":
			out = []byte("-.inf")
		case "NaN":
			out = []byte(".nan")
		}
		e.plainScalar(out, ctx)
		return
	}
	e.stringScalar(lit, ctx)
}

type style uint8

const (
	plain style = iota
	singleQuoted
	doubleQuoted
	literal
)

// stringScalar writes a string in the style yaml.v2 picks: its encoder asks
// for literal when there is a line break, else plain when the text would
// read back as the same string, else double-quoted; its emitter then
// falls back (plain to single to double, literal to double) where its
// analysis of the text forbids the style.
func (e *emitter) stringScalar(s []byte, ctx context) {
	if simple(s) {
		// No space, break, quote or indicator: plain unless it reads as
		// something else, is a lone "-" (a sequence entry) or starts a
		// document marker.
		if readsAsString(s) && !(len(s) == 1 && s[0] == '-') &&
			!(len(s) >= 3 && (s[0] == '-' && s[1] == '-' && s[2] == '-' || s[0] == '.' && s[1] == '.' && s[2] == '.')) {
			saved := e.increaseIndent(true, false)
			if !e.whitespace {
				e.put(' ')
			}
			e.b = append(e.b, s...)
			e.column += len(s)
			e.whitespace, e.indention = false, false
			e.indent = saved
			return
		}
	}
	if !utf8.Valid(s) {
		e.ok = false // yaml.v2 writes !!binary base64: left to the reference
		return
	}
	st := doubleQuoted
	switch {
	case bytes.IndexByte(s, '\n') >= 0:
		st = literal
	case readsAsString(s):
		st = plain
	}
	a := analyze(s)
	if ctx.simpleKey && a.multiline {
		st = doubleQuoted
	}
	if st == plain && (!a.blockPlain || len(s) == 0 && ctx.simpleKey) {
		st = singleQuoted
	}
	if st == singleQuoted && !a.singleQuoted {
		st = doubleQuoted
	}
	if st == literal && (!a.block || ctx.simpleKey) {
		st = doubleQuoted
	}
	e.scalar(s, st, ctx)
}

// simpleChar marks the ASCII characters that decide nothing in yaml.v2's
// analysis of a scalar, wherever they are.
var simpleChar = func() (t [256]bool) {
	for c := 0x21; c < 0x7F; c++ {
		t[c] = true
	}
	for _, c := range "#:,[]{}&*!|>'\"%@`?" {
		t[c] = false
	}
	return t
}()

// simple reports whether s is made only of simple characters.
func simple(s []byte) bool {
	if len(s) == 0 {
		return false
	}
	for _, c := range s {
		if !simpleChar[c] {
			return false
		}
	}
	return true
}

// plainScalar writes a number, bool or null (always plain).
func (e *emitter) plainScalar(s []byte, ctx context) { e.scalar(s, plain, ctx) }

func (e *emitter) scalar(s []byte, st style, ctx context) {
	saved := e.increaseIndent(true, false)
	breaks := !ctx.simpleKey
	switch st {
	case plain:
		e.writePlain(s, breaks)
	case singleQuoted:
		e.writeSingleQuoted(s, breaks)
	case doubleQuoted:
		e.writeDoubleQuoted(s, breaks)
	case literal:
		e.writeLiteral(s)
	}
	e.indent = saved
}

// analysis is what yaml.v2's scalar analysis decides for a text.
type analysis struct {
	multiline, blockPlain, singleQuoted, block bool
}

func analyze(s []byte) analysis {
	if len(s) == 0 {
		return analysis{blockPlain: true, singleQuoted: true}
	}
	var (
		blockIndicators, lineBreaks, special                          bool
		leadingSpace, leadingBreak, trailingSpace, trailingBreak      bool
		breakSpace, spaceBreak, previousSpace, previousBreak, precWhs bool
	)
	if len(s) >= 3 && (s[0] == '-' && s[1] == '-' && s[2] == '-' || s[0] == '.' && s[1] == '.' && s[2] == '.') {
		blockIndicators = true
	}
	precWhs = true
	for i, w := 0, 0; i < len(s); i += w {
		w = charWidth(s[i])
		followedByWhs := i+w >= len(s) || s[i+w] == ' ' || s[i+w] == '\t'
		c := s[i]
		if i == 0 {
			switch c {
			case '#', ',', '[', ']', '{', '}', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`':
				blockIndicators = true
			case '?', ':', '-':
				if followedByWhs {
					blockIndicators = true
				}
			}
		} else {
			switch c {
			case ':':
				if followedByWhs {
					blockIndicators = true
				}
			case '#':
				if precWhs {
					blockIndicators = true
				}
			}
		}
		if !printable(s, i) {
			special = true
		}
		switch {
		case c == ' ':
			if i == 0 {
				leadingSpace = true
			}
			if i+w == len(s) {
				trailingSpace = true
			}
			if previousBreak {
				breakSpace = true
			}
			previousSpace, previousBreak = true, false
		case isBreak(s, i):
			lineBreaks = true
			if i == 0 {
				leadingBreak = true
			}
			if i+w == len(s) {
				trailingBreak = true
			}
			if previousSpace {
				spaceBreak = true
			}
			previousSpace, previousBreak = false, true
		default:
			previousSpace, previousBreak = false, false
		}
		precWhs = blankOrBreak(s, i)
	}
	a := analysis{multiline: lineBreaks, blockPlain: true, singleQuoted: true, block: true}
	if leadingSpace || leadingBreak || trailingSpace || trailingBreak {
		a.blockPlain = false
	}
	if trailingSpace {
		a.block = false
	}
	if breakSpace {
		a.blockPlain, a.singleQuoted = false, false
	}
	if spaceBreak || special {
		a.blockPlain, a.singleQuoted, a.block = false, false, false
	}
	if lineBreaks || blockIndicators {
		a.blockPlain = false
	}
	return a
}

func (e *emitter) writePlain(s []byte, allowBreaks bool) {
	if !e.whitespace {
		e.put(' ')
	}
	spaces, breaks := false, false
	for i := 0; i < len(s) && e.ok; {
		switch {
		case s[i] == ' ':
			if allowBreaks && !spaces && e.column > bestWidth && i+1 < len(s) && s[i+1] != ' ' {
				e.writeIndent()
				i++
			} else {
				i += e.writeChar(s, i)
			}
			spaces = true
		case isBreak(s, i):
			if !breaks && s[i] == '\n' {
				e.putBreak()
			}
			i += e.writeBreak(s, i)
			e.indention = true
			breaks = true
		default:
			if breaks {
				e.writeIndent()
			}
			i += e.writeChar(s, i)
			e.indention = false
			spaces, breaks = false, false
		}
	}
	e.whitespace = false
	e.indention = false
}

func (e *emitter) writeBreak(s []byte, i int) int {
	if s[i] == '\n' {
		e.putBreak()
		return 1
	}
	w := e.writeChar(s, i)
	e.column = 0
	return w
}

func (e *emitter) writeSingleQuoted(s []byte, allowBreaks bool) {
	e.writeIndicator("'", true, false, false)
	spaces, breaks := false, false
	for i := 0; i < len(s) && e.ok; {
		switch {
		case s[i] == ' ':
			if allowBreaks && !spaces && e.column > bestWidth && i > 0 && i < len(s)-1 && s[i+1] != ' ' {
				e.writeIndent()
				i++
			} else {
				i += e.writeChar(s, i)
			}
			spaces = true
		case isBreak(s, i):
			if !breaks && s[i] == '\n' {
				e.putBreak()
			}
			i += e.writeBreak(s, i)
			e.indention = true
			breaks = true
		default:
			if breaks {
				e.writeIndent()
			}
			if s[i] == '\'' {
				e.put('\'')
			}
			i += e.writeChar(s, i)
			e.indention = false
			spaces, breaks = false, false
		}
	}
	e.writeIndicator("'", false, false, false)
	e.whitespace = false
	e.indention = false
}

func (e *emitter) writeDoubleQuoted(s []byte, allowBreaks bool) {
	spaces := false
	e.writeIndicator(`"`, true, false, false)
	for i := 0; i < len(s) && e.ok; {
		c := s[i]
		switch {
		case !printable(s, i) || isBOM(s, i) || isBreak(s, i) || c == '"' || c == '\\':
			r, w := utf8.DecodeRune(s[i:])
			i += w
			e.put('\\')
			switch r {
			case 0x00:
				e.put('0')
			case 0x07:
				e.put('a')
			case 0x08:
				e.put('b')
			case 0x09:
				e.put('t')
			case 0x0A:
				e.put('n')
			case 0x0B:
				e.put('v')
			case 0x0C:
				e.put('f')
			case 0x0D:
				e.put('r')
			case 0x1B:
				e.put('e')
			case '"':
				e.put('"')
			case '\\':
				e.put('\\')
			case 0x85:
				e.put('N')
			case 0xA0:
				e.put('_')
			case 0x2028:
				e.put('L')
			case 0x2029:
				e.put('P')
			default:
				digits := 8
				switch {
				case r <= 0xFF:
					e.put('x')
					digits = 2
				case r <= 0xFFFF:
					e.put('u')
					digits = 4
				default:
					e.put('U')
				}
				for k := (digits - 1) * 4; k >= 0; k -= 4 {
					e.put("0123456789ABCDEF"[(r>>uint(k))&0x0F])
				}
			}
			spaces = false
		case c == ' ':
			if allowBreaks && !spaces && e.column > bestWidth && i > 0 && i < len(s)-1 {
				e.writeIndent()
				if s[i+1] == ' ' {
					e.put('\\')
				}
				i++
			} else {
				i += e.writeChar(s, i)
			}
			spaces = true
		default:
			i += e.writeChar(s, i)
			spaces = false
		}
	}
	e.writeIndicator(`"`, false, false, false)
	e.whitespace = false
	e.indention = false
}

func (e *emitter) writeLiteral(s []byte) {
	e.writeIndicator("|", true, false, false)
	// The block's hints: an indentation indicator when the text starts with
	// a space or a break, and chomping: "-" without a final break, "+" with
	// more than one.
	if len(s) > 0 && (s[0] == ' ' || isBreak(s, 0)) {
		e.writeIndicator(string(rune('0'+bestIndent)), false, false, false)
	}
	chomp := ""
	if len(s) == 0 {
		chomp = "-"
	} else {
		i := lastChar(s, len(s))
		switch {
		case !isBreak(s, i):
			chomp = "-"
		case i == 0:
			chomp = "+"
		default:
			if isBreak(s, lastChar(s, i)) {
				chomp = "+"
			}
		}
	}
	if chomp != "" {
		e.writeIndicator(chomp, false, false, false)
	}
	e.putBreak()
	e.indention, e.whitespace = true, true
	breaks := true
	for i := 0; i < len(s) && e.ok; {
		if isBreak(s, i) {
			i += e.writeBreak(s, i)
			e.indention = true
			breaks = true
			continue
		}
		if breaks {
			e.writeIndent()
		}
		i += e.writeChar(s, i)
		e.indention = false
		breaks = false
	}
}

// lastChar is the start of the character before byte end.
func lastChar(s []byte, end int) int {
	i := end - 1
	for i > 0 && s[i]&0xC0 == 0x80 {
		i--
	}
	return i
}

// charWidth is the length of the UTF-8 sequence starting with b (0 for a
// continuation byte).
func charWidth(b byte) int {
	switch {
	case b&0x80 == 0:
		return 1
	case b&0xE0 == 0xC0:
		return 2
	case b&0xF0 == 0xE0:
		return 3
	case b&0xF8 == 0xF0:
		return 4
	}
	return 0
}

func at(s []byte, i int) byte {
	if i < len(s) {
		return s[i]
	}
	return 0
}

// printable is yaml.v2's test of a character that needs no escape.
func printable(s []byte, i int) bool {
	c, c1, c2 := s[i], at(s, i+1), at(s, i+2)
	return c == 0x0A || c >= 0x20 && c <= 0x7E ||
		c == 0xC2 && c1 >= 0xA0 || c > 0xC2 && c < 0xED || c == 0xED && c1 < 0xA0 || c == 0xEE ||
		c == 0xEF && !(c1 == 0xBB && c2 == 0xBF) && !(c1 == 0xBF && (c2 == 0xBE || c2 == 0xBF))
}

func isBOM(s []byte, i int) bool {
	// yaml.v2 tests the start of the text, wherever the character is.
	return len(s) >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF
}

func isBreak(s []byte, i int) bool {
	c, c1, c2 := s[i], at(s, i+1), at(s, i+2)
	return c == '\r' || c == '\n' || c == 0xC2 && c1 == 0x85 || c == 0xE2 && c1 == 0x80 && (c2 == 0xA8 || c2 == 0xA9)
}

func hasBreak(s []byte) bool {
	for i := range s {
		if isBreak(s, i) {
			return true
		}
	}
	return false
}

func blankOrBreak(s []byte, i int) bool {
	return s[i] == ' ' || s[i] == '\t' || s[i] == 0 || isBreak(s, i)
}

// readsAsString reports whether s, written plain, reads back as the string
// s under yaml.v2's resolution (not a bool, null, number, timestamp, merge
// key or base-60 float).
func readsAsString(s []byte) bool {
	if len(s) == 0 {
		return false // null
	}
	switch c := s[0]; {
	case c == '+' || c == '-' || c >= '0' && c <= '9':
		return !resolvesNumberOrTime(string(s)) && !isBase60Float(s)
	case c == '.':
		if resolvedWords[string(s)] {
			return false
		}
		_, err := strconv.ParseFloat(string(s), 64)
		return err != nil
	case strings.IndexByte("yYnNtTfFoO~", c) >= 0:
		return !resolvedWords[string(s)]
	}
	return true
}

// resolvedWords are the plain words yaml.v2 reads as something else than a
// string.
var resolvedWords = map[string]bool{
	"y": true, "Y": true, "yes": true, "Yes": true, "YES": true,
	"true": true, "True": true, "TRUE": true, "on": true, "On": true, "ON": true,
	"n": true, "N": true, "no": true, "No": true, "NO": true,
	"false": true, "False": true, "FALSE": true, "off": true, "Off": true, "OFF": true,
	"~": true, "null": true, "Null": true, "NULL": true,
	".nan": true, ".NaN": true, ".NAN": true, ".inf": true, ".Inf": true, ".INF": true,
	"+.inf": true, "+.Inf": true, "+.INF": true, "-.inf": true, "-.Inf": true, "-.INF": true,
}

var timeLayout = []string{"2006-1-2T15:4:5.999999999Z07:00", "2006-1-2t15:4:5.999999999Z07:00", "2006-1-2 15:4:5.999999999", "2006-1-2"}

// numberChar marks what a number yaml.v2 resolves can be made of (any base
// Go reads, signs, exponents, underscores).
var numberChar = func() (t [256]bool) {
	for _, c := range "0123456789abcdefABCDEFxXoO_+-." {
		t[c] = true
	}
	return t
}()

// resolvesNumberOrTime is yaml.v2's resolution of a plain scalar starting
// with a sign or a digit: a word of resolvedWords, a timestamp, an integer
// (any base Go reads, underscores dropped), a float, or a binary integer.
func resolvesNumberOrTime(s string) bool {
	if resolvedWords[s] || isTimestamp(s) {
		return true
	}
	for i := 0; i < len(s); i++ {
		if !numberChar[s[i]] {
			return false // no number has this character (100m, 1Gi, 10s)
		}
	}
	p := strings.ReplaceAll(s, "_", "")
	if _, err := strconv.ParseInt(p, 0, 64); err == nil {
		return true
	}
	if _, err := strconv.ParseUint(p, 0, 64); err == nil {
		return true
	}
	if yamlFloat(p) {
		if _, err := strconv.ParseFloat(p, 64); err == nil {
			return true
		}
	}
	switch {
	case strings.HasPrefix(p, "0b"):
		if _, err := strconv.ParseInt(p[2:], 2, 64); err == nil {
			return true
		}
		if _, err := strconv.ParseUint(p[2:], 2, 64); err == nil {
			return true
		}
	case strings.HasPrefix(p, "-0b"):
		if _, err := strconv.ParseInt("-"+p[3:], 2, 64); err == nil {
			return true
		}
	}
	return false
}

func isTimestamp(s string) bool {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i != 4 || i == len(s) || s[i] != '-' {
		return false
	}
	for _, layout := range timeLayout {
		if _, err := time.Parse(layout, s); err == nil {
			return true
		}
	}
	return false
}

// yamlFloat is yaml.v2's float syntax: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
func yamlFloat(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	} else {
		if digits() == 0 {
			return false
		}
		if i < len(s) && s[i] == '.' {
			i++
			digits()
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '-' || s[i] == '+') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

// isBase60Float is yaml.v2's base-60 float syntax, which it quotes:
// [-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?
func isBase60Float(s []byte) bool {
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	if i >= len(s) || s[i] < '0' || s[i] > '9' {
		return false
	}
	for i++; i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '_'); i++ {
	}
	groups := 0
	for i < len(s) && s[i] == ':' {
		i++
		// [0-5]?[0-9]: one digit, or two with the first 0-5.
		switch {
		case i+1 < len(s) && s[i] >= '0' && s[i] <= '5' && s[i+1] >= '0' && s[i+1] <= '9':
			i += 2
		case i < len(s) && s[i] >= '0' && s[i] <= '9':
			i++
		default:
			return false
		}
		groups++
	}
	if groups == 0 {
		return false
	}
	if i < len(s) && s[i] == '.' {
		for i++; i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '_'); i++ {
		}
	}
	return i == len(s)
}

// keyLess is yaml.v2's order of string map keys: by character, except that
// a letter sorts after any other character and runs of digits compare as
// numbers (first by value, then by length). It is not transitive on every
// set of keys (a2 < a12 < a1A1 < a2); yaml.v2's output then depends on map
// iteration order, where this package's follows the JSON's.
func keyLess(a, b []byte) bool {
	i, j := 0, 0 // byte offsets of the current characters
	for i < len(a) && j < len(b) {
		ra, wa := decodeRune(a, i)
		rb, wb := decodeRune(b, j)
		if ra == rb {
			i, j = i+wa, j+wb
			continue
		}
		al, bl := isLetter(ra), isLetter(rb)
		if al && bl {
			return ra < rb
		}
		if al || bl {
			return bl
		}
		var an, bn int64
		if ra == '0' || rb == '0' {
			// A zero inside a number is a digit of that number.
			for k := i; k > 0; {
				r, w := utf8.DecodeLastRune(a[:k])
				if !isDigit(r) {
					break
				}
				if r != '0' {
					an, bn = 1, 1
					break
				}
				k -= w
			}
		}
		ai, bi := 0, 0 // digits in each run
		for k := i; k < len(a); {
			r, w := decodeRune(a, k)
			if !isDigit(r) {
				break
			}
			an = an*10 + int64(r-'0')
			ai++
			k += w
		}
		for k := j; k < len(b); {
			r, w := decodeRune(b, k)
			if !isDigit(r) {
				break
			}
			bn = bn*10 + int64(r-'0')
			bi++
			k += w
		}
		if an != bn {
			return an < bn
		}
		if ai != bi {
			return ai < bi
		}
		return ra < rb
	}
	return i == len(a) && j < len(b) // a is a prefix of b
}

func decodeRune(s []byte, i int) (rune, int) {
	if c := s[i]; c < utf8.RuneSelf {
		return rune(c), 1
	}
	return utf8.DecodeRune(s[i:])
}

func isLetter(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
	}
	return unicode.IsLetter(r)
}

func isDigit(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= '0' && r <= '9'
	}
	return unicode.IsDigit(r)
}

// sortMembers puts every object's members in yaml.v2's key order; ok is
// false for a duplicate key (encoding/json would keep the last one).
func sortMembers(n *node) bool {
	switch n.kind {
	case nObject:
		slices.SortFunc(n.members, func(x, y member) int {
			switch {
			case keyLess(x.key, y.key):
				return -1
			case keyLess(y.key, x.key):
				return 1
			}
			return 0
		})
		for i := range n.members {
			if i > 0 && bytes.Equal(n.members[i-1].key, n.members[i].key) {
				return false
			}
			if !sortMembers(&n.members[i].value) {
				return false
			}
		}
	case nArray:
		for i := range n.items {
			if !sortMembers(&n.items[i]) {
				return false
			}
		}
	}
	return true
}
