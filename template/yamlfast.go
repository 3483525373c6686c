package template

import (
	"encoding/json"
	"hash/maphash"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/kinject/kinject/internal/cache"
	"github.com/kinject/kinject/internal/codec"
	"sigs.k8s.io/yaml"
)

// slowYAML is fastYAML's reference: sigs.k8s.io/yaml.YAMLToJSONStrict,
// then json.Unmarshal into an any.
func slowYAML(doc []byte) (any, error) {
	js, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return nil, err
	}
	var v any
	if err := json.Unmarshal(js, &v); err != nil {
		return nil, err
	}
	return v, nil
}

// line is one line of the document: its indentation and the rest.
type line struct {
	indent int
	text   string // after the indentation, trailing spaces kept
	start  int    // offset of the line in the document
}

type fastParser struct {
	doc    string
	lines  []line
	i      int  // current line
	failed bool // fastYAML declines: every step returns at once
	memo   *sectionMemo
	shared bool // the result holds values from memo
	// used are the memo's entries the result holds (see sectionFacts).
	used []*sectionFacts
	// bySection: the top-level sections are yet to be checked with
	// plainText, each before it is parsed (fastYAMLSections).
	bySection bool
}

// fastYAML turns a rendered template into the JSON-compatible tree
// (map[string]any, []any, string, float64, bool, nil) that
// sigs.k8s.io/yaml.YAMLToJSONStrict followed by json.Unmarshal produces,
// which is what Istio merges. Templates render a small, regular part of
// YAML (block mappings and sequences, quoted and plain scalars, literal
// block scalars, flow mappings and lists), which it parses directly,
// about ten times faster. Anything outside that part (anchors, tags,
// folded scalars, multi-line plain scalars, non-ASCII text, odd indentation,
// numbers other than plain decimal integers, duplicate keys, errors) makes
// it give up (ok false), and the caller takes slowYAML, so results and
// error messages are the same either way. Equivalence is tested on every
// corpus template output and fuzzed.
func fastYAML(doc []byte) (v any, ok bool) {
	v, _, ok = fastYAMLMemo(doc, nil)
	return v, ok
}

func fastYAMLMemo(doc []byte, memo *sectionMemo) (v any, shared, ok bool) {
	v, shared, _, ok = fastYAMLSections(doc, memo)
	return v, shared, ok
}

// fastYAMLSections is fastYAMLMemo that also returns the facts of the
// remembered entries the tree holds, one per entry, in no order.
func fastYAMLSections(doc []byte, memo *sectionMemo) (v any, shared bool, used []*sectionFacts, ok bool) {
	if !codec.Fast {
		return nil, false, nil, false
	}
	p := &fastParser{doc: string(doc), memo: memo}
	if memo == nil && !plainText(p.doc) {
		return nil, false, nil, false
	}
	if memo != nil {
		lp, _ := memo.lines.Get().(*[]line)
		if lp == nil {
			lp = new([]line)
		}
		p.lines = (*lp)[:0]
		defer func() {
			clear(p.lines) // the document's strings are not kept alive
			*lp = p.lines[:0]
			memo.lines.Put(lp)
		}()
	}
	p.split()
	p.skipBlank()
	if memo != nil {
		// A top-level mapping is read by sections, each checked before it
		// is parsed and a remembered one not at all (its text was);
		// anything else is checked whole, as without a memo.
		if l := p.lines[min(p.i, len(p.lines)-1)]; p.i < len(p.lines) && l.indent == 0 && !isSeqItem(l.text) {
			if !plainText(p.doc[:l.start]) {
				return nil, false, nil, false
			}
			p.bySection = true
		} else if !plainText(p.doc) {
			return nil, false, nil, false
		}
	}
	if p.i >= len(p.lines) {
		return nil, false, nil, true
	}
	v = p.block(p.lines[p.i].indent, -1)
	p.skipBlank()
	if p.failed || p.i < len(p.lines) {
		return nil, false, nil, false
	}
	return v, p.shared, p.used, true
}

