package inject

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"github.com/kinject/kinject/internal/codec"
	"github.com/kinject/kinject/internal/yamlout"
)

// listYAML is emitYAML's fast path: the tree written as JSON text (numbers
// as their text) and converted by yamlout.Append, instead of yaml.v2's
// Marshal of the tree. yamlout.Append gives yaml.v2's bytes for the JSON
// decoded with json.Decoder.UseNumber and its numbers resolved by
// yamlout.Numbers, which is the tree emitYAML gives yaml.v2 (block) when
// it needs no placeholder. So listYAML declines (ok false) where emitYAML
// would place one or the text would not decode to the tree: a keptNumber,
// a number yaml.v2 would round, a node at maxBlockDepth or deeper, a
// string or key that is not valid UTF-8 (encoding/json writes U+FFFD), a
// value of another type; and where yamlout.Append declines. emitYAML then
// warns about nothing. It declines with the kinject_reference build tag.
func listYAML(tree any) ([]byte, bool) {
	if !codec.Fast {
		return nil, false
	}
	bp := jsonBufs.Get().(*[]byte)
	defer jsonBufs.Put(bp)
	j, ok := appendTreeJSON((*bp)[:0], tree, 0)
	if !ok {
		return nil, false
	}
	*bp = j[:0]
	return yamlout.Append(nil, j)
}

// appendTreeJSON appends v as JSON for listYAML, or declines.
func appendTreeJSON(b []byte, v any, depth int) ([]byte, bool) {
	switch x := v.(type) {
	case map[string]any:
		if depth >= maxBlockDepth {
			return b, false
		}
		b = append(b, '{')
		first := true
		for k, c := range x {
			if !utf8.ValidString(k) {
				return b, false
			}
			if !first {
				b = append(b, ',')
			}
			first = false
			b = codec.AppendQuote(b, k, 0)
			b = append(b, ':')
			var ok bool
			if b, ok = appendTreeJSON(b, c, depth+1); !ok {
				return b, false
			}
		}
		return append(b, '}'), true
	case []any:
		if depth >= maxBlockDepth {
			return b, false
		}
		b = append(b, '[')
		for k, c := range x {
			if k > 0 {
				b = append(b, ',')
			}
			var ok bool
			if b, ok = appendTreeJSON(b, c, depth+1); !ok {
				return b, false
			}
		}
		return append(b, ']'), true
	case json.Number:
		if f, ok := yamlNumbers(x).(float64); ok && !sameDecimal(string(x), strconv.FormatFloat(f, 'g', -1, 64)) {
			return b, false // kept as written, with a warning
		}
		return append(b, x...), true
	case string:
		if !utf8.ValidString(x) {
			return b, false
		}
		return codec.AppendQuote(b, x, 0), true
	case bool:
		return strconv.AppendBool(b, x), true
	case nil:
		return append(b, "null"...), true
	}
	return b, false
}
