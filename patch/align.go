package patch

import (
	"bytes"
	"slices"
)

// An alignment pairs elements of an original array (a) with elements of a
// modified one (b). It is written into match (for each b position, the a
// position it pairs with, or -1; sameFlag set when the two are known to be
// equal) and used (1 for each a position that is paired).

// alignKeyed pairs elements by the value of their member key. It reports
// false, leaving a partial result, when an element that must be paired is
// not an object with a scalar key or when a key repeats; the caller then
// aligns without keys.
func alignKeyed(da *document, ae []int32, db *document, be []int32, key []byte, match, used []int32) bool {
	n, m := len(ae), len(be)
	// Common prefix and suffix by key: the usual case (containers added at
	// either end, one env var changed) needs nothing else.
	pre := 0
	for pre < n && pre < m {
		ka, ok1 := keyOf(da, ae[pre], key)
		kb, ok2 := keyOf(db, be[pre], key)
		if !ok1 || !ok2 || !ka.equal(kb) {
			break
		}
		match[pre], used[pre] = int32(pre), 1
		pre++
	}
	suf := 0
	for suf < n-pre && suf < m-pre {
		i, j := n-1-suf, m-1-suf
		ka, ok1 := keyOf(da, ae[i], key)
		kb, ok2 := keyOf(db, be[j], key)
		if !ok1 || !ok2 || !ka.equal(kb) {
			break
		}
		match[j], used[i] = int32(i), 1
		suf++
	}
	am, bm := ae[pre:n-suf], be[pre:m-suf]
	if len(am) == 0 || len(bm) == 0 {
		return true
	}
	ak := make([]keyValue, len(am))
	for i, e := range am {
		k, ok := keyOf(da, e, key)
		if !ok {
			return false
		}
		ak[i] = k
	}
	bk := make([]keyValue, len(bm))
	for j, e := range bm {
		k, ok := keyOf(db, e, key)
		if !ok {
			return false
		}
		bk[j] = k
	}
	if len(am)*len(bm) <= 256 {
		for i := range ak {
			for k := range i {
				if ak[k].equal(ak[i]) {
					return false
				}
			}
		}
		for j := range bk {
			for i := range ak {
				if ak[i].equal(bk[j]) {
					if used[pre+i] != 0 {
						return false // the key repeats in b
					}
					match[pre+j], used[pre+i] = int32(pre+i), 1
					break
				}
			}
		}
		return true
	}
	index := make(map[string]int, len(ak))
	for i, k := range ak {
		s := k.mapKey()
		if _, dup := index[s]; dup {
			return false
		}
		index[s] = i
	}
	for j, k := range bk {
		if i, ok := index[k.mapKey()]; ok {
			if used[pre+i] != 0 {
				return false
			}
			match[pre+j], used[pre+i] = int32(pre+i), 1
		}
	}
	return true
}

// keyValue is the value of an element's merge key: its kind and its
// decoded bytes (string contents, number literal).
type keyValue struct {
	kind kind
	b    []byte
}

func (k keyValue) equal(o keyValue) bool { return k.kind == o.kind && bytes.Equal(k.b, o.b) }

func (k keyValue) mapKey() string { return string(append([]byte{byte(k.kind)}, k.b...)) }

// keyOf returns the merge key of element e: the value of its member named
// key, which must be a string, number or boolean.
func keyOf(doc *document, e int32, key []byte) (keyValue, bool) {
	n := &doc.nodes[e]
	if n.kind != kObject {
		return keyValue{}, false
	}
	for c := e + 1; c < n.next; c = doc.nodes[c].next {
		if !bytes.Equal(doc.key(c), key) {
			continue
		}
		v := &doc.nodes[c]
		switch v.kind {
		case kString:
			raw := doc.src[v.start+1 : v.end-1]
			if v.esc {
				raw = appendUnquoted(nil, raw)
			}
			return keyValue{kString, raw}, true
		case kNumber, kTrue, kFalse:
			return keyValue{v.kind, doc.src[v.start:v.end]}, true
		}
		return keyValue{}, false
	}
	return keyValue{}, false
}

// maxWork bounds the longest-common-subsequence search: about this many
// steps, after which an array is aligned position by position.
const maxWork = 1 << 22

