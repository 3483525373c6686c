package patch

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"github.com/google/go-cmp/cmp"
)

func TestMarshalJSON(t *testing.T) {
	tests := []struct {
		name, reason string
		patch        Patch
		want         string
	}{
		{"nil", "an empty patch is [], never null", nil, `[]`},
		{"empty", "an empty patch is [], never null", Patch{}, `[]`},
		{"null-value", "a JSON null value survives as null", Patch{{Op: "add", Path: "/a", Value: json.RawMessage("null")}}, `[{"op":"add","path":"/a","value":null}]`},
		{"remove", "remove has no value", Patch{{Op: "remove", Path: "/a"}}, `[{"op":"remove","path":"/a"}]`},
		{"move-from-root", `"from": "" is written for move and copy`, Patch{{Op: "copy", Path: "/a", From: ""}}, `[{"op":"copy","path":"/a","from":""}]`},
		{"compacted", "values are written compact", Patch{{Op: "add", Path: "/a", Value: json.RawMessage("[ 1,\n 2 ]")}}, `[{"op":"add","path":"/a","value":[1,2]}]`},
		{"escaped-path", "quotes and newlines in a path are escaped", Patch{{Op: "remove", Path: "/a\"\n\x01"}}, `[{"op":"remove","path":"/a\"\n\u0001"}]`},
		{"invalid-utf8-path", "bytes that are not UTF-8 become U+FFFD, as in encoding/json", Patch{{Op: "remove", Path: "/é\xff"}}, `[{"op":"remove","path":"/é\ufffd"}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.patch.MarshalJSON()
			if err != nil {
				t.Fatalf("%s: %v", tt.reason, err)
			}
			if string(got) != tt.want {
				t.Errorf("%s\n got %s\nwant %s", tt.reason, got, tt.want)
			}
			// encoding/json uses the same encoding and reads it back.
			viaStd, err := json.Marshal(tt.patch)
			if err != nil {
				t.Fatal(err)
			}
			if string(viaStd) != tt.want {
				t.Errorf("json.Marshal: got %s, want %s", viaStd, tt.want)
			}
			var back Patch
			if err := json.Unmarshal(got, &back); err != nil {
				t.Fatal(err)
			}
			again, _ := back.MarshalJSON()
			if !jsonEqual(t, again, got) {
				t.Errorf("decode and encode again: got %s, want %s", again, tt.want)
			}
		})
	}
	if _, err := (Patch{{Op: "add", Path: "/a", Value: json.RawMessage(`1,"op":"remove"`)}}).MarshalJSON(); !errors.Is(err, ErrInvalidPatch) {
		t.Errorf("a value that is not one JSON value must be refused, got %v", err)
	}
}

func TestApply(t *testing.T) {
	tests := []struct {
		name, reason string
		doc          string
		patch        string
		want         string // the result, or the error's text
		wantErr      error
	}{
		{"add-null", "a null value is added as null", `{}`, `[{"op":"add","path":"/a","value":null}]`, `{"a":null}`, nil},
		{"replace-root-scalar", "the whole document may become a scalar", `{"a":1}`, `[{"op":"replace","path":"","value":"x"}]`, `"x"`, nil},
		{"scalar-root", "a scalar document can be replaced", `1`, `[{"op":"replace","path":"","value":2}]`, `2`, nil},
		{"add-root", "add at the root replaces the document", `[1]`, `[{"op":"add","path":"","value":{"b":2}},{"op":"add","path":"/c","value":3}]`, `{"b":2,"c":3}`, nil},
		{"test-root", "test compares the whole document as JSON", `{"a":1,"b":2}`, `[{"op":"test","path":"","value":{"b":2,"a":1}}]`, `{"a":1,"b":2}`, nil},
		{"copy-root", "copy from the whole document into a member", `{"a":1}`, `[{"op":"copy","from":"","path":"/b"}]`, `{"a":1,"b":{"a":1}}`, nil},
		{"move-to-root", "move a member to the root", `{"a":{"b":1}}`, `[{"op":"move","from":"/a","path":""}]`, `{"b":1}`, nil},
		{"escaped", "~1 and ~0 address / and ~", `{"a/b":{"c~d":1}}`, `[{"op":"replace","path":"/a~1b/c~0d","value":2}]`, `{"a/b":{"c~d":2}}`, nil},
		{"big-number", "numbers keep their digits", `{"n":1}`, `[{"op":"replace","path":"/n","value":123456789012345678901234567890}]`, `{"n":123456789012345678901234567890}`, nil},
		{"html", "<>& are not escaped", `{}`, `[{"op":"add","path":"/a","value":"<&>"}]`, `{"a":"<&>"}`, nil},
		{"empty-token", "a member named \"\" inside a path is that member, not its parent", `{"":{"b":1},"b":2}`, `[{"op":"remove","path":"//b"},{"op":"test","path":"/b","value":2}]`, `{"":{},"b":2}`, nil},
		{"empty-token-test", "test of the member named \"\"", `{"":1,"a":2}`, `[{"op":"test","path":"/","value":1},{"op":"move","from":"/","path":"/c"}]`, `{"a":2,"c":1}`, nil},
		{"empty-token-copy", "copy through empty tokens, insertion in an array", `{"":[{"":5}],"a":[1]}`, `[{"op":"copy","from":"//0/","path":"/a/0"}]`, `{"":[{"":5}],"a":[5,1]}`, nil},
		{"empty-patch", "no operation returns the document", ` {"a": 1} `, `[]`, `{"a": 1}`, nil},

		{"missing-path", "an operation on a missing member fails and names the operation", `{}`, `[{"op":"remove","path":"/a"}]`, `patch: operation 0 (remove /a)`, jsonpatch.ErrMissing},
		{"second-fails", "the failing operation is found by index", `{"a":1}`, `[{"op":"remove","path":"/a"},{"op":"remove","path":"/a"}]`, `patch: operation 1 (remove /a)`, jsonpatch.ErrMissing},
		{"test-fails", "a failed test is jsonpatch.ErrTestFailed", `{"a":1}`, `[{"op":"test","path":"/a","value":2}]`, `patch: operation 0 (test /a)`, jsonpatch.ErrTestFailed},
		{"test-root-fails", "a failed test of the whole document too", `{"a":1}`, `[{"op":"test","path":"","value":{}}]`, `patch: operation 0 (test )`, jsonpatch.ErrTestFailed},
		{"negative-index", "RFC 6902 has no negative indices", `{"a":[1,2]}`, `[{"op":"remove","path":"/a/-1"}]`, `patch: operation 0 (remove /a/-1)`, jsonpatch.ErrInvalidIndex},
		{"scalar-member", "a scalar document has no members", `1`, `[{"op":"add","path":"/a","value":1}]`, `the document is a number`, jsonpatch.ErrMissing},
		{"unknown-op", "only the six RFC 6902 ops", `{}`, `[{"op":"merge","path":"/a"}]`, `unknown op "merge"`, ErrInvalidPatch},
		{"missing-value", "add needs a value", `{}`, `[{"op":"add","path":"/a"}]`, `missing value`, ErrInvalidPatch},
		{"relative-path", "a path starts with /", `{}`, `[{"op":"add","path":"a","value":1}]`, `does not start with /`, ErrInvalidPatch},
		{"bad-tilde", "~ must be ~0 or ~1", `{}`, `[{"op":"add","path":"/a~2","value":1}]`, `~ not followed by 0 or 1`, ErrInvalidPatch},
		{"move-into-child", "a value cannot move into itself", `{"a":{}}`, `[{"op":"move","from":"/a","path":"/a/b"}]`, `cannot move "/a" into its own child`, ErrInvalidPatch},
		{"remove-root", "the document cannot be removed", `{}`, `[{"op":"remove","path":""}]`, `cannot remove the whole document`, ErrInvalidPatch},
		{"empty-token-missing", "errors from the native path name the operation too", `{"":{}}`, `[{"op":"remove","path":"//x"}]`, `patch: operation 0 (remove //x)`, jsonpatch.ErrMissing},
		{"empty-token-test-fails", "and a failed test", `{"":1}`, `[{"op":"test","path":"/","value":2}]`, `patch: operation 0 (test /)`, jsonpatch.ErrTestFailed},
		{"bad-doc", "the document must be JSON", `{"a":}`, `[]`, `patch: target document: invalid JSON at line 1, column 6`, ErrInvalidJSON},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p Patch
			if err := json.Unmarshal([]byte(tt.patch), &p); err != nil {
				t.Fatal(err)
			}
			got, err := p.Apply([]byte(tt.doc))
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("%s:\n got error %v\nwant one containing %q wrapping %v", tt.reason, err, tt.want, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s: %v", tt.reason, err)
			}
			if !jsonEqual(t, got, []byte(tt.want)) {
				t.Errorf("%s\n got %s\nwant %s", tt.reason, got, tt.want)
			}
		})
	}
}

