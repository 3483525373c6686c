package patch

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"

	"github.com/kinject/kinject/internal/codec"
)

// Options configures Diff. The zero value diffs any two JSON documents
// without a schema; Options is a plain value, safe to share and copy.
type Options struct {
	// Schema, when set, aligns lists by their merge key and keeps struct
	// objects from being replaced as a whole. See Schema and PodSchema.
	Schema *Schema
}

// Diff returns an RFC 6902 patch that turns original into modified, for any
// two JSON documents. Arrays are aligned by a longest common subsequence of
// equal elements. It is Options{}.Diff.
func Diff(original, modified []byte) (Patch, error) {
	return Options{}.Diff(original, modified)
}

// DiffPod returns the patch that turns the pod original into the pod
// modified, aligning lists by the merge keys of corev1.Pod (containers by
// name, volumeMounts by mountPath, ...). Both documents should come from the
// same typed conversion; see the package documentation. It is
// Options{Schema: PodSchema()}.Diff.
func DiffPod(original, modified []byte) (Patch, error) {
	return Options{Schema: PodSchema()}.Diff(original, modified)
}

// Diff returns an RFC 6902 patch that turns original into modified. The
// patch is deterministic: the same inputs give the same operations in the
// same order. An empty patch is a non-nil, empty Patch.
func (o Options) Diff(original, modified []byte) (Patch, error) {
	a, err := parse("original", original)
	if err != nil {
		return nil, err
	}
	b, err := parse("modified", modified)
	if err != nil {
		return nil, err
	}
	d := &differ{
		a: a, b: b,
		path:  make([]byte, 0, 256),
		ints:  make([]int32, 0, 256),
		ops:   make([]rawOp, 0, 16),
		paths: make([]byte, 0, 1024),
		vals:  make([]byte, 0, len(modified)+64),
	}
	var root schemaNode
	if o.Schema != nil {
		root = o.Schema.root
	}
	d.diff(0, 0, root, inRoot)
	return d.result(), nil
}

type opKind uint8

const (
	opAdd opKind = iota
	opRemove
	opReplace
	opMove
)

var opNames = [...]string{opAdd: "add", opRemove: "remove", opReplace: "replace", opMove: "move"}

// rawOp is an operation under construction; its strings live in the
// differ's arenas until result turns them into one allocation each.
type rawOp struct {
	op               opKind
	pathOff, pathLen int32
	fromOff, fromLen int32 // fromLen < 0: no from
	valOff, valLen   int32 // valLen < 0: no value
}

// parent says where a value sits, which decides how it is replaced.
type parent uint8

const (
	inRoot parent = iota
	inObject
	inArray
)

type differ struct {
	a, b  *document
	path  []byte  // JSON pointer of the value being diffed
	ops   []rawOp // operations so far
	paths []byte  // arena: paths and froms
	vals  []byte  // arena: compact values
	size  int     // encoded size of ops
	ints  []int32 // scratch stack, indexed by offsets (it may move)
}

type mark struct{ ops, paths, vals, size int }

func (d *differ) mark() mark { return mark{len(d.ops), len(d.paths), len(d.vals), d.size} }

func (d *differ) reset(m mark) {
	d.ops, d.paths, d.vals, d.size = d.ops[:m.ops], d.paths[:m.paths], d.vals[:m.vals], m.size
}

func (d *differ) pushKey(key []byte) int {
	n := len(d.path)
	d.path = append(d.path, '/')
	d.path = appendToken(d.path, key)
	return n
}

func (d *differ) pushIndex(i int) int {
	n := len(d.path)
	d.path = append(d.path, '/')
	d.path = strconv.AppendInt(d.path, int64(i), 10)
	return n
}

func (d *differ) pushAppend() int {
	n := len(d.path)
	d.path = append(d.path, "/-"...)
	return n
}

func (d *differ) pop(n int) { d.path = d.path[:n] }

// opSize is the encoded size of an operation, plus one for the comma that
// separates it from the next.
func opSize(op opKind, pathQuoted, fromQuoted, valLen int) int {
	n := len(`{"op":"","path":}`) + len(opNames[op]) + pathQuoted + 1
	if fromQuoted >= 0 {
		n += len(`,"from":`) + fromQuoted
	}
	if valLen >= 0 {
		n += len(`,"value":`) + valLen
	}
	return n
}