// A section is one entry of a document's top-level mapping: its key line
// (at indentation 0) and every line up to the next line at indentation 0
// that is neither blank, a comment nor a sequence item (or the end). What
// follows a section is then such a line or the end of the document, and
// the parser reads from such a line only what every such line has
// (indentation 0, not blank, no sequence item). So a section that parses
// to the same single entry followed by such a line and at the end of a
// document parses to it wherever it appears, and sectionMemo remembers it
// by its text, checked both ways before it is kept: the parts of a
// rendered template that depend on the configuration only (most of
// Istio's sidecar) are parsed once per Set, and each pod parses only the
// sections its own fields change. A section is remembered the second time
// it is seen (seen holds hashes of the others), so per-pod sections cost
// a hash, not a second parse. Values are shared between parses: callers
// leave them unmodified.
type sectionMemo struct {
	c    *cache.Cache[string, sectionEntry]
	seen *cache.Cache[uint64, struct{}]
	seed maphash.Seed
	// lines holds *[]line, the parsers' line tables, reused: nothing
	// keeps one after its parse (the strings in it are the document's).
	lines sync.Pool
}

type sectionEntry struct {
	key   string
	value any
	facts *sectionFacts // what Apply derives from the entry, once
}

// sectionMemoBytes bounds each Set's memo: room for the sections of a few
// templates (Istio's sidecar output is about 6 KB, its spec entry with its
// facts about 80 KB) and the per-pod ones that come and go.
const sectionMemoBytes = 2 << 20

func newSectionMemo() *sectionMemo {
	return &sectionMemo{
		c:    cache.New[string, sectionEntry](sectionMemoBytes),
		seen: cache.New[uint64, struct{}](sectionMemoBytes / 16),
		seed: maphash.MakeSeed(),
	}
}

// sectionEnd is the index of the line that ends the section starting at
// line i.
func (p *fastParser) sectionEnd(i int) int {
	for j := i + 1; j < len(p.lines); j++ {
		if l := p.lines[j]; l.indent == 0 && !blank(l) && !isSeqItem(l.text) {
			return j
		}
	}
	return len(p.lines)
}

// sectionText is the text of lines [i, end).
func (p *fastParser) sectionText(i, end int) string {
	stop := len(p.doc)
	if end < len(p.lines) {
		stop = p.lines[end].start
	}
	return p.doc[p.lines[i].start:stop]
}

