package patch

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestDiff(t *testing.T) {
	tests := []struct {
		name, reason       string
		original, modified string
		want               string // the patch, compact
	}{
		{
			name: "equal", reason: "identical documents need no operation",
			original: `{"a":[1,{"b":null}]}`, modified: `{"a":[1,{"b":null}]}`,
			want: `[]`,
		},
		{
			name: "equal-modulo-format", reason: "member order, whitespace and string escapes are not changes",
			original: `{"a":1,"b":"A\/"}`, modified: "{ \"b\" : \"\\u0041/\",\n \"a\" : 1 }",
			want: `[]`,
		},
		{
			name: "empty-containers-spaced", reason: "{} and [] written with spaces are still empty: no operation",
			original: `{"a":{},"b":[],"c":[{}]}`, modified: `{"a":{ },"b":[ ],"c":[ { } ]}`,
			want: `[]`,
		},
		{
			name: "scalar-member", reason: "a changed member is one replace; others are untouched",
			original: `{"a":1,"b":2,"c":3}`, modified: `{"a":1,"b":5,"c":3}`,
			want: `[{"op":"replace","path":"/b","value":5}]`,
		},
		{
			name: "add-remove-members", reason: "members are visited in key order",
			original: `{"a":1,"b":{"x":"long enough to not be replaced whole"},"c":3}`,
			modified: `{"b":{"x":"long enough to not be replaced whole"},"d":4,"a":1}`,
			want:     `[{"op":"remove","path":"/c"},{"op":"add","path":"/d","value":4}]`,
		},
		{
			name: "escaped-keys", reason: "RFC 6901: ~ is ~0 and / is ~1 in a path",
			original: `{"a/b":{"c~d":1,"keep":"this value is long enough"}}`,
			modified: `{"a/b":{"c~d":2,"keep":"this value is long enough"}}`,
			want:     `[{"op":"replace","path":"/a~1b/c~0d","value":2}]`,
		},
		{
			name: "empty-key", reason: "the empty key is a valid member name, path /",
			original: `{"":1,"keep":"a long value that stays"}`, modified: `{"":2,"keep":"a long value that stays"}`,
			want: `[{"op":"replace","path":"/","value":2}]`,
		},
		{
			name: "empty-key-not-descended", reason: "a path through a member named \"\" is misread by evanphx/json-patch: the member is set whole",
			original: `{"":{"a":1,"b":"a long value that stays"}}`, modified: `{"":{"a":2,"b":"a long value that stays"}}`,
			want: `[{"op":"replace","path":"/","value":{"a":2,"b":"a long value that stays"}}]`,
		},
		{
			name: "to-null", reason: "a null value survives as null",
			original: `{"a":1,"keep":"a long value that stays"}`, modified: `{"a":null,"keep":"a long value that stays"}`,
			want: `[{"op":"replace","path":"/a","value":null}]`,
		},
		{
			name: "from-null", reason: "a member that was null is set with add, which works when the raw document lacks it",
			original: `{"a":null,"keep":"a long value that stays"}`, modified: `{"a":{"x":1},"keep":"a long value that stays"}`,
			want: `[{"op":"add","path":"/a","value":{"x":1}}]`,
		},
		{
			name: "from-empty-object", reason: "typed conversions write resources: {}; setting it whole applies with or without it",
			original: `{"resources":{},"keep":"a long value that stays"}`,
			modified: `{"resources":{"limits":{"cpu":"2"}},"keep":"a long value that stays"}`,
			want:     `[{"op":"add","path":"/resources","value":{"limits":{"cpu":"2"}}}]`,
		},
		{
			name: "type-change", reason: "an object that becomes an array is replaced",
			original: `{"a":{"b":1},"keep":"a long value that stays"}`, modified: `{"a":[1],"keep":"a long value that stays"}`,
			want: `[{"op":"replace","path":"/a","value":[1]}]`,
		},
		{
			name: "root-scalar", reason: "two scalars differ as a whole",
			original: `1`, modified: `"one"`,
			want: `[{"op":"replace","path":"","value":"one"}]`,
		},
		{
			name: "root-smaller-whole", reason: "replacing everything is smaller than two edits",
			original: `{"a":1}`, modified: `{"b":2}`,
			want: `[{"op":"replace","path":"","value":{"b":2}}]`,
		},
		{
			name: "big-number", reason: "numbers are compared and copied as text: no float64 rounding",
			original: `{"n":12345678901234567890123,"keep":"a long value that stays"}`,
			modified: `{"n":12345678901234567890124,"keep":"a long value that stays"}`,
			want:     `[{"op":"replace","path":"/n","value":12345678901234567890124}]`,
		},
		{
			name: "number-spelling", reason: "1.0 and 1 are different texts; the modified one is kept exactly",
			original: `{"n":1.0,"keep":"a long value that stays"}`, modified: `{"n":1,"keep":"a long value that stays"}`,
			want: `[{"op":"replace","path":"/n","value":1}]`,
		},
		{
			name: "unicode", reason: "keys and values outside ASCII are copied as UTF-8",
			original: `{"名前":"値","keep":"a long value that stays"}`, modified: `{"名前":"新しい値","keep":"a long value that stays"}`,
			want: `[{"op":"replace","path":"/名前","value":"新しい値"}]`,
		},
		{
			name: "control-chars-in-key", reason: "a key with quotes and newlines is escaped in the path string",
			original: `{"a\"\n":1,"keep":"a long value that stays"}`, modified: `{"a\"\n":2,"keep":"a long value that stays"}`,
			want: `[{"op":"replace","path":"/a\"\n","value":2}]`,
		},
		{
			name: "insert-front", reason: "an element inserted first is one add",
			original: `["alpha","bravo","charlie","delta"]`, modified: `["zulu","alpha","bravo","charlie","delta"]`,
			want: `[{"op":"add","path":"/0","value":"zulu"}]`,
		},
		{
			name: "insert-middle", reason: "an element inserted anywhere is one add",
			original: `["alpha","bravo","charlie","delta"]`, modified: `["alpha","bravo","zulu","charlie","delta"]`,
			want: `[{"op":"add","path":"/2","value":"zulu"}]`,
		},
		{
			name: "append", reason: "an appended element uses /-",
			original: `["alpha","bravo","charlie","delta"]`, modified: `["alpha","bravo","charlie","delta","echo"]`,
			want: `[{"op":"add","path":"/-","value":"echo"}]`,
		},
		{
			name: "remove-several", reason: "removals go from the highest index down so indices stay valid",
			original: `["alpha","bravo","charlie","delta","echo"]`, modified: `["alpha","charlie","echo"]`,
			want: `[{"op":"remove","path":"/3"},{"op":"remove","path":"/1"}]`,
		},
		{
			name: "change-in-place", reason: "a changed element between kept ones is edited, not removed and added",
			original: `["alpha","bravo","charlie","delta"]`, modified: `["alpha","BRAVO","charlie","delta"]`,
			want: `[{"op":"replace","path":"/1","value":"BRAVO"}]`,
		},
		{
			name: "nested-edit", reason: "a changed member deep in an array element is edited at its path",
			original: `{"items":[{"id":"a","spec":{"size":1,"color":"red"}},{"id":"b","spec":{"size":2,"color":"blue"}}]}`,
			modified: `{"items":[{"id":"a","spec":{"size":1,"color":"red"}},{"id":"b","spec":{"size":3,"color":"blue"}}]}`,
			want:     `[{"op":"replace","path":"/items/1/spec/size","value":3}]`,
		},
		{
			name: "nested-arrays", reason: "arrays inside arrays are aligned at each level",
			original: `[[1,2,3],["x","y"],[true]]`, modified: `[[1,2,3],["x","new","y"],[true]]`,
			want: `[{"op":"add","path":"/1/1","value":"new"}]`,
		},
		{
			name: "array-whole", reason: "when every element changes, one replace is smaller",
			original: `{"a":[1,2,3],"keep":"a long value that stays"}`, modified: `{"a":[4,5,6],"keep":"a long value that stays"}`,
			want: `[{"op":"replace","path":"/a","value":[4,5,6]}]`,
		},
		{
			name: "array-emptied", reason: "removing every element is smaller as one replace",
			original: `{"a":[1,2,3],"keep":"a long value that stays"}`, modified: `{"a":[],"keep":"a long value that stays"}`,
			want: `[{"op":"replace","path":"/a","value":[]}]`,
		},
		{
			name: "array-from-empty", reason: "an empty array member is set whole with add",
			original: `{"a":[],"keep":"a long value that stays"}`, modified: `{"a":[1,2],"keep":"a long value that stays"}`,
			want: `[{"op":"add","path":"/a","value":[1,2]}]`,
		},
		{
			name: "swap", reason: "without a key, a swap keeps one element and moves the other by remove and add",
			original: `["a long element number one","a long element number two"]`,
			modified: `["a long element number two","a long element number one"]`,
			want:     `[{"op":"remove","path":"/0"},{"op":"add","path":"/-","value":"a long element number one"}]`,
		},
		{
			name: "unordered-object-elements", reason: "elements equal up to member order are kept",
			original: `[{"a":1,"b":2},{"c":3}]`, modified: `[{"b":2,"a":1},{"c":4}]`,
			want: `[{"op":"replace","path":"/1/c","value":4}]`,
		},
		{
			name: "html-not-escaped", reason: "values are copied as written, <>& included",
			original: `{"a":"x","keep":"a long value that stays"}`, modified: `{"a":"<b>&</b>","keep":"a long value that stays"}`,
			want: `[{"op":"replace","path":"/a","value":"<b>&</b>"}]`,
		},
		{
			name: "whitespace-compacted", reason: "values are emitted compact whatever the input's layout",
			original: `{"a":1,"keep":"a long value that stays"}`, modified: "{\"a\": [ 1 ,\n 2 ],\"keep\":\"a long value that stays\"}",
			want: `[{"op":"replace","path":"/a","value":[1,2]}]`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Diff([]byte(tt.original), []byte(tt.modified))
			if err != nil {
				t.Fatalf("%s: %v", tt.reason, err)
			}
			if got := p.String(); got != tt.want {
				t.Errorf("%s\n got %s\nwant %s", tt.reason, got, tt.want)
			}
			roundTrip(t, p, []byte(tt.original), []byte(tt.modified))
		})
	}
}

