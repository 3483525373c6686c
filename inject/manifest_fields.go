package inject

import (
	"encoding"
	"encoding/json"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	goyaml "sigs.k8s.io/yaml/goyaml.v2"
)

// Istio decodes a manifest leniently: a field the typed object does not
// know is dropped, a field named in another case is read as the field, and
// of duplicate keys the later wins. kinject decodes the same way, and says
// so for each field.

// duplicateKeys turns yaml.v2's strict-mode errors into one warning per
// duplicate key. ok is false when err is anything else.
func duplicateKeys(err error) (warnings []string, ok bool) {
	var te *goyaml.TypeError
	if !asTypeError(err, &te) || len(te.Errors) == 0 {
		return nil, false
	}
	for _, e := range te.Errors {
		m := duplicateKey.FindStringSubmatch(e)
		if m == nil {
			return nil, false
		}
		warnings = append(warnings, m[1]+": duplicate key "+m[2]+": the later value is used")
	}
	return warnings, true
}

var duplicateKey = regexp.MustCompile(`^(line \d+): key (.*) already set in map$`)

// asTypeError is errors.As for yaml.v2's *TypeError (sigs.k8s.io/yaml
// returns it unwrapped from YAMLToJSONStrict).
func asTypeError(err error, target **goyaml.TypeError) bool {
	te, ok := err.(*goyaml.TypeError)
	if ok {
		*target = te
	}
	return ok
}

// fieldWarnings names what decoding tree (the document's JSON form) into a
// value of type t loses or renames, by encoding/json's rules: members no
// field takes are dropped; members a field takes only by a case-insensitive
// match are read as that field. Paths are JSON paths from the object.
func fieldWarnings(t reflect.Type, tree any) []string {
	var w []string
	walkFields(t, tree, "", &w)
	return w
}

func walkFields(t reflect.Type, v any, path string, w *[]string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(jsonUnmarshalerType) || reflect.PointerTo(t).Implements(textUnmarshalerType) {
		return // the type reads its own JSON
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return
		}
		fields := jsonFields(t)
		for _, k := range slices.Sorted(maps.Keys(m)) {
			at := joinPath(path, k)
			if f, ok := fields[k]; ok {
				walkFields(f, m[k], at, w)
				continue
			}
			if name, f, ok := foldField(fields, k); ok {
				*w = append(*w, at+": read as "+joinPath(path, name)+" (field names match without regard to case)")
				walkFields(f, m[k], joinPath(path, name), w)
				continue
			}
			*w = append(*w, at+": unknown field, dropped (as istioctl drops it)")
		}
	case reflect.Map:
		if m, ok := v.(map[string]any); ok {
			for _, k := range slices.Sorted(maps.Keys(m)) {
				walkFields(t.Elem(), m[k], joinPath(path, k), w)
			}
		}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return // []byte is base64 text
		}
		if l, ok := v.([]any); ok {
			for k, c := range l {
				walkFields(t.Elem(), c, path+"["+strconv.Itoa(k)+"]", w)
			}
		}
	}
}

var (
	jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// jsonFields maps the JSON member names of struct type t to their field
// types, as encoding/json reads them: tag names (or the Go name), "-"
// skipped, embedded structs without a name promoted, the shallower field
// winning a name.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	depth := map[string]int{}
	var walk func(t reflect.Type, d int)
	walk = func(t reflect.Type, d int) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, _, _ := strings.Cut(tag, ",")
			if f.Anonymous && name == "" {
				ft := f.Type
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if ft.Kind() == reflect.Struct {
					walk(ft, d+1)
					continue
				}
			}
			if !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if old, ok := depth[name]; !ok || d < old {
				out[name], depth[name] = f.Type, d
			}
		}
	}
	walk(t, 0)
	return out
}

// foldField finds a field encoding/json takes key for when no name
// matches exactly: one whose name matches without regard to case.
func foldField(fields map[string]reflect.Type, key string) (string, reflect.Type, bool) {
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		if strings.EqualFold(name, key) {
			return name, fields[name], true
		}
	}
	return "", nil, false
}