func TestApplyDoesNotModify(t *testing.T) {
	doc := []byte(`{"a":[1,2,3]}`)
	before := string(doc)
	p := Patch{{Op: "remove", Path: "/a/0"}, {Op: "add", Path: "/b", Value: json.RawMessage(`1`)}}
	if _, err := p.Apply(doc); err != nil {
		t.Fatal(err)
	}
	if string(doc) != before {
		t.Errorf("Apply changed its input: %s", doc)
	}
}

func TestSchema(t *testing.T) {
	s := PodSchema()
	tests := []struct {
		pointer, want, reason string
	}{
		{"/spec/containers", "name", "containers are keyed by name"},
		{"/spec/initContainers", "name", "init containers too"},
		{"/spec/ephemeralContainers", "name", "and ephemeral containers"},
		{"/spec/volumes", "name", "volumes by name"},
		{"/spec/containers/0/env", "name", "env vars by name, in any container"},
		{"/spec/initContainers/3/ports", "containerPort", "ports by containerPort"},
		{"/spec/containers/-/volumeMounts", "mountPath", "volume mounts by mountPath"},
		{"/spec/containers/0/volumeDevices", "devicePath", "volume devices by devicePath"},
		{"/spec/imagePullSecrets", "name", "image pull secrets by name"},
		{"/spec/hostAliases", "ip", "host aliases by ip"},
		{"/metadata/ownerReferences", "uid", "owner references by uid (ObjectMeta is reached through an inline field)"},
		{"/status/conditions", "type", "pod conditions by type"},
		{"/spec/tolerations", "", "tolerations have no merge key"},
		{"/spec/containers/0/args", "", "a list of strings has no key"},
		{"/spec/containers", "name", "repeat lookups give the same answer"},
		{"/spec/containers/x/env", "", "a non-numeric index is not an element"},
		{"/metadata/labels", "", "a map is not a list"},
		{"/spec/unknownField", "", "unknown fields have no key"},
		{"", "", "the root is a struct"},
	}
	for _, tt := range tests {
		if got := s.MergeKey(tt.pointer); got != tt.want {
			t.Errorf("MergeKey(%q) = %q, want %q: %s", tt.pointer, got, tt.want, tt.reason)
		}
	}
	if PodSchema() != s {
		t.Error("PodSchema must be computed once")
	}
	type inner struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items" patchMergeKey:"id"`
	}
	type outer struct {
		inner `json:",inline"`
		Self  *outer            `json:"self,omitempty"`
		ByKey map[string]*outer `json:"byKey"`
	}
	o := SchemaOf(&outer{})
	for _, ptr := range []string{"/items", "/self/items", "/byKey/k/self/items"} {
		if got := o.MergeKey(ptr); got != "id" {
			t.Errorf("SchemaOf(outer).MergeKey(%q) = %q, want id: inline, recursive and map types are followed", ptr, got)
		}
	}
	if d := cmp.Diff("", (*Schema)(nil).MergeKey("/a")); d != "" {
		t.Error("a nil Schema has no keys")
	}
}
