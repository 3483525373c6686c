package inject

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

// TestManifestErrorOutput pins down what Output holds when the stream
// fails, as InjectManifests documents it.
func TestManifestErrorOutput(t *testing.T) {
	inj := newTestInjector(t, nil)
	const (
		good1 = "apiVersion: v1\nkind: Pod\nmetadata: {name: one}\nspec: {containers: [{name: a, image: a}]}\n"
		bad   = "apiVersion: v1\nkind: Pod\nmetadata: {name: broken}\nspec: {containers: 7}\n"
		good2 = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n"
	)
	stream := good1 + "---\n" + bad + "---\n" + good2
	alone := func(doc string) string {
		res, err := inj.InjectManifests(context.Background(), []byte(doc), ManifestOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return string(res.Output)
	}
	cases := []struct {
		name, reason string
		keepGoing    bool
		wantOutput   string
		wantDocs     int
	}{
		{"fail-fast", "the documents before the bad one, complete, and nothing of the rest", false, alone(good1), 2},
		{"keep-going", "the whole stream, the bad document as it was", true, alone(good1) + bad + "---\n" + alone(good2), 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opts := ManifestOptions{KeepGoing: c.keepGoing}
			res, err := inj.InjectManifests(context.Background(), []byte(stream), opts)
			var derr *DocumentError
			if !errors.As(err, &derr) || derr.Index != 1 {
				t.Fatalf("error %v, want document 1's *DocumentError (%s)", err, c.reason)
			}
			if res == nil {
				t.Fatalf("no result with the error (%s)", c.reason)
			}
			if string(res.Output) != c.wantOutput {
				t.Errorf("Output:\n%s\nwant\n%s(%s)", res.Output, c.wantOutput, c.reason)
			}
			if res.Documents != c.wantDocs || res.Failed != 1 {
				t.Errorf("Documents %d Failed %d, want %d and 1 (%s)", res.Documents, res.Failed, c.wantDocs, c.reason)
			}
			// The stream's writer received the same bytes.
			var w bytes.Buffer
			if _, err := inj.InjectManifestStream(context.Background(), strings.NewReader(stream), &w, opts); err == nil {
				t.Fatal("stream: no error")
			}
			if w.String() != c.wantOutput {
				t.Errorf("stream wrote:\n%s\nwant\n%s(%s)", w.String(), c.wantOutput, c.reason)
			}
		})
	}
}
