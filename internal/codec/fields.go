package codec

import (
	"reflect"
	"slices"
	"strings"
	"unicode"
)

// Field is one JSON member of a struct type, as encoding/json sees it.
type Field struct {
	// Name is the member's JSON name: the tag's name, or the Go name.
	Name string
	// Index leads from the struct to the field (reflect.Value.FieldByIndex),
	// through embedded structs.
	Index []int
	// Type is the field's Go type.
	Type reflect.Type
	// Tagged reports whether Name comes from a json tag.
	Tagged bool
	// OmitEmpty, OmitZero and Quoted are the tag's omitempty, omitzero and
	// string options (Quoted only for the kinds encoding/json quotes).
	OmitEmpty, OmitZero, Quoted bool
	// ViaPointer reports whether Index passes through an embedded pointer:
	// encoding/json skips the member when that pointer is nil, and
	// allocates it when decoding.
	ViaPointer bool
	// MergeKey is the Kubernetes patchMergeKey tag: the member that
	// identifies a list element in a strategic merge.
	MergeKey string
	// Strategies are the Kubernetes patchStrategy tag split at commas
	// ("merge", "replace", "retainKeys").
	Strategies []string
}

// candidate is a field found while walking, before names are resolved.
type candidate struct {
	Field
	depth int
}

// structFields lists the JSON members of struct type t in encoding/json's
// order (by index sequence), following its documented rules:
//
//   - a field tagged "-" and an unexported field are left out; an
//     embedded struct (or pointer to one) without a tag name is walked for
//     its members, even when its type is unexported;
//   - a tag name that is not valid is ignored (the Go name is used);
//   - where several fields share a name, the shallowest wins; among equally
//     shallow ones, a single tagged one wins; otherwise none does (they
//     annihilate, as Go's selector rules would make them ambiguous).
//
// It is the only struct-tag walk in kinject; everything that needs a
// type's JSON shape reads it through Plan.
func structFields(t reflect.Type) []Field {
	// level is a struct type to walk at one depth; times counts how often
	// it is embedded there (more than once makes its members ambiguous).
	type level struct {
		typ        reflect.Type
		index      []int
		viaPointer bool
		times      int
	}
	var found []candidate
	seen := map[reflect.Type]bool{} // walked at a shallower depth
	queue := []level{{typ: t, times: 1}}
	for depth := 0; len(queue) > 0; depth++ {
		var next []level
		at := map[reflect.Type]int{} // position in next
		for _, l := range queue {
			if seen[l.typ] {
				continue
			}
			seen[l.typ] = true
			for i := 0; i < l.typ.NumField(); i++ {
				sf := l.typ.Field(i)
				ft, ptr := sf.Type, false
				if sf.Anonymous && ft.Kind() == reflect.Pointer {
					ft, ptr = ft.Elem(), true
				}
				if !sf.IsExported() && !(sf.Anonymous && ft.Kind() == reflect.Struct) {
					continue
				}
				tag := sf.Tag.Get("json")
				if tag == "-" {
					continue
				}
				name, opts, _ := strings.Cut(tag, ",")
				if !validName(name) {
					name = ""
				}
				index := append(slices.Clip(l.index), i)
				if sf.Anonymous && name == "" && ft.Kind() == reflect.Struct {
					if k, ok := at[ft]; ok {
						next[k].times++
					} else {
						at[ft] = len(next)
						next = append(next, level{typ: ft, index: index, viaPointer: l.viaPointer || ptr, times: 1})
					}
					continue
				}
				f := Field{
					Name:       name,
					Index:      index,
					Type:       sf.Type,
					Tagged:     name != "",
					OmitEmpty:  hasOption(opts, "omitempty"),
					OmitZero:   hasOption(opts, "omitzero"),
					Quoted:     hasOption(opts, "string") && quotable(sf.Type),
					ViaPointer: l.viaPointer,
					MergeKey:   sf.Tag.Get("patchMergeKey"),
				}
				if f.Name == "" {
					f.Name = sf.Name
				}
				if s := sf.Tag.Get("patchStrategy"); s != "" {
					f.Strategies = strings.Split(s, ",")
				}
				found = append(found, candidate{f, depth})
				if l.times > 1 {
					found = append(found, candidate{f, depth}) // ambiguous at this depth
				}
			}
		}
		queue = next
	}
	return resolveNames(found)
}

// resolveNames keeps, for each name, the field that dominates, and returns
// the survivors in index order.
func resolveNames(found []candidate) []Field {
	slices.SortStableFunc(found, func(a, b candidate) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		if a.depth != b.depth {
			return a.depth - b.depth
		}
		if a.Tagged != b.Tagged {
			if a.Tagged {
				return -1
			}
			return 1
		}
		return slices.Compare(a.Index, b.Index)
	})
	var out []Field
	for i := 0; i < len(found); {
		j := i + 1
		for j < len(found) && found[j].Name == found[i].Name {
			j++
		}
		// found[i] is the shallowest (tagged first); a second one as
		// shallow and as tagged makes the name ambiguous.
		if j-i == 1 || found[i+1].depth != found[i].depth || found[i+1].Tagged != found[i].Tagged {
			out = append(out, found[i].Field)
		}
		i = j
	}
	slices.SortFunc(out, func(a, b Field) int { return slices.Compare(a.Index, b.Index) })
	return out
}

// validName reports whether a tag name is one encoding/json accepts:
// letters, digits and punctuation other than quotes and backslash.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c) {
			continue
		}
		if !unicode.IsLetter(c) && !unicode.IsDigit(c) {
			return false
		}
	}
	return true
}

func hasOption(opts, want string) bool {
	for opts != "" {
		var o string
		o, opts, _ = strings.Cut(opts, ",")
		if o == want {
			return true
		}
	}
	return false
}

// quotable reports whether the string option applies to a field of type t
// (through one unnamed pointer): booleans, numbers and strings.
func quotable(t reflect.Type) bool {
	if t.Name() == "" && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Bool, reflect.String, reflect.Float32, reflect.Float64,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return true
	}
	return false
}
