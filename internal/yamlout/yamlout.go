// Package yamlout converts JSON to YAML with the bytes sigs.k8s.io/yaml
// writes (its JSONToYAML and yaml.v2 emitter), several times faster.
//
// JSONToYAML is the conversion kinject's manifest output uses: the JSON of
// a Kubernetes object becomes the YAML istioctl kube-inject prints (keys in
// yaml.v2's natural order, sequences not indented under their key, strings
// quoted where a plain scalar would read as something else, lines folded
// past column 80, numbers typed as yaml.v2 would resolve them). Append is
// the fast path: it writes YAML straight from the JSON text, and declines
// (false) for what it leaves to the reference, Reference: invalid JSON,
// duplicate keys, keys longer than 128 bytes or holding a line break
// (yaml.v2 writes those as complex keys). With the kinject_reference build
// tag it always declines.
//
// Traps: the output is yaml.v2's, not yaml.v3's (which indents sequences
// and folds nothing); numbers too large for int64, uint64 and float64 are
// printed as their JSON text.
package yamlout

import (
	"bytes"
	"encoding/json"
	"strconv"

	goyaml "sigs.k8s.io/yaml/goyaml.v2"

	"github.com/kinject/kinject/internal/codec"
)

// JSONToYAML converts one JSON document to YAML as Reference does.
func JSONToYAML(j []byte) ([]byte, error) {
	if out, ok := Append(nil, j); ok {
		return out, nil
	}
	return Reference(j)
}

// Append appends Reference(j)'s bytes to dst; ok is false (dst returned
// unchanged) where it declines.
func Append(dst, j []byte) (_ []byte, ok bool) {
	if !codec.Fast {
		return dst, false
	}
	n, p, ok := parseJSON(j)
	defer p.release()
	if !ok || !sortMembers(&n) {
		return dst, false
	}
	b := dst
	if b == nil {
		// The YAML of an object's JSON is about as long.
		b = make([]byte, 0, len(j)+len(j)/8)
	}
	e := &emitter{b: b, ok: true}
	e.document(&n)
	if !e.ok {
		return dst, false
	}
	return e.b, true
}

// Reference is the conversion Append must equal: the JSON decoded with
// encoding/json, its numbers given the Go types yaml.v2 would resolve them
// to (int, int64, uint64, float64, or the text itself when out of range),
// then yaml.v2's Marshal. It is what sigs.k8s.io/yaml.JSONToYAML prints
// for a Kubernetes object, about twice as fast.
func Reference(j []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return goyaml.Marshal(Numbers(v))
}

// Numbers replaces every json.Number in v (a tree decoded with
// json.Decoder.UseNumber), in place, by the value yaml.v2 resolves the
// plain scalar to: an int, int64, uint64 or float64, or the text itself
// when no number type holds it. It returns v (or the replaced value when v
// is itself a json.Number).
func Numbers(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = Numbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = Numbers(e)
		}
	case json.Number:
		s := string(x)
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			if i == int64(int(i)) {
				return int(i)
			}
			return i
		}
		if u, err := strconv.ParseUint(s, 10, 64); err == nil {
			return u
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f
		}
		return s
	}
	return v
}