func (d *differ) emit(op opKind, from []byte, value int32) {
	o := rawOp{op: op, fromLen: -1, valLen: -1}
	o.pathOff = int32(len(d.paths))
	d.paths = append(d.paths, d.path...)
	o.pathLen = int32(len(d.path))
	fq := -1
	if from != nil {
		o.fromOff = int32(len(d.paths))
		d.paths = append(d.paths, from...)
		o.fromLen = int32(len(from))
		fq = codec.QuotedLen(from, 0)
	}
	if value >= 0 {
		o.valOff = int32(len(d.vals))
		raw := d.b.raw(value)
		if d.b.compact {
			d.vals = append(d.vals, raw...)
		} else {
			d.vals = appendCompact(d.vals, raw)
		}
		o.valLen = int32(len(d.vals)) - o.valOff
	}
	d.size += opSize(op, codec.QuotedLen(d.path, 0), fq, int(o.valLen))
	d.ops = append(d.ops, o)
}

// replacement is how a value in place is replaced by the modified one:
// "replace", except that an object member whose original value is null or
// an empty object or array is set with "add". A typed conversion writes
// such empty values ("resources": {}) where the raw document may have
// nothing, and "add" works on both.
func (d *differ) replacement(ai int32, where parent) opKind {
	if where == inObject {
		n := &d.a.nodes[ai]
		if n.kind == kNull || (n.kind == kObject || n.kind == kArray) && n.count == 0 {
			return opAdd
		}
	}
	return opReplace
}

func (d *differ) change(ai, bi int32, where parent) {
	d.emit(d.replacement(ai, where), nil, bi)
}

// replaceIfSmaller replaces the operations emitted since m by one that sets
// the whole value, when that is smaller.
func (d *differ) replaceIfSmaller(m mark, ai, bi int32, where parent) {
	script := d.size - m.size
	if script == 0 {
		return
	}
	vlen := int(d.b.nodes[bi].end - d.b.nodes[bi].start)
	if !d.b.compact {
		vlen = compactLen(d.b.raw(bi))
	}
	if opSize(d.replacement(ai, where), codec.QuotedLen(d.path, 0), -1, vlen) < script {
		d.reset(m)
		d.change(ai, bi, where)
	}
}

func (d *differ) diff(ai, bi int32, s schemaNode, where parent) {
	an, bn := &d.a.nodes[ai], &d.b.nodes[bi]
	if an.kind != bn.kind {
		d.change(ai, bi, where)
		return
	}
	if bytes.Equal(d.a.src[an.start:an.end], d.b.src[bn.start:bn.end]) {
		return
	}
	switch an.kind {
	case kNull, kTrue, kFalse:
		return
	case kString:
		if stringsEqual(d.a, ai, d.b, bi) {
			return
		}
	case kObject:
		d.diffObject(ai, bi, s, where)
		return
	case kArray:
		d.diffArray(ai, bi, s, where)
		return
	}
	d.change(ai, bi, where)
}

// pushMembers pushes the members of object i of doc onto the scratch
// stack, sorted by key, and returns their offset.
func (d *differ) pushMembers(doc *document, i int32) int {
	off := len(d.ints)
	n := &doc.nodes[i]
	sorted := true
	for c := i + 1; c < n.next; c = doc.nodes[c].next {
		if sorted && len(d.ints) > off && bytes.Compare(doc.key(d.ints[len(d.ints)-1]), doc.key(c)) > 0 {
			sorted = false
		}
		d.ints = append(d.ints, c)
	}
	if !sorted {
		slices.SortFunc(d.ints[off:], func(x, y int32) int { return bytes.Compare(doc.key(x), doc.key(y)) })
	}
	return off
}

func (d *differ) diffObject(ai, bi int32, s schemaNode, where parent) {
	na, nb := int(d.a.nodes[ai].count), int(d.b.nodes[bi].count)
	if na == 0 && nb == 0 {
		return // {} and { }
	}
	if na == 0 && where == inObject {
		d.change(ai, bi, where) // an "add" of the whole object
		return
	}
	m := d.mark()
	ao := d.pushMembers(d.a, ai)
	bo := d.pushMembers(d.b, bi)
	for i, j := 0, 0; i < na || j < nb; {
		c := 0
		switch {
		case i == na:
			c = 1
		case j == nb:
			c = -1
		default:
			c = bytes.Compare(d.a.key(d.ints[ao+i]), d.b.key(d.ints[bo+j]))
		}
		switch {
		case c < 0:
			p := d.pushKey(d.a.key(d.ints[ao+i]))
			d.emit(opRemove, nil, -1)
			d.pop(p)
			i++
		case c > 0:
			bj := d.ints[bo+j]
			p := d.pushKey(d.b.key(bj))
			d.emit(opAdd, nil, bj)
			d.pop(p)
			j++
		default:
			ax, bx := d.ints[ao+i], d.ints[bo+j]
			key := d.b.key(bx)
			p := d.pushKey(key)
			if len(key) == 0 {
				// evanphx/json-patch, and so the API server, resolves an
				// empty token inside a path to the parent, not to the
				// member "": never emit a path through it.
				if !equalNodes(d.a, ax, d.b, bx) {
					d.change(ax, bx, inObject)
				}
			} else {
				d.diff(ax, bx, s.field(key), inObject)
			}
			d.pop(p)
			i++
			j++
		}
	}
	d.ints = d.ints[:ao]
	if !s.is(codec.Struct) {
		d.replaceIfSmaller(m, ai, bi, where)
	}
}