// alignUnkeyed pairs equal elements along a longest common subsequence,
// then pairs the remaining elements between two kept ones position by
// position, so that a changed element is edited in place rather than
// removed and added.
func alignUnkeyed(da *document, ae []int32, db *document, be []int32, match, used []int32) {
	n, m := len(ae), len(be)
	pre := 0
	for pre < n && pre < m && equalNodes(da, ae[pre], db, be[pre]) {
		match[pre], used[pre] = int32(pre)|sameFlag, 1
		pre++
	}
	suf := 0
	for suf < n-pre && suf < m-pre && equalNodes(da, ae[n-1-suf], db, be[m-1-suf]) {
		match[m-1-suf], used[n-1-suf] = int32(n-1-suf)|sameFlag, 1
		suf++
	}
	am, bm := ae[pre:n-suf], be[pre:m-suf]
	pair := func(i, j int) { // positions in am, bm
		match[pre+j], used[pre+i] = int32(pre+i), 1
	}
	if len(am) == 0 || len(bm) == 0 {
		return
	}
	if len(am) == 1 || len(bm) == 1 {
		// One element on a side: keep an equal one if there is one, else
		// edit the first in place.
		for i := range am {
			for j := range bm {
				if equalNodes(da, am[i], db, bm[j]) {
					match[pre+j], used[pre+i] = int32(pre+i)|sameFlag, 1
					return
				}
			}
		}
		pair(0, 0)
		return
	}
	ids := classify(da, am, db, bm)
	maxD := min(maxWork/(len(am)+len(bm)), 1024)
	lcs, ok := myers(ids[:len(am)], ids[len(am):], maxD)
	if !ok {
		for k := range min(len(am), len(bm)) {
			pair(k, k)
		}
		return
	}
	pi, pj := 0, 0
	for _, p := range append(lcs, [2]int32{int32(len(am)), int32(len(bm))}) {
		x, y := int(p[0]), int(p[1])
		for k := range min(x-pi, y-pj) {
			pair(pi+k, pj+k)
		}
		if x < len(am) {
			match[pre+y], used[pre+x] = int32(pre+x)|sameFlag, 1
		}
		pi, pj = x+1, y+1
	}
}

// classify gives each element of am and bm an integer id, equal ids for
// equal values: a hash narrows the candidates, equalNodes decides.
func classify(da *document, am []int32, db *document, bm []int32) []int32 {
	// Each class has a representative; classes with the same hash are
	// chained through next (index in reps, -1 ends).
	type rep struct {
		doc  *document
		n    int32
		next int32
	}
	ids := make([]int32, len(am)+len(bm))
	reps := make([]rep, 0, len(am))
	head := make(map[uint64]int32, len(am)+len(bm))
	add := func(doc *document, e int32) int32 {
		h := hashNode(doc, e)
		first, ok := head[h]
		if ok {
			for r := first; r >= 0; r = reps[r].next {
				if equalNodes(reps[r].doc, reps[r].n, doc, e) {
					return r
				}
			}
		} else {
			first = -1
		}
		reps = append(reps, rep{doc, e, first})
		id := int32(len(reps) - 1)
		head[h] = id
		return id
	}
	for i, e := range am {
		ids[i] = add(da, e)
	}
	for j, e := range bm {
		ids[len(am)+j] = add(db, e)
	}
	return ids
}

// myers returns the pairs (x, y), in order, of a longest common subsequence
// of A and B, using Myers' O((N+M)D) algorithm. It gives up, reporting
// false, when the edit distance exceeds maxD.
func myers(A, B []int32, maxD int) ([][2]int32, bool) {
	N, M := int32(len(A)), int32(len(B))
	off := int32(maxD + 1)
	v := make([]int32, 2*maxD+3)
	var trace []int32 // step d holds v[-d..d] at offset d*d
	D := -1
search:
	for d := int32(0); d <= int32(maxD); d++ {
		for k := -d; k <= d; k += 2 {
			var x int32
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = v[off+k+1]
			} else {
				x = v[off+k-1] + 1
			}
			y := x - k
			for x < N && y < M && A[x] == B[y] {
				x++
				y++
			}
			v[off+k] = x
			if x >= N && y >= M {
				D = int(d)
				break search
			}
		}
		trace = append(trace, v[off-d:off+d+1]...)
	}
	if D < 0 {
		return nil, false
	}
	var out [][2]int32
	x, y := N, M
	for d := int32(D); d > 0; d-- {
		prev := trace[(d-1)*(d-1) : d*d] // v[-(d-1)..d-1] after step d-1
		get := func(k int32) int32 { return prev[k+d-1] }
		k := x - y
		var pk int32
		if k == -d || (k != d && get(k-1) < get(k+1)) {
			pk = k + 1
		} else {
			pk = k - 1
		}
		px := get(pk)
		sx := px // start of the snake after the edit
		if pk == k-1 {
			sx = px + 1
		}
		for x > sx {
			x--
			y--
			out = append(out, [2]int32{x, y})
		}
		x, y = px, px-pk
	}
	for x > 0 {
		x--
		y--
		out = append(out, [2]int32{x, y})
	}
	slices.Reverse(out)
	return out, true
}

