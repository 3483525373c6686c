package fieldpaths

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFlatten(t *testing.T) {
	tests := []struct {
		name, reason, doc string
		want              map[string]string
		wantErr           bool
	}{
		{"keys", "dotted paths", `{"a":{"b":1,"c":"x"}}`, map[string]string{"a.b": "1", "a.c": `"x"`}, false},
		{"bracketed", "keys with dots or slashes in brackets", `{"m":{"a.b/c":true}}`, map[string]string{"m[a.b/c]": "true"}, false},
		{"named", "list elements by name", `{"l":[{"name":"p","v":1}]}`, map[string]string{"l[p].name": `"p"`, "l[p].v": "1"}, false},
		{"indexed", "other elements by index", `{"l":["a",{"v":2}]}`, map[string]string{"l[0]": `"a"`, "l[1].v": "2"}, false},
		{"null", "null is a leaf", `{"a":null}`, map[string]string{"a": "null"}, false},
		{"bad", "not JSON", `{`, nil, true},
	}
	for _, tt := range tests {
		got, err := Flatten([]byte(tt.doc))
		if (err != nil) != tt.wantErr {
			t.Fatalf("%s: err = %v (%s)", tt.name, err, tt.reason)
		}
		if d := cmp.Diff(tt.want, got); !tt.wantErr && d != "" {
			t.Errorf("%s (%s) (-want +got):\n%s", tt.name, tt.reason, d)
		}
	}
}

func TestChangedOutside(t *testing.T) {
	a := map[string]string{"x.a": "1", "x.b": "2", "y[k]": "3"}
	tests := []struct {
		name, reason string
		b            map[string]string
		allowed      []string
		want         []string
	}{
		{"same", "nothing changed", map[string]string{"x.a": "1", "x.b": "2", "y[k]": "3"}, nil, nil},
		{"allowed", "a change under an allowed prefix", map[string]string{"x.a": "9", "x.b": "2", "y[k]": "3"}, []string{"x"}, nil},
		{"not a prefix", "x is not a prefix of xa", map[string]string{"x.a": "1", "x.b": "2", "y[k]": "3", "xa": "1"}, []string{"x"}, []string{"xa"}},
		{"bracket prefix", "y allows y[k]", map[string]string{"x.a": "1", "x.b": "2"}, []string{"y"}, nil},
		{"all kinds", "changed, removed and added, sorted", map[string]string{"x.a": "9", "z": "1"}, nil, []string{"x.a", "x.b", "y[k]", "z"}},
	}
	for _, tt := range tests {
		if d := cmp.Diff(tt.want, ChangedOutside(a, tt.b, tt.allowed)); d != "" {
			t.Errorf("%s (%s) (-want +got):\n%s", tt.name, tt.reason, d)
		}
	}
}