// sameFlag marks, in an alignment, a pair of elements known to be equal.
const sameFlag = 1 << 30

func (d *differ) diffArray(ai, bi int32, s schemaNode, where parent) {
	n, m := int(d.a.nodes[ai].count), int(d.b.nodes[bi].count)
	if n == 0 && m == 0 {
		return // [] and [ ]
	}
	if n == 0 && where == inObject {
		d.change(ai, bi, where) // an "add" of the whole array
		return
	}
	mk := d.mark()
	// Scratch layout: a's elements [n], b's elements [m], match [m]
	// (b → a position, -1, or with sameFlag), used [n] (a position matched).
	base := len(d.ints)
	ae, be, mt, us := base, base+n, base+n+m, base+n+2*m
	for c := ai + 1; c < d.a.nodes[ai].next; c = d.a.nodes[c].next {
		d.ints = append(d.ints, c)
	}
	for c := bi + 1; c < d.b.nodes[bi].next; c = d.b.nodes[c].next {
		d.ints = append(d.ints, c)
	}
	for range m {
		d.ints = append(d.ints, -1)
	}
	for range n {
		d.ints = append(d.ints, 0)
	}
	aEl, bEl, match, used := d.ints[ae:ae+n], d.ints[be:be+m], d.ints[mt:mt+m], d.ints[us:us+n]

	keyed := false
	if s.mergeKey != "" {
		keyed = alignKeyed(d.a, aEl, d.b, bEl, []byte(s.mergeKey), match, used)
		if !keyed {
			clear(used)
			for j := range match {
				match[j] = -1
			}
		}
	}
	if !keyed {
		alignUnkeyed(d.a, aEl, d.b, bEl, match, used)
	}
	matched := 0
	for _, u := range used {
		if u != 0 {
			matched++
		}
	}
	moving, gaveUp := false, false
	if keyed {
		matched, moving, gaveUp = d.planMoves(match, used, matched)
	}

	// Phase 1: remove unmatched elements of a, last first.
	for i := n - 1; i >= 0; i-- {
		if d.ints[us+i] == 0 {
			p := d.pushIndex(i)
			d.emit(opRemove, nil, -1)
			d.pop(p)
		}
	}
	// Phase 2: move matched elements that are out of order.
	if moving {
		d.emitMoves(mt, m, matched)
	}
	// Phase 3: insert unmatched elements of b, first first.
	cur := matched
	for j := range m {
		if d.ints[mt+j] >= 0 {
			continue
		}
		var p int
		if j == cur {
			p = d.pushAppend()
		} else {
			p = d.pushIndex(j)
		}
		d.emit(opAdd, nil, d.ints[be+j])
		d.pop(p)
		cur++
	}
	// Phase 4: edit matched elements in place, at their final index.
	for j := range m {
		x := d.ints[mt+j]
		if x < 0 || x&sameFlag != 0 {
			continue
		}
		p := d.pushIndex(j)
		d.diff(d.ints[ae+int(x)], d.ints[be+j], s.item(), inArray)
		d.pop(p)
	}
	d.ints = d.ints[:base]
	// Elements matched by merge key keep their identity: they are never
	// rewritten by a whole-array replace, unless planMoves already gave up
	// the identity of the out-of-order ones.
	if !keyed || matched == 0 || gaveUp {
		d.replaceIfSmaller(mk, ai, bi, where)
	}
}

// planMoves decides which matched elements of a keyed alignment move: all
// but a longest run already in order. When the moves would be too many to
// simulate cheaply, the out-of-order elements are unmatched instead
// (removed and added). It returns the number of matched elements left,
// whether some must move, and whether it gave up moving them.
func (d *differ) planMoves(match, used []int32, matched int) (int, bool, bool) {
	last := int32(-1)
	ordered := true
	for _, x := range match {
		if x < 0 {
			continue
		}
		x &^= sameFlag
		if x < last {
			ordered = false
			break
		}
		last = x
	}
	if ordered {
		return matched, false, false
	}
	seq := make([]int32, 0, matched)
	for _, x := range match {
		if x >= 0 {
			seq = append(seq, x&^sameFlag)
		}
	}
	keep := lis(seq)
	moves := matched - len(keep)
	inLIS := make(map[int32]bool, len(keep))
	for _, x := range keep {
		inLIS[x] = true
	}
	if moves*matched <= 1<<20 {
		return matched, true, false
	}
	for j, x := range match {
		if x >= 0 && !inLIS[x&^sameFlag] {
			used[x&^sameFlag] = 0
			match[j] = -1
			matched--
		}
	}
	return matched, false, true
}

