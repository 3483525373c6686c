package patch

import (
	"encoding/json"
	"errors"
	"testing"
	"unicode/utf8"
)

// FuzzDiff checks, for two arbitrary inputs, that Diff never panics, that it
// refuses what encoding/json refuses, and that when it accepts, its patch
// turns the first into the second and is the same on every run.
func FuzzDiff(f *testing.F) {
	seeds := [][2]string{
		{`{"a":1}`, `{"a":2}`},
		{`[1,2,3]`, `[0,1,3,4]`},
		{`{"a/b":{"c~d":[null]}}`, `{"a/b":{"c~d":[null,{"":""}]}}`},
		{`"\u00e9\ud83d\ude00"`, `"é😀"`},
		{`12345678901234567890123`, `1.0e+2`},
		{`{"spec":{"containers":[{"name":"a"},{"name":"b"}]}}`, `{"spec":{"containers":[{"name":"b","image":"x"},{"name":"c"}]}}`},
		{`{"spec":{"containers":[{"name":"a","ports":[{"containerPort":53},{"containerPort":53}]}]}}`, `{"spec":{"containers":[{"name":"a","ports":[{"containerPort":80}]}]}}`},
		{`[[],{},""]`, `[{},[],null]`},
		{`{"a":1,"a":2}`, `{}`},
		{`{"a":`, `[`},
	}
	for _, s := range seeds {
		f.Add([]byte(s[0]), []byte(s[1]))
	}
	f.Fuzz(func(t *testing.T, a, b []byte) {
		// The tokenizer agrees with encoding/json (plus UTF-8, which
		// encoding/json does not check).
		for _, x := range [][]byte{a, b} {
			if got, want := valid(x), json.Valid(x) && utf8.Valid(x); got != want {
				t.Fatalf("valid(%q) = %v, encoding/json says %v", x, got, want)
			}
		}
		for _, opts := range []Options{{}, {Schema: PodSchema()}} {
			p, err := opts.Diff(a, b)
			if err != nil {
				if !errors.Is(err, ErrInvalidJSON) {
					t.Fatalf("error does not wrap ErrInvalidJSON: %v", err)
				}
				return
			}
			if !json.Valid(a) || !json.Valid(b) {
				t.Fatalf("accepted invalid JSON: %q, %q", a, b)
			}
			roundTrip(t, p, a, b)
			if len(p) > 0 && jsonEqual(t, a, b) {
				t.Fatalf("equal documents gave operations: %s", p)
			}
			again, err := opts.Diff(a, b)
			if err != nil || again.String() != p.String() {
				t.Fatalf("not deterministic:\n%s\n%s (%v)", p, again, err)
			}
			// The encoded patch reads back to one that does the same.
			body, err := p.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			var back Patch
			if err := json.Unmarshal(body, &back); err != nil {
				t.Fatalf("patch %s does not decode: %v", body, err)
			}
			roundTrip(t, back, a, b)
		}
	})
}