func TestDiffPod(t *testing.T) {
	const (
		app   = `{"name":"app","image":"registry.example/app:1.0","ports":[{"containerPort":8080}]}`
		proxy = `{"name":"istio-proxy","image":"proxyv2:1.28"}`
		side  = `{"name":"side","image":"registry.example/side:2.0"}`
	)
	pod := func(containers ...string) string {
		return `{"metadata":{"name":"web"},"spec":{"containers":[` + strings.Join(containers, ",") + `]}}`
	}
	tests := []struct {
		name, reason       string
		original, modified string
		want               string
	}{
		{
			name: "container-front", reason: "a container inserted first is one add, the others are not touched",
			original: pod(app, side), modified: pod(proxy, app, side),
			want: `[{"op":"add","path":"/spec/containers/0","value":` + proxy + `}]`,
		},
		{
			name: "container-end", reason: "a container appended is one add with /-",
			original: pod(app), modified: pod(app, proxy),
			want: `[{"op":"add","path":"/spec/containers/-","value":` + proxy + `}]`,
		},
		{
			name: "container-reordered", reason: "containers keep their identity: a reorder is a move, not edits of every field",
			original: pod(app, side, proxy), modified: pod(proxy, app, side),
			want: `[{"op":"move","path":"/spec/containers/0","from":"/spec/containers/2"}]`,
		},
		{
			name: "container-renamed", reason: "a different name is a different container: removed and added, never edited into another",
			original: pod(app, `{"name":"old","image":"i"}`), modified: pod(app, `{"name":"new","image":"i"}`),
			want: `[{"op":"remove","path":"/spec/containers/1"},{"op":"add","path":"/spec/containers/-","value":{"name":"new","image":"i"}}]`,
		},
		{
			name: "container-removed-and-added", reason: "removal first, from the old positions, then the insertion",
			original: pod(side, app), modified: pod(app, proxy),
			want: `[{"op":"remove","path":"/spec/containers/0"},{"op":"add","path":"/spec/containers/-","value":` + proxy + `}]`,
		},
		{
			name: "port-keyed", reason: "ports are keyed by containerPort",
			original: pod(`{"name":"app","ports":[{"containerPort":80,"name":"http"},{"containerPort":443,"name":"https"}]}`),
			modified: pod(`{"name":"app","ports":[{"containerPort":443,"name":"https"},{"containerPort":80,"name":"web"}]}`),
			want:     `[{"op":"move","path":"/spec/containers/0/ports/0","from":"/spec/containers/0/ports/1"},{"op":"replace","path":"/spec/containers/0/ports/1/name","value":"web"}]`,
		},
		{
			name: "port-duplicate-key", reason: "port 53 twice (TCP and UDP) makes containerPort ambiguous: the list is aligned without key",
			original: pod(`{"name":"app","ports":[{"containerPort":53,"protocol":"TCP"},{"containerPort":53,"protocol":"UDP"}]}`),
			modified: pod(`{"name":"app","ports":[{"containerPort":53,"protocol":"TCP"},{"containerPort":53,"protocol":"UDP"},{"containerPort":80}]}`),
			want:     `[{"op":"add","path":"/spec/containers/0/ports/-","value":{"containerPort":80}}]`,
		},
		{
			name: "env-changed", reason: "env is keyed by name: one changed value is one replace",
			original: pod(`{"name":"app","env":[{"name":"A","value":"1"},{"name":"B","value":"2"},{"name":"C","value":"3"}]}`),
			modified: pod(`{"name":"app","env":[{"name":"A","value":"1"},{"name":"B","value":"two"},{"name":"C","value":"3"}]}`),
			want:     `[{"op":"replace","path":"/spec/containers/0/env/1/value","value":"two"}]`,
		},
		{
			name: "mount-keyed-by-path", reason: "volumeMounts are keyed by mountPath: a new path is a new mount",
			original: pod(`{"name":"app","volumeMounts":[{"name":"data","mountPath":"/data"},{"name":"tmp","mountPath":"/tmp"}]}`),
			modified: pod(`{"name":"app","volumeMounts":[{"name":"data","mountPath":"/srv"},{"name":"tmp","mountPath":"/tmp"}]}`),
			want:     `[{"op":"remove","path":"/spec/containers/0/volumeMounts/0"},{"op":"add","path":"/spec/containers/0/volumeMounts/0","value":{"name":"data","mountPath":"/srv"}}]`,
		},
		{
			name: "struct-not-replaced", reason: "a struct object (metadata) is edited member by member even when a replace would be smaller",
			original: `{"metadata":{"name":"a","namespace":"b"}}`, modified: `{"metadata":{"name":"c","namespace":"d"}}`,
			want: `[{"op":"replace","path":"/metadata/name","value":"c"},{"op":"replace","path":"/metadata/namespace","value":"d"}]`,
		},
		{
			name: "map-replaced", reason: "a map (labels) has no unknown fields to lose: replaced when smaller",
			original: `{"metadata":{"labels":{"a":"1","b":"2"}}}`, modified: `{"metadata":{"labels":{"a":"3","b":"4"}}}`,
			want: `[{"op":"replace","path":"/metadata/labels","value":{"a":"3","b":"4"}}]`,
		},
		{
			name: "keyed-list-kept", reason: "a keyed list with a matched element is edited, not rewritten whole",
			original: pod(`{"name":"a"}`), modified: pod(`{"name":"a","image":"x"}`, `{"name":"b"}`, `{"name":"c"}`),
			want: `[{"op":"add","path":"/spec/containers/-","value":{"name":"b"}},{"op":"add","path":"/spec/containers/-","value":{"name":"c"}},{"op":"add","path":"/spec/containers/0/image","value":"x"}]`,
		},
		{
			name: "annotation-key-slash", reason: "annotation keys with / are escaped as ~1",
			original: `{"metadata":{"annotations":{"a":"a long value that stays put"}}}`,
			modified: `{"metadata":{"annotations":{"a":"a long value that stays put","sidecar.istio.io/status":"{}"}}}`,
			want:     `[{"op":"add","path":"/metadata/annotations/sidecar.istio.io~1status","value":"{}"}]`,
		},
		{
			name: "injection-value", reason: "an annotation holding newlines, quotes and }} is one string value, nothing more",
			original: `{"metadata":{"annotations":{"a":"a long value that stays put"}}}`,
			modified: `{"metadata":{"annotations":{"a":"a long value that stays put","x":"}}\"\n,{\"op\":\"remove\",\"path\":\"/spec\"}"}}}`,
			want:     `[{"op":"add","path":"/metadata/annotations/x","value":"}}\"\n,{\"op\":\"remove\",\"path\":\"/spec\"}"}]`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := DiffPod([]byte(tt.original), []byte(tt.modified))
			if err != nil {
				t.Fatalf("%s: %v", tt.reason, err)
			}
			if got := p.String(); got != tt.want {
				t.Errorf("%s\n got %s\nwant %s", tt.reason, got, tt.want)
			}
			roundTrip(t, p, []byte(tt.original), []byte(tt.modified))
		})
	}
}