// emitMoves emits "move" operations that put the matched elements (the
// array now holds exactly them, in a's order) into b's order, moving each
// element that is not part of a longest in-order run to just after its
// predecessor in b.
func (d *differ) emitMoves(mt, m, matched int) {
	seq := make([]int32, 0, matched)
	for j := range m {
		if x := d.ints[mt+j]; x >= 0 {
			seq = append(seq, x&^sameFlag)
		}
	}
	if slices.IsSorted(seq) {
		return
	}
	keep := lis(seq)
	inLIS := make(map[int32]bool, len(keep))
	for _, x := range keep {
		inLIS[x] = true
	}
	cur := slices.Clone(seq)
	slices.Sort(cur) // a's order
	prev := int32(-1)
	var from []byte
	for _, x := range seq {
		if inLIS[x] {
			prev = x
			continue
		}
		p := slices.Index(cur, x)
		cur = slices.Delete(cur, p, p+1)
		q := 0
		if prev >= 0 {
			q = slices.Index(cur, prev) + 1
		}
		cur = slices.Insert(cur, q, x)
		prev = x
		if p == q {
			continue
		}
		from = append(from[:0], d.path...)
		from = append(from, '/')
		from = strconv.AppendInt(from, int64(p), 10)
		pp := d.pushIndex(q)
		d.emit(opMove, from, -1)
		d.pop(pp)
	}
}

// lis returns a longest strictly increasing subsequence of seq.
func lis(seq []int32) []int32 {
	tails := make([]int, 0, len(seq)) // positions in seq
	prev := make([]int, len(seq))
	for i, x := range seq {
		k, _ := slices.BinarySearchFunc(tails, x, func(t int, v int32) int {
			if seq[t] < v {
				return -1
			}
			if seq[t] > v {
				return 1
			}
			return 0
		})
		if k > 0 {
			prev[i] = tails[k-1]
		} else {
			prev[i] = -1
		}
		if k == len(tails) {
			tails = append(tails, i)
		} else {
			tails[k] = i
		}
	}
	out := make([]int32, len(tails))
	for k, i := len(tails)-1, tails[len(tails)-1]; k >= 0; k, i = k-1, prev[i] {
		out[k] = seq[i]
	}
	return out
}

// result turns the operations into a Patch with one allocation for all
// paths and one for all values.
func (d *differ) result() Patch {
	if len(d.ops) == 0 {
		return Patch{}
	}
	paths := string(d.paths)
	vals := d.vals
	p := make(Patch, len(d.ops))
	for k, o := range d.ops {
		op := Operation{Op: opNames[o.op], Path: paths[o.pathOff : o.pathOff+o.pathLen]}
		if o.fromLen >= 0 {
			op.From = paths[o.fromOff : o.fromOff+o.fromLen]
		}
		if o.valLen >= 0 {
			end := o.valOff + o.valLen
			op.Value = json.RawMessage(vals[o.valOff:end:end])
		}
		p[k] = op
	}
	return p
}

// appendToken appends key escaped as an RFC 6901 reference token.
func appendToken(dst, key []byte) []byte {
	if bytes.IndexByte(key, '~') < 0 && bytes.IndexByte(key, '/') < 0 {
		return append(dst, key...)
	}
	for _, c := range key {
		switch c {
		case '~':
			dst = append(dst, '~', '0')
		case '/':
			dst = append(dst, '~', '1')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// appendCompact appends valid JSON src without insignificant whitespace.
func appendCompact(dst, src []byte) []byte {
	inStr := false
	start := 0
	for i := 0; i < len(src); i++ {
		c := src[i]
		if inStr {
			if c == '\\' {
				i++
			} else if c == '"' {
				inStr = false
			}
			continue
		}
		switch c {
		case '"':
			inStr = true
		case ' ', '\t', '\n', '\r':
			dst = append(dst, src[start:i]...)
			start = i + 1
		}
	}
	return append(dst, src[start:]...)
}

// compactLen is len(appendCompact(nil, src)).
func compactLen(src []byte) int {
	inStr := false
	n := 0
	for i := 0; i < len(src); i++ {
		c := src[i]
		if inStr {
			if c == '\\' {
				i++
				n++
			} else if c == '"' {
				inStr = false
			}
			n++
			continue
		}
		switch c {
		case '"':
			inStr = true
		case ' ', '\t', '\n', '\r':
			continue
		}
		n++
	}
	return n
}
