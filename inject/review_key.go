package inject

import (
	"bytes"
	"encoding/json"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// managedFieldsSpan returns where the value of the raw pod's
// metadata.managedFields is, [start, end), found by the JSON's structure:
// the top-level object must have exactly one member whose name matches
// "metadata" and that member's object exactly one matching "managedFields".
// Names match as encoding/json matches a member to a struct field (after
// unescaping, ignoring case), so the member found is the one Review's
// decoder fills; with two candidates (duplicates, or two spellings) the
// decoder would combine them, and managedFieldsSpan reports false, as it
// does for anything it does not expect. A label or annotation named
// managedFields sits deeper and is never taken for it. raw is meant to be
// valid JSON (the review's decoder checked it); invalid input gives false,
// never a panic.
func managedFieldsSpan(raw []byte) (start, end int, ok bool) {
	ms, me, ok := uniqueMember(raw, 0, "metadata")
	if !ok || raw[ms] != '{' {
		return 0, 0, false
	}
	return uniqueMember(raw[:me], ms, "managedFields")
}

// managedFieldsDecode reports whether v decodes as Review's decoder
// decodes metadata.managedFields, without error.
func managedFieldsDecode(v []byte) bool {
	var mf []metav1.ManagedFieldsEntry
	return json.Unmarshal(v, &mf) == nil
}

// uniqueMember scans the JSON object at raw[at:] (after blanks) and returns
// the span of the value of its only member named name (encoding/json's
// matching); ok is false when no member or several match, or raw is not
// such an object.
func uniqueMember(raw []byte, at int, name string) (start, end int, ok bool) {
	i := skipBlanks(raw, at)
	if i >= len(raw) || raw[i] != '{' {
		return 0, 0, false
	}
	i = skipBlanks(raw, i+1)
	if i < len(raw) && raw[i] == '}' {
		return 0, 0, false
	}
	found := 0
	for {
		if i >= len(raw) || raw[i] != '"' {
			return 0, 0, false
		}
		ke, ok := skipString(raw, i)
		if !ok {
			return 0, 0, false
		}
		key := raw[i:ke]
		i = skipBlanks(raw, ke)
		if i >= len(raw) || raw[i] != ':' {
			return 0, 0, false
		}
		vs := skipBlanks(raw, i+1)
		ve, ok := skipValue(raw, vs)
		if !ok {
			return 0, 0, false
		}
		if memberNamed(key, name) {
			found++
			start, end = vs, ve
		}
		i = skipBlanks(raw, ve)
		if i >= len(raw) {
			return 0, 0, false
		}
		switch raw[i] {
		case ',':
			i = skipBlanks(raw, i+1)
		case '}':
			return start, end, found == 1
		default:
			return 0, 0, false
		}
	}
}

// memberNamed reports whether the quoted JSON string key names the struct
// field name to encoding/json: equal after unescaping, ignoring case as
// bytes.EqualFold does (encoding/json's rule).
func memberNamed(key []byte, name string) bool {
	inner := key[1 : len(key)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return bytes.EqualFold(inner, []byte(name))
	}
	var s string
	if json.Unmarshal(key, &s) != nil {
		return false
	}
	return bytes.EqualFold([]byte(s), []byte(name))
}

func skipBlanks(raw []byte, i int) int {
	for i < len(raw) && (raw[i] == ' ' || raw[i] == '\t' || raw[i] == '\n' || raw[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the JSON string starting at raw[i]:
// the next quote not escaped by an odd run of backslashes.
func skipString(raw []byte, i int) (int, bool) {
	for j := i + 1; j < len(raw); {
		k := bytes.IndexByte(raw[j:], '"')
		if k < 0 {
			return 0, false
		}
		j += k
		n := 0
		for b := j - 1; b > i && raw[b] == '\\'; b-- {
			n++
		}
		if n%2 == 0 {
			return j + 1, true
		}
		j++
	}
	return 0, false
}

// skipValue returns the index after the JSON value starting at raw[i].
func skipValue(raw []byte, i int) (int, bool) {
	if i >= len(raw) {
		return 0, false
	}
	switch raw[i] {
	case '"':
		return skipString(raw, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(raw); j++ {
			switch raw[j] {
			case '"':
				e, ok := skipString(raw, j)
				if !ok {
					return 0, false
				}
				j = e - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, true
				}
			}
		}
		return 0, false
	}
	j := i
	for j < len(raw) && !isDelimiter(raw[j]) {
		j++
	}
	return j, j > i
}

// isDelimiter reports whether c ends a JSON number or literal.
func isDelimiter(c byte) bool {
	switch c {
	case ',', '}', ']', ' ', '\t', '\r', '\n':
		return true
	}
	return false
}
