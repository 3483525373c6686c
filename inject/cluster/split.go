package cluster

import (
	"bytes"
	"regexp"
	"strings"
)

var (
	topListKind = regexp.MustCompile(`^kind:\s*["']?[A-Za-z]*List["']?\s*$`)
	itemsKey    = regexp.MustCompile(`^items:\s*(\[\s*\])?\s*$`)
)

// splitYAMLList splits a List document as kubectl prints it in YAML (a
// top-level kind ending in List and a block sequence under items:) into
// its items, each a standalone YAML document, without parsing the YAML.
// Converting item by item keeps a syntax error to one item and spares
// converting one huge document. It reports false when the document does
// not have that shape, and the caller converts it whole.
func splitYAMLList(doc []byte) ([]textPart, bool) {
	lines := bytes.SplitAfter(doc, []byte("\n"))
	isList, itemsAt, empty := false, -1, false
	for i, line := range lines {
		text := strings.TrimRight(string(line), "\r\n")
		if topListKind.MatchString(text) {
			isList = true
		}
		if m := itemsKey.FindStringSubmatch(text); m != nil && itemsAt < 0 {
			itemsAt, empty = i, m[1] != ""
		}
	}
	if !isList || itemsAt < 0 {
		return nil, false
	}
	if empty {
		return []textPart{}, true
	}
	indent := -1
	var items []textPart
	var cur *bytes.Buffer
	curLine := 0
	for n, line := range lines[itemsAt+1:] {
		text := strings.TrimRight(string(line), "\r\n")
		trimmed := strings.TrimLeft(text, " ")
		lead := len(text) - len(trimmed)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") && (cur == nil || lead < indent+2) {
			if cur != nil && len(line) > 0 {
				cur.WriteString("\n")
			}
			continue
		}
		if indent < 0 {
			if !strings.HasPrefix(trimmed, "-") {
				return nil, false
			}
			indent = lead
		}
		switch {
		case lead == indent && (trimmed == "-" || strings.HasPrefix(trimmed, "- ")):
			if cur != nil {
				items = append(items, textPart{cur.Bytes(), curLine})
			}
			cur, curLine = &bytes.Buffer{}, itemsAt+1+n
			if rest := strings.TrimPrefix(trimmed, "-"); strings.TrimSpace(rest) != "" {
				cur.WriteString(rest[1:])
				cur.WriteString("\n")
			}
		case lead >= indent+2 && cur != nil:
			cur.WriteString(text[indent+2:])
			cur.WriteString("\n")
		case lead == 0 && indent == 0 || lead < indent:
			// A top-level key after the items: the sequence is over.
			if cur != nil {
				items = append(items, textPart{cur.Bytes(), curLine})
				cur = nil
			}
			return items, true
		default:
			return nil, false
		}
	}
	if cur != nil {
		items = append(items, textPart{cur.Bytes(), curLine})
	}
	return items, true
}

// textPart is a document of a stream, or an item of a List, and the line
// it starts on: from 1 for documents, from 0 (relative to its document)
// for items.
type textPart struct {
	text []byte
	line int
}

// splitDocuments splits a YAML stream at its "---" lines (a separator may
// carry a comment), keeping each document's first line number.
func splitDocuments(data []byte) []textPart {
	var docs []textPart
	start, startLine, line := 0, 1, 1
	for pos := 0; pos < len(data); line++ {
		end := bytes.IndexByte(data[pos:], '\n')
		next := len(data)
		if end >= 0 {
			next = pos + end + 1
		}
		text := strings.TrimRight(string(data[pos:next]), "\r\n")
		if rest, ok := strings.CutPrefix(text, "---"); ok && (strings.TrimSpace(rest) == "" || strings.HasPrefix(strings.TrimSpace(rest), "#")) {
			docs = append(docs, textPart{data[start:pos], startLine})
			start, startLine = next, line+1
		}
		pos = next
	}
	return append(docs, textPart{data[start:], startLine})
}

var (
	identityKind = regexp.MustCompile(`^kind:\s*["']?([A-Za-z0-9]+)["']?\s*$`)
	identityMeta = regexp.MustCompile(`^  (name|namespace):\s*["']?([^"'#\s]+)["']?\s*$`)
)

// guessIdentity reads, line by line, the kind, namespace and name of an
// object whose YAML does not parse, so the error can still name it.
func guessIdentity(doc []byte) (kind, namespace, name string) {
	inMeta := false
	for _, line := range strings.Split(string(doc), "\n") {
		line = strings.TrimRight(line, "\r")
		if m := identityKind.FindStringSubmatch(line); m != nil {
			kind = m[1]
		}
		if line != "" && line[0] != ' ' && line[0] != '#' {
			inMeta = strings.HasPrefix(line, "metadata:")
			continue
		}
		if m := identityMeta.FindStringSubmatch(line); inMeta && m != nil {
			if m[1] == "name" {
				name = m[2]
			} else {
				namespace = m[2]
			}
		}
	}
	return kind, namespace, name
}