func TestDiffErrors(t *testing.T) {
	tests := []struct {
		name, reason       string
		original, modified string
		want               string // substring of the error
	}{
		{"empty", "an empty document is not JSON", ``, `{}`, "original document: invalid JSON at line 1, column 1 (offset 0): empty document"},
		{"truncated", "the error says which document", `{}`, `{"a":`, "modified document: invalid JSON at line 1, column 6 (offset 5): unexpected end of input"},
		{"bad-char", "the position is line and column", `{}`, "{\n  \"a\": x}", "modified document: invalid JSON at line 2, column 8 (offset 9): unexpected character 'x' looking for a value"},
		{"trailing", "one value per document", `{} {}`, `{}`, "unexpected character '{' after top-level value"},
		{"duplicate-key", "a duplicate key is ambiguous", `{"a":1,"a":2}`, `{}`, `duplicate key "a" in object`},
		{"duplicate-escaped-key", "keys compare decoded", `{"a":1,"\u0061":2}`, `{}`, `duplicate key "a" in object`},
		{"invalid-utf8", "strings must be UTF-8", "{\"a\":\"\xff\"}", `{}`, "invalid UTF-8 in string"},
		{"control-char", "raw control characters are not allowed in strings", "{\"a\":\"\x01\"}", `{}`, "control character 0x01 in string"},
		{"bad-escape", "only JSON escapes", `"\x"`, `{}`, `invalid escape "\\x" in string`},
		{"bad-number", "a number needs digits", `{"a":-}`, `{}`, "invalid number: expected a digit"},
		{"leading-zero", "01 is not a JSON number", `[01]`, `{}`, "unexpected character '1' after array element"},
		{"deep", "nesting is bounded", strings.Repeat("[", maxDepth+1), `{}`, "nesting deeper than 10000 levels"},
		{"bad-literal", "true, false, null only", `tru`, `{}`, `invalid literal, expected "true"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Diff([]byte(tt.original), []byte(tt.modified))
			if err == nil {
				t.Fatalf("%s: no error", tt.reason)
			}
			if !errors.Is(err, ErrInvalidJSON) {
				t.Errorf("%s: error %v does not wrap ErrInvalidJSON", tt.reason, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s:\n got %v\nwant it to contain %q", tt.reason, err, tt.want)
			}
		})
	}
}

func TestDiffDeterministic(t *testing.T) {
	// Same values, members in different orders: the patch must not depend
	// on the input's key order.
	const long = `"keep":"a long value that makes a whole replace larger than the edits",`
	a1 := `{` + long + `"z":1,"y":{"b":1,"a":2,"d":"not a small object"},"x":[1]}`
	a2 := `{"x":[1],"y":{"a":2,"d":"not a small object","b":1},` + long + `"z":1}`
	b := `{` + long + `"w":0,"x":[1,2],"y":{"a":3,"b":1,"c":4,"d":"not a small object"},"z":1}`
	p1, err1 := Diff([]byte(a1), []byte(b))
	p2, err2 := Diff([]byte(a2), []byte(b))
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if p1.String() != p2.String() {
		t.Errorf("key order changed the patch:\n%s\n%s", p1, p2)
	}
	want := `[{"op":"add","path":"/w","value":0},{"op":"add","path":"/x/-","value":2},{"op":"replace","path":"/y/a","value":3},{"op":"add","path":"/y/c","value":4}]`
	if p1.String() != want {
		t.Errorf("got %s\nwant %s", p1, want)
	}
}

func TestDiffLargeArrays(t *testing.T) {
	tests := []struct {
		name, reason string
		n            int
		edit         func([]string) []string
		maxOps       int
	}{
		{"insert-middle", "one insertion in 10,000 elements is one add", 10000, func(s []string) []string {
			return append(s[:5000:5000], append([]string{`"new"`}, s[5000:]...)...)
		}, 1},
		{"scattered", "ten changes spread over the array are ten edits", 10000, func(s []string) []string {
			for i := 500; i < len(s); i += 1000 {
				s[i] = `"changed"`
			}
			return s
		}, 10},
		{"reversed", "a reversal exceeds the search bound and falls back to pairing by position", 10000, func(s []string) []string {
			for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
				s[i], s[j] = s[j], s[i]
			}
			return s
		}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orig, mod := bigArray(tt.n, tt.edit)
			p, err := Diff(orig, mod)
			if err != nil {
				t.Fatal(err)
			}
			if len(p) > tt.maxOps {
				t.Errorf("%s: %d operations, want at most %d", tt.reason, len(p), tt.maxOps)
			}
			roundTrip(t, p, orig, mod)
		})
	}
}

// bigArray returns an array of n distinct strings and the same array after
// edit.
func bigArray(n int, edit func([]string) []string) ([]byte, []byte) {
	s := make([]string, n)
	for i := range s {
		s[i] = fmt.Sprintf(`"element-%05d"`, i)
	}
	orig := "[" + strings.Join(s, ",") + "]"
	mod := "[" + strings.Join(edit(s), ",") + "]"
	return []byte(orig), []byte(mod)
}

func TestDiffLargeObjectsAndLists(t *testing.T) {
	envList := func(names []int, value func(int) string) string {
		var s []string
		for _, n := range names {
			s = append(s, fmt.Sprintf(`{"name":"V%04d","value":%q}`, n, value(n)))
		}
		return `{"spec":{"containers":[{"name":"app","env":[` + strings.Join(s, ",") + `]}]}}`
	}
	seq := func(n int) []int {
		s := make([]int, n)
		for i := range s {
			s[i] = i
		}
		return s
	}
	rev := func(n int) []int {
		s := seq(n)
		slices.Reverse(s)
		return s
	}
	same := func(i int) string { return fmt.Sprint("value-", i) }
	bigObject := func(order []int) string {
		var s []string
		for _, k := range order {
			s = append(s, fmt.Sprintf(`"k%02d":%d`, k, k))
		}
		return "{" + strings.Join(s, ",") + "}"
	}
	tests := []struct {
		name, reason       string
		original, modified string
		pod                bool
		ops                int // -1: don't check
	}{
		{
			name: "keyed-reversed-moves", reason: "300 env vars reversed keep their identity: 299 moves",
			original: envList(seq(300), same), modified: envList(rev(300), same), pod: true, ops: 299,
		},
		{
			name: "keyed-reversed-too-many-moves", reason: "2,000 env vars reversed: too many moves to simulate, identity is given up and one replace is smallest",
			original: envList(seq(2000), same), modified: envList(rev(2000), same), pod: true, ops: 1,
		},
		{
			name: "keyed-large-middle", reason: "a large unmatched middle is matched through a map, one value changed",
			original: envList(seq(100), same),
			modified: envList(append(rev(50), seq(100)[50:]...), func(i int) string {
				if i == 10 {
					return "changed"
				}
				return same(i)
			}),
			pod: true, ops: -1,
		},
		{
			name: "large-objects-equal", reason: "elements that are objects with many members compare regardless of order",
			original: "[" + bigObject(seq(20)) + "]", modified: "[" + bigObject(rev(20)) + `,"x"]`,
			ops: 1,
		},
		{
			name: "large-objects-differ", reason: "one member differs in a large object",
			original: "[" + bigObject(seq(20)) + `,"a long string that stays"]`,
			modified: "[" + strings.Replace(bigObject(rev(20)), `"k07":7`, `"k07":8`, 1) + `,"a long string that stays"]`,
			ops:      1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := Options{}
			if tt.pod {
				opts.Schema = PodSchema()
			}
			p, err := opts.Diff([]byte(tt.original), []byte(tt.modified))
			if err != nil {
				t.Fatal(err)
			}
			if tt.ops >= 0 && len(p) != tt.ops {
				t.Errorf("%s: %d operations, want %d", tt.reason, len(p), tt.ops)
			}
			roundTrip(t, p, []byte(tt.original), []byte(tt.modified))
		})
	}

	// A duplicate key in an object with many members is found too.
	obj := bigObject(seq(20))
	dup := obj[:len(obj)-1] + `,"k03":0}`
	if _, err := Diff([]byte(dup), []byte(`{}`)); err == nil || !strings.Contains(err.Error(), `duplicate key "k03"`) {
		t.Errorf("duplicate key in a 21-member object: got %v", err)
	}
}
