package inject

import (
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	goyaml "sigs.k8s.io/yaml/goyaml.v2"

	"github.com/kinject/kinject/internal/codec"
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
// value of type t loses or renames, by encoding/json's rules (the struct
// walk is internal/codec's): members no field takes are dropped; members a
// field takes only by a case-insensitive match are read as that field.
// Paths are JSON paths from the object.
func fieldWarnings(t reflect.Type, tree any) []string {
	var w []string
	walkFields(codec.PlanOf(t), tree, "", &w)
	return w
}

func walkFields(p *codec.Plan, v any, path string, w *[]string) {
	p = p.Deref()
	if p == nil || p.Unmarshal != codec.NoMethod {
		return // the type reads its own JSON
	}
	switch p.Kind {
	case codec.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return
		}
		for _, k := range slices.Sorted(maps.Keys(m)) {
			at := joinPath(path, k)
			if f := p.FieldByName(k); f != nil {
				walkFields(f.Plan, m[k], at, w)
				continue
			}
			if f := foldField(p, k); f != nil {
				*w = append(*w, at+": read as "+joinPath(path, f.Name)+" (field names match without regard to case)")
				walkFields(f.Plan, m[k], joinPath(path, f.Name), w)
				continue
			}
			*w = append(*w, at+": unknown field, dropped (as istioctl drops it)")
		}
	case codec.Map:
		if m, ok := v.(map[string]any); ok {
			for _, k := range slices.Sorted(maps.Keys(m)) {
				walkFields(p.Elem, m[k], joinPath(path, k), w)
			}
		}
	case codec.Slice:
		if l, ok := v.([]any); ok {
			for k, c := range l {
				walkFields(p.Elem, c, path+"["+strconv.Itoa(k)+"]", w)
			}
		}
	}
}

// foldField is the field encoding/json takes key for when no name matches
// exactly: the first, in the struct's order, whose name matches without
// regard to case.
func foldField(p *codec.Plan, key string) *codec.FieldPlan {
	for k := range p.Fields {
		if strings.EqualFold(p.Fields[k].Name, key) {
			return &p.Fields[k]
		}
	}
	return nil
}