// plainText reports whether doc holds only what fastYAML handles: printable
// characters yaml.v2 accepts, no tabs, no CR, and none of the Unicode line
// breaks YAML 1.1 knows (NEL, LS, PS) or a byte order mark.
func plainText(doc string) bool {
	for i := 0; i < len(doc); {
		c := doc[i]
		if c < 0x80 {
			if c == '\t' || c == '\r' || (c < 0x20 && c != '\n') || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(doc[i:])
		if r == utf8.RuneError || r < 0xA0 || r == 0x2028 || r == 0x2029 || r == 0xFEFF ||
			(r > 0xD7FF && r < 0xE000) || r == 0xFFFE || r == 0xFFFF {
			return false
		}
		i += n
	}
	return true
}

// fail makes fastYAML decline (the sigs.k8s.io/yaml path then decides);
// the caller returns at once, and so does each caller up the parse, which
// checks p.failed after every step that can fail.
func (p *fastParser) fail() { p.failed = true }

func (p *fastParser) split() {
	s := p.doc
	if n := strings.Count(s, "\n") + 1; cap(p.lines) < n {
		p.lines = make([]line, 0, n)
	}
	off := 0
	for off <= len(s) {
		end := strings.IndexByte(s[off:], '\n')
		var raw string
		if end < 0 {
			raw = s[off:]
		} else {
			raw = s[off : off+end]
		}
		n := 0
		for n < len(raw) && raw[n] == ' ' {
			n++
		}
		p.lines = append(p.lines, line{indent: n, text: raw[n:], start: off})
		if end < 0 {
			break
		}
		off += end + 1
	}
}

// blank reports whether a line carries nothing for the block structure.
func blank(l line) bool {
	t := strings.TrimRight(l.text, " ")
	return t == "" || t[0] == '#'
}

func (p *fastParser) skipBlank() {
	for p.i < len(p.lines) && blank(p.lines[p.i]) {
		p.i++
	}
}

// block parses the mapping or sequence whose entries sit at indent; parent
// is the indentation of the owner (-1 at the top).
func (p *fastParser) block(indent, parent int) any {
	if indent <= parent {
		p.fail()
		return nil
	}
	if isSeqItem(p.lines[p.i].text) {
		return p.sequence(indent)
	}
	return p.mapping(indent)
}

func isSeqItem(t string) bool {
	return t == "-" || strings.HasPrefix(t, "- ") || strings.TrimRight(t, " ") == "-"
}

func (p *fastParser) mapping(indent int) map[string]any {
	m := map[string]any{}
	for {
		p.skipBlank()
		if p.i >= len(p.lines) {
			return m
		}
		l := p.lines[p.i]
		if l.indent < indent {
			return m
		}
		if l.indent > indent || isSeqItem(l.text) {
			p.fail()
			return nil
		}
		var text string
		end := -1
		if indent == 0 && p.memo != nil {
			// The top-level mapping (nothing else sits at 0): by section.
			end = p.sectionEnd(p.i)
			text = p.sectionText(p.i, end)
			if e, ok := p.memo.c.Get(text); ok {
				if _, dup := m[e.key]; dup {
					p.fail()
					return nil
				}
				m[e.key] = e.value
				p.i, p.shared = end, true
				p.used = append(p.used, e.facts)
				continue
			}
		}
		if end >= 0 && p.bySection && !plainText(text) {
			p.fail()
			return nil
		}
		key, rest := p.key(l.text)
		if _, dup := m[key]; dup || p.failed {
			p.fail()
			return nil
		}
		v := p.value(rest, indent, l.start+l.indent+len(l.text)-len(rest), true)
		if p.failed {
			return nil
		}
		m[key] = v
		if end >= 0 {
			p.skipBlank() // as the next round would
		}
		if end >= 0 && p.i == end {
			p.remember(text, key, v)
		}
	}
}

// remember keeps a section's entry, parsed in its document and ending
// where the section does, once it has been seen before and parses the same
// both ways (see sectionMemo). Its key and strings point into the
// document, which the entry then holds: the cost counts it.
func (p *fastParser) remember(text, key string, v any) {
	h := maphash.String(p.memo.seed, text)
	if _, ok := p.memo.seen.Get(h); !ok {
		p.memo.seen.Put(h, struct{}{}, 8)
		return
	}
	// The entry's facts (sectionFacts) hold about as much again.
	cost := int64(2*len(text)+len(p.doc)) + 2*cache.SizeOf(v)
	if cost > p.memo.c.MaxEntry() {
		return
	}
	// The other way: alone when a line follows it here, or followed by a
	// line at indentation 0 when it ends the document here (unless it has
	// no final line break, when no line can ever follow it).
	other, want := text, 1
	if p.i == len(p.lines) {
		if !strings.HasSuffix(text, "\n") {
			other = ""
		} else if key == "a" {
			other, want = text+"b: 0\n", 2
		} else {
			other, want = text+"a: 0\n", 2
		}
	}
	if other != "" {
		w, ok := fastYAML([]byte(other))
		m, _ := w.(map[string]any)
		if x, has := m[key]; !ok || !has || len(m) != want || !reflect.DeepEqual(x, v) {
			return
		}
	}
	f := &sectionFacts{key: key, value: v}
	if p.memo.c.Put(strings.Clone(text), sectionEntry{key: key, value: v, facts: f}, cost) {
		p.shared = true
		p.used = append(p.used, f)
	}
}

// maxSimpleKey is the longest span, from a key's first character to its
// colon, that yaml.v2 reads as a mapping key; a longer one is an error
// there. Spans are measured in bytes, which is never less than yaml.v2's
// characters, so the fast path only declines more often.
const maxSimpleKey = 1024

// key splits "key: rest" and returns the key and what follows the colon.
func (p *fastParser) key(t string) (string, string) {
	switch t[0] {
	case '"', '\'':
		k, n := p.quoted(t, 0)
		if p.failed || n > maxSimpleKey {
			p.fail()
			return "", ""
		}
		r := t[n:]
		if !strings.HasPrefix(r, ":") || (len(r) > 1 && r[1] != ' ') {
			p.fail()
			return "", ""
		}
		return k, r[1:]
	}
	if strings.ContainsRune("-?:,[]{}#&*!|>%@`", rune(t[0])) {
		p.fail()
		return "", ""
	}
	i := strings.Index(t, ": ")
	if i < 0 {
		if !strings.HasSuffix(t, ":") {
			p.fail()
			return "", ""
		}
		i = len(t) - 1
	}
	k := t[:i]
	if i > maxSimpleKey || strings.Contains(k, " #") || strings.TrimRight(k, " ") != k || !plainIsString(k) {
		p.fail()
		return "", ""
	}
	return k, t[i+1:]
}

// value parses what follows "key:" or "- " on a line whose entries sit at
// indent; at is the offset of rest in the document. In a mapping, a nested
// sequence may sit at the key's own indentation.
func (p *fastParser) value(rest string, indent, at int, inMapping bool) any {
	r := strings.TrimLeft(rest, " ")
	at += len(rest) - len(r)
	if t := strings.TrimRight(r, " "); t == "" || t[0] == '#' {
		if t != "" && len(r) == len(rest) {
			p.fail() // "key:#..." is not a comment
			return nil
		}
		p.i++
		p.skipBlank()
		if p.i >= len(p.lines) {
			return nil
		}
		l := p.lines[p.i]
		if l.indent > indent {
			return p.block(l.indent, indent)
		}
		if inMapping && l.indent == indent && isSeqItem(l.text) {
			return p.sequence(indent)
		}
		return nil
	}
	var v any
	switch r[0] {
	case '{', '[':
		var end int
		if v, end = p.flow(at); p.failed {
			return nil
		}
		p.finishAt(end, indent)
		return v
	case '"', '\'':
		s, n := p.quoted(r, 0)
		if p.failed {
			return nil
		}
		p.endOfLine(r[n:])
		v = s
	case '|':
		return p.literal(strings.TrimRight(r, " "), indent)
	case '-':
		if isSeqItem(r) {
			p.fail() // "- - x" or "key: - x"
			return nil
		}
		v = p.plain(r)
	default:
		v = p.plain(r)
	}
	if p.failed {
		return nil
	}
	p.i++
	p.checkNoContinuation(indent)
	return v
}

// checkNoContinuation gives up when the next line is indented under the
// value just read: a continued plain scalar or a structure error.
func (p *fastParser) checkNoContinuation(indent int) {
	j := p.i
	for j < len(p.lines) && blank(p.lines[j]) {
		j++
	}
	if j < len(p.lines) && p.lines[j].indent > indent {
		p.fail()
	}
}

func (p *fastParser) endOfLine(r string) {
	t := strings.TrimLeft(r, " ")
	if t != "" && (t[0] != '#' || len(t) == len(r)) {
		p.fail()
	}
}

// plain resolves a one-line plain scalar in block context.
func (p *fastParser) plain(r string) any {
	if strings.ContainsRune("?:,[]{}#&*!|>%@`'\"", rune(r[0])) {
		p.fail()
		return nil
	}
	if i := strings.Index(r, " #"); i >= 0 {
		r = r[:i]
	}
	r = strings.TrimRight(r, " ")
	if strings.Contains(r, ": ") || strings.HasSuffix(r, ":") {
		p.fail()
		return nil
	}
	v := resolvePlain(r)
	if v == giveUpValue {
		p.fail()
		return nil
	}
	return v
}

var giveUpValue = &struct{ byte }{}

// numberish holds every character of yaml.v2's ints (0x1F, 0o17, 0b1,
// 1_000), floats (1.5e-3) and timestamps (2001-12-14t21:59:43.10Z).
const numberish = "0123456789abcdefABCDEF+-._:xXoOtTzZ "

// resolvePlain types a plain scalar the way yaml.v2 (YAML 1.1) does, for
// the forms fastYAML accepts; giveUpValue for anything else that might not
// be a string.
func resolvePlain(s string) any {
	switch s {
	case "", "~", "null", "Null", "NULL":
		return nil
	case "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON":
		return true
	case "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF":
		return false
	case "<<":
		return giveUpValue
	}
	// yaml.v2 tries a scalar as a number when it starts with a digit, a
	// dot or a sign, after removing underscores ("-_000" is 0).
	if c := s[0]; c >= '0' && c <= '9' || c == '.' || c == '+' || c == '-' {
		switch {
		case signedWord(s):
			return s
		case infOrNaN(s):
			return giveUpValue
		}
		digits := s
		neg := s[0] == '-'
		if neg {
			digits = s[1:]
		}
		// A character no number or timestamp has makes it a string
		// ("2000m", "1024Mi", "15090,15021").
		for i := 0; i < len(s); i++ {
			if !strings.ContainsRune(numberish, rune(s[i])) {
				return s
			}
		}
		// Only plain decimal integers: yaml.v2 reads 0x1F, 0777, 1_000,
		// 1e3, .5 and timestamps its own way.
		if len(digits) == 0 || len(digits) > 15 || (digits[0] == '0' && (len(digits) > 1 || neg)) {
			return giveUpValue
		}
		for i := 0; i < len(digits); i++ {
			if digits[i] < '0' || digits[i] > '9' {
				return giveUpValue
			}
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return giveUpValue
		}
		return f
	}
	return s
}

// signedWord reports a sign followed by a letter ("-z", "+x"): no number
// of yaml.v2's has a letter after its sign (ints and floats a digit,
// underscore or dot, timestamps start with a digit), so it is a string.
func signedWord(s string) bool {
	return len(s) > 1 && (s[0] == '-' || s[0] == '+') && ('a' <= s[1] && s[1] <= 'z' || 'A' <= s[1] && s[1] <= 'Z')
}

// infOrNaN reports what might be one of yaml.v2's .inf or .nan floats,
// signed or not; JSON cannot carry them (the reference fails), so the
// fast path gives up.
func infOrNaN(s string) bool {
	if s[0] == '-' || s[0] == '+' {
		s = s[1:]
	}
	return len(s) > 1 && s[0] == '.' && strings.ContainsRune("iInN", rune(s[1]))
}

// plainIsString reports whether resolvePlain(s) is the string s, without
// boxing it.
func plainIsString(s string) bool {
	switch s {
	case "", "~", "null", "Null", "NULL", "<<",
		"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON",
		"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF":
		return false
	}
	if c := s[0]; c >= '0' && c <= '9' || c == '.' || c == '+' || c == '-' {
		switch {
		case signedWord(s):
			return true
		case infOrNaN(s):
			return false
		}
		for i := 0; i < len(s); i++ {
			if !strings.ContainsRune(numberish, rune(s[i])) {
				return true
			}
		}
		return false
	}
	return true
}

// quoted reads a one-line quoted scalar starting at t[i]; it returns the
// value and the offset after the closing quote.
func (p *fastParser) quoted(t string, i int) (string, int) {
	q := t[i]
	i++
	// Fast path: no escapes, one closing quote.
	for j := i; j < len(t); j++ {
		c := t[j]
		if c == '\n' || (c == '\\' && q == '"') {
			break
		}
		if c == q {
			if q == '\'' && j+1 < len(t) && t[j+1] == '\'' {
				break
			}
			return t[i:j], j + 1
		}
	}
	var b strings.Builder
	for {
		if i >= len(t) || t[i] == '\n' {
			p.fail() // multi-line quoted scalars fold; leave them to yaml.v2
			return "", i
		}
		c := t[i]
		switch {
		case c == q && q == '\'':
			if i+1 < len(t) && t[i+1] == '\'' {
				b.WriteByte('\'')
				i += 2
				continue
			}
			return b.String(), i + 1
		case c == q:
			return b.String(), i + 1
		case c == '\\' && q == '"':
			i++
			if i >= len(t) {
				p.fail()
				return "", i
			}
			if i = p.escape(&b, t, i); p.failed {
				return "", i
			}
			continue
		}
		b.WriteByte(c)
		i++
	}
}

// escape writes the double-quoted escape at t[i] (after the backslash).
func (p *fastParser) escape(b *strings.Builder, t string, i int) int {
	var s string
	n := 0
	switch t[i] {
	case '0':
		s = "\x00"
	case 'a':
		s = "\a"
	case 'b':
		s = "\b"
	case 't':
		s = "\t"
	case 'n':
		s = "\n"
	case 'v':
		s = "\v"
	case 'f':
		s = "\f"
	case 'r':
		s = "\r"
	case 'e':
		s = "\x1b"
	case ' ', '"', '\\': // yaml.v2 has no "\/" (JSON's, and YAML 1.2's)
		s = t[i : i+1]
	case 'N':
		s = "\u0085"
	case '_':
		s = "\u00a0"
	case 'L':
		s = "\u2028"
	case 'P':
		s = "\u2029"
	case 'x':
		n = 2
	case 'u':
		n = 4
	case 'U':
		n = 8
	default:
		p.fail()
		return i
	}
	if n == 0 {
		b.WriteString(s)
		return i + 1
	}
	if i+1+n > len(t) {
		p.fail()
		return i
	}
	r, err := strconv.ParseUint(t[i+1:i+1+n], 16, 32)
	if err != nil || !utf8.ValidRune(rune(r)) {
		p.fail()
		return i
	}
	b.WriteRune(rune(r))
	return i + 1 + n
}

// literal reads a "|" or "|-" block scalar whose owner sits at indent.
func (p *fastParser) literal(header string, indent int) any {
	strip := false
	switch header {
	case "|":
	case "|-":
		strip = true
	default:
		p.fail()
		return nil
	}
	p.i++
	if p.i >= len(p.lines) {
		return ""
	}
	first := p.lines[p.i]
	if strings.TrimRight(first.text, " ") == "" {
		p.fail() // leading blank lines: leave to yaml.v2
		return nil
	}
	n := first.indent
	if n <= indent {
		return ""
	}
	var parts []string
	lastContent := -1
	for p.i < len(p.lines) {
		l := p.lines[p.i]
		if l.text == "" {
			if l.indent > n {
				p.fail()
				return nil
			}
			parts = append(parts, "")
			p.i++
			continue
		}
		if l.indent < n {
			break
		}
		if strings.TrimRight(l.text, " ") == "" {
			p.fail() // a line of spaces only
			return nil
		}
		parts = append(parts, strings.Repeat(" ", l.indent-n)+l.text)
		lastContent = p.i
		p.i++
	}
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	s := strings.Join(parts, "\n")
	// Clipping keeps the last line break, if the document has one.
	if !strip && s != "" && (lastContent < len(p.lines)-1 || strings.HasSuffix(p.doc, "\n")) {
		s += "\n"
	}
	// The trailing blank lines just skipped belong to no one; the next line
	// must not sit under the owner's content.
	p.checkNoContinuation(indent)
	return s
}

// flow parses a flow collection starting at offset at; it returns the value
// and the offset after it.
func (p *fastParser) flow(at int) (any, int) {
	s := p.doc
	i := at
	skip := func() {
		for i < len(s) {
			switch s[i] {
			case ' ', '\n':
				i++
			case '#':
				if i > 0 && s[i-1] != ' ' && s[i-1] != '\n' {
					p.fail()
					return
				}
				for i < len(s) && s[i] != '\n' {
					i++
				}
			default:
				return
			}
		}
	}
	var val func() any
	scalar := func() any {
		if i >= len(s) {
			p.fail()
			return nil
		}
		switch s[i] {
		case '"', '\'':
			v, n := p.quoted(s, i)
			i = n
			return v
		case '{', '[':
			return val()
		}
		if strings.ContainsRune("-?:,]}#&*!|>%@`", rune(s[i])) {
			p.fail()
			return nil
		}
		j := i
		for j < len(s) {
			c := s[j]
			// yaml.v2 ends a flow plain scalar at a flow indicator or '?',
			// and at ':' only when a blank follows.
			if c == ',' || c == ']' || c == '}' || c == '[' || c == '{' || c == '?' || c == '\n' {
				break
			}
			if c == ':' && (j+1 >= len(s) || s[j+1] == ' ' || s[j+1] == '\n') {
				break
			}
			if c == '#' && s[j-1] == ' ' {
				break
			}
			j++
		}
		t := strings.TrimRight(s[i:j], " ")
		i = j
		v := resolvePlain(t)
		if v == giveUpValue {
			p.fail()
			return nil
		}
		return v
	}
	val = func() any {
		switch s[i] {
		case '{':
			i++
			m := map[string]any{}
			for {
				if skip(); p.failed || i >= len(s) {
					p.fail()
					return nil
				}
				if s[i] == '}' {
					i++
					return m
				}
				start := i
				k, isStr := scalar().(string)
				if _, dup := m[k]; !isStr || dup || p.failed {
					p.fail()
					return nil
				}
				skip()
				// A simple key ends on its own line, within maxSimpleKey.
				if p.failed || i >= len(s) || s[i] != ':' || i-start > maxSimpleKey || strings.Contains(s[start:i], "\n") {
					p.fail()
					return nil
				}
				i++
				if skip(); p.failed || i >= len(s) {
					p.fail()
					return nil
				}
				if s[i] == ',' || s[i] == '}' {
					m[k] = nil
				} else if m[k] = scalar(); p.failed {
					return nil
				}
				if skip(); p.failed || i >= len(s) {
					p.fail()
					return nil
				}
				switch s[i] {
				case ',':
					i++
				case '}':
				default:
					p.fail()
					return nil
				}
			}
		case '[':
			i++
			l := []any{}
			for {
				if skip(); p.failed || i >= len(s) {
					p.fail()
					return nil
				}
				if s[i] == ']' {
					i++
					return l
				}
				x := scalar()
				if skip(); p.failed || i >= len(s) {
					p.fail()
					return nil
				}
				l = append(l, x)
				switch s[i] {
				case ',':
					i++
				case ']':
				default:
					p.fail() // includes "[a: b]"
					return nil
				}
			}
		}
		p.fail()
		return nil
	}
	v := val()
	return v, i
}

// finishAt moves to the line after offset end, which closed a flow
// collection, checking that nothing but a comment follows on that line.
func (p *fastParser) finishAt(end, indent int) {
	for p.i+1 < len(p.lines) && p.lines[p.i+1].start <= end {
		p.i++
	}
	l := p.lines[p.i]
	p.endOfLine(p.doc[end : l.start+l.indent+len(l.text)])
	if p.failed || end < len(p.doc) && p.doc[end] != ' ' && p.doc[end] != '\n' {
		p.fail()
		return
	}
	p.i++
	p.checkNoContinuation(indent)
}

// sequence parses block sequence items at indent.
func (p *fastParser) sequence(indent int) []any {
	out := []any{}
	for {
		p.skipBlank()
		if p.i >= len(p.lines) {
			return out
		}
		l := p.lines[p.i]
		if l.indent < indent {
			return out
		}
		if l.indent > indent || !isSeqItem(l.text) {
			if l.indent == indent {
				return out // a mapping key after a compact sequence
			}
			p.fail()
			return nil
		}
		rest := ""
		if len(l.text) > 1 {
			rest = l.text[2:]
		}
		r := strings.TrimLeft(rest, " ")
		col := indent + 2 + len(rest) - len(r)
		if r != "" && r[0] != '#' && isMappingEntry(r) {
			// A compact mapping: "- key: value" opens a mapping whose
			// entries sit at the column of key.
			p.lines[p.i] = line{indent: col, text: r, start: l.start}
			m := p.mapping(col)
			if p.failed {
				return nil
			}
			out = append(out, m)
			continue
		}
		v := p.value(rest, indent, l.start+indent+2, false)
		if p.failed {
			return nil
		}
		out = append(out, v)
	}
}

// isMappingEntry reports whether a line's content starts a mapping entry.
func isMappingEntry(t string) bool {
	switch t[0] {
	case '"', '\'':
		q := t[0]
		for i := 1; i < len(t); i++ {
			if t[i] == q {
				if q == '\'' && i+1 < len(t) && t[i+1] == '\'' {
					i++
					continue
				}
				return strings.HasPrefix(t[i+1:], ":")
			}
			if t[i] == '\\' && q == '"' {
				i++
			}
		}
		return false
	case '{', '[', '|', '>', '-':
		return false
	}
	if i := strings.Index(t, " #"); i >= 0 {
		t = t[:i]
	}
	return strings.Contains(t, ": ") || strings.HasSuffix(strings.TrimRight(t, " "), ":")
}
