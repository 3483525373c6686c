package patch

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// golden compares got with the golden file at path, or rewrites it with
// -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./patch -update to create it)", err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, d)
	}
}

// decode decodes JSON with encoding/json, keeping numbers as their text: the
// independent oracle for "equal as JSON".
func decode(t testing.TB, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %q: %v", b, err)
	}
	return v
}

func jsonEqual(t testing.TB, a, b []byte) bool {
	t.Helper()
	return reflect.DeepEqual(decode(t, a), decode(t, b))
}

// roundTrip checks that p turns original into modified.
func roundTrip(t testing.TB, p Patch, original, modified []byte) {
	t.Helper()
	got, err := p.Apply(original)
	if err != nil {
		t.Fatalf("Apply(%s) to %s: %v", p, original, err)
	}
	if !jsonEqual(t, got, modified) {
		t.Fatalf("Apply(%s) to %s\n got %s\nwant %s", p, original, got, modified)
	}
}

// typed passes a pod through corev1.Pod, as a webhook does.
func typed(t testing.TB, raw []byte) []byte {
	t.Helper()
	var pod corev1.Pod
	if err := json.Unmarshal(raw, &pod); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(&pod)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// indent renders a patch one operation per line, for readable golden files.
func indent(t testing.TB, p Patch) []byte {
	t.Helper()
	var buf bytes.Buffer
	buf.WriteString("[\n")
	for k, o := range p {
		b, err := o.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		buf.WriteString("  ")
		buf.Write(b)
		if k < len(p)-1 {
			buf.WriteByte(',')
		}
		buf.WriteByte('\n')
	}
	buf.WriteString("]\n")
	return buf.Bytes()
}