// stringsEqual compares two string nodes by their decoded contents.
func stringsEqual(da *document, ai int32, db *document, bi int32) bool {
	a, b := &da.nodes[ai], &db.nodes[bi]
	ra, rb := da.src[a.start+1:a.end-1], db.src[b.start+1:b.end-1]
	if !a.esc && !b.esc {
		return bytes.Equal(ra, rb)
	}
	if a.esc {
		ra = appendUnquoted(nil, ra)
	}
	if b.esc {
		rb = appendUnquoted(nil, rb)
	}
	return bytes.Equal(ra, rb)
}

// equalNodes reports whether two values are equal as JSON: objects
// regardless of member order, strings by decoded contents, numbers by their
// literal text.
func equalNodes(da *document, ai int32, db *document, bi int32) bool {
	a, b := &da.nodes[ai], &db.nodes[bi]
	if a.kind != b.kind {
		return false
	}
	if bytes.Equal(da.src[a.start:a.end], db.src[b.start:b.end]) {
		return true
	}
	switch a.kind {
	case kNull, kTrue, kFalse:
		return true
	case kNumber:
		return false
	case kString:
		return stringsEqual(da, ai, db, bi)
	case kArray:
		if a.count != b.count {
			return false
		}
		for x, y := ai+1, bi+1; x < a.next; x, y = da.nodes[x].next, db.nodes[y].next {
			if !equalNodes(da, x, db, y) {
				return false
			}
		}
		return true
	}
	if a.count != b.count {
		return false
	}
	// Objects: keys are unique (parse refuses duplicates), so equal counts
	// and every member of a found equal in b is equality.
	if a.count > 16 {
		return equalLargeObjects(da, ai, db, bi)
	}
	for x := ai + 1; x < a.next; x = da.nodes[x].next {
		key := da.key(x)
		found := false
		for y := bi + 1; y < b.next; y = db.nodes[y].next {
			if bytes.Equal(key, db.key(y)) {
				if !equalNodes(da, x, db, y) {
					return false
				}
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// equalLargeObjects compares two objects of the same size by sorting their
// members by key.
func equalLargeObjects(da *document, ai int32, db *document, bi int32) bool {
	members := func(doc *document, i int32) []int32 {
		var out []int32
		for c := i + 1; c < doc.nodes[i].next; c = doc.nodes[c].next {
			out = append(out, c)
		}
		slices.SortFunc(out, func(x, y int32) int { return bytes.Compare(doc.key(x), doc.key(y)) })
		return out
	}
	am, bm := members(da, ai), members(db, bi)
	for k := range am {
		if !bytes.Equal(da.key(am[k]), db.key(bm[k])) || !equalNodes(da, am[k], db, bm[k]) {
			return false
		}
	}
	return true
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func hashBytes(h uint64, b []byte) uint64 {
	for _, c := range b {
		h ^= uint64(c)
		h *= fnvPrime
	}
	return h
}

func mix(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// hashNode hashes a value consistently with equalNodes: equal values hash
// equal (objects regardless of member order).
func hashNode(doc *document, i int32) uint64 {
	n := &doc.nodes[i]
	h := uint64(fnvOffset) ^ uint64(n.kind)
	switch n.kind {
	case kNumber:
		return mix(hashBytes(h, doc.src[n.start:n.end]))
	case kString:
		raw := doc.src[n.start+1 : n.end-1]
		if n.esc {
			raw = appendUnquoted(nil, raw)
		}
		return mix(hashBytes(h, raw))
	case kArray:
		for c := i + 1; c < n.next; c = doc.nodes[c].next {
			h = mix(h ^ hashNode(doc, c))
		}
		return h
	case kObject:
		var sum uint64
		for c := i + 1; c < n.next; c = doc.nodes[c].next {
			sum += mix(hashBytes(fnvOffset, doc.key(c)) ^ hashNode(doc, c)*fnvPrime)
		}
		return mix(h ^ sum)
	}
	return mix(h)
}
