package inject

import (
	"context"
	"testing"
)

// TestCachedPatchOwnership checks who owns a cached patch's memory: a
// caller of InjectPod may scribble over the patch it got, whether the entry
// was made by InjectPod or by Review (whose results share the entry's
// memory, PodRequest.readOnly), and neither the next InjectPod nor the
// next Review sees it.
func TestCachedPatchOwnership(t *testing.T) {
	for _, tc := range []struct {
		name   string
		first  string // "inject" or "review": who makes the entry
		reason string
	}{
		{"made-by-inject", "inject", "the entry keeps its own copy of an InjectPod caller's patch"},
		{"made-by-review", "review", "Review shares the entry's memory, InjectPod callers still get copies"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inj, pod := corpusInjector(t, "hello", 0)
			fresh, _ := corpusInjector(t, "hello", -1)
			body := reviewBody(t, podJSONBytes(t, pod), "default")
			want, err := fresh.Review(context.Background(), body)
			if err != nil {
				t.Fatal(err)
			}
			wantRes, err := fresh.InjectPod(context.Background(), PodRequest{Pod: pod, PatchOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			scribble := func(res *Result) {
				for k := range res.Patch {
					for j := range res.Patch[k].Value {
						res.Patch[k].Value[j] = 'X'
					}
					res.Patch[k].Value = append(res.Patch[k].Value, "!!"...)
				}
				for j := range res.PatchJSON {
					res.PatchJSON[j] = 'X'
				}
			}
			if tc.first == "inject" {
				res, err := inj.InjectPod(context.Background(), PodRequest{Pod: pod, PatchOnly: true})
				if err != nil {
					t.Fatal(err)
				}
				scribble(res)
			} else if _, err := inj.Review(context.Background(), body); err != nil {
				t.Fatal(err)
			}
			for round := range 2 {
				hit, err := inj.InjectPod(context.Background(), PodRequest{Pod: pod, PatchOnly: true})
				if err != nil {
					t.Fatal(err)
				}
				if string(hit.PatchJSON) != string(wantRes.PatchJSON) {
					t.Fatalf("%s: round %d: cached PatchJSON differs from a fresh one:\n%s\nwant\n%s", tc.reason, round, hit.PatchJSON, wantRes.PatchJSON)
				}
				if a, b := mustJSON(t, hit.Patch), mustJSON(t, wantRes.Patch); a != b {
					t.Fatalf("%s: round %d: cached Patch differs from a fresh one:\n%s\nwant\n%s", tc.reason, round, a, b)
				}
				scribble(hit)
				got, err := inj.Review(context.Background(), body)
				if err != nil {
					t.Fatal(err)
				}
				if string(got) != string(want) {
					t.Fatalf("%s: round %d: cached Review differs from a fresh one:\n%s\nwant\n%s", tc.reason, round, got, want)
				}
			}
		})
	}
}

func podJSONBytes(t testing.TB, v any) []byte {
	t.Helper()
	return []byte(podJSON(t, v))
}
