package patch

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestDiffRandom diffs thousands of pseudo-random document pairs where the
// second is a mutation of the first (elements inserted, removed, reordered
// and edited, keyed lists included) and checks the round trip, with and
// without the pod schema. The seed is fixed, so failures reproduce.
func TestDiffRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	n := 3000
	if testing.Short() {
		n = 300
	}
	for i := range n {
		a := randomPod(r)
		b := mutate(r, clone(a), 0)
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		for _, opts := range []Options{{}, {Schema: PodSchema()}} {
			p, err := opts.Diff(ja, jb)
			if err != nil {
				t.Fatalf("case %d: %v", i, err)
			}
			roundTrip(t, p, ja, jb)
		}
	}
}

func randomPod(r *rand.Rand) any {
	containers := []any{}
	for i := range r.IntN(4) {
		env := []any{}
		for k := range r.IntN(5) {
			env = append(env, map[string]any{"name": fmt.Sprintf("E%d", k), "value": randomValue(r, 0)})
		}
		containers = append(containers, map[string]any{
			"name": fmt.Sprintf("c%d", i), "image": "img", "env": env,
			"ports": []any{map[string]any{"containerPort": 80 + r.IntN(3)}, map[string]any{"containerPort": 90}},
		})
	}
	return map[string]any{
		"metadata": map[string]any{"labels": map[string]any{"a/b": "1", "c~d": "2"}},
		"spec":     map[string]any{"containers": containers, "args": randomValue(r, 1)},
		"extra":    randomValue(r, 0),
	}
}

func randomValue(r *rand.Rand, depth int) any {
	k := r.IntN(8)
	if depth > 3 {
		k %= 5
	}
	switch k {
	case 0:
		return nil
	case 1:
		return r.IntN(2) == 0
	case 2:
		return json.Number(fmt.Sprint(r.IntN(5)))
	case 3, 4:
		return []string{"x", "y", "z", "", "~/"}[r.IntN(5)]
	case 5, 6:
		s := []any{}
		for range r.IntN(6) {
			s = append(s, randomValue(r, depth+1))
		}
		return s
	}
	m := map[string]any{}
	for range r.IntN(4) {
		m[[]string{"a", "b", "", "name", "x/y"}[r.IntN(5)]] = randomValue(r, depth+1)
	}
	return m
}

func clone(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

// mutate changes v at random: edits, insertions, removals and swaps.
func mutate(r *rand.Rand, v any, depth int) any {
	if r.IntN(6) == 0 && depth > 0 {
		return randomValue(r, depth)
	}
	switch x := v.(type) {
	case map[string]any:
		for k := range x {
			switch r.IntN(5) {
			case 0:
				delete(x, k)
			case 1, 2:
				x[k] = mutate(r, x[k], depth+1)
			}
		}
		if r.IntN(3) == 0 {
			x[[]string{"new", "a", "name", "~0"}[r.IntN(4)]] = randomValue(r, depth+1)
		}
		return x
	case []any:
		for i := range x {
			if r.IntN(3) == 0 {
				x[i] = mutate(r, x[i], depth+1)
			}
		}
		for range r.IntN(3) {
			switch op := r.IntN(3); {
			case op == 0 && len(x) > 0:
				i := r.IntN(len(x))
				x = append(x[:i], x[i+1:]...)
			case op == 1:
				i := r.IntN(len(x) + 1)
				x = append(x[:i], append([]any{randomValue(r, depth+1)}, x[i:]...)...)
			case op == 2 && len(x) > 1:
				i, j := r.IntN(len(x)), r.IntN(len(x))
				x[i], x[j] = x[j], x[i]
			}
		}
		return x
	}
	return v
}

// TestConcurrent diffs the same pair from many goroutines: Diff shares only
// immutable state (the pod schema), so every result is the same. Run with
// -race.
func TestConcurrent(t *testing.T) {
	original := typed(t, readFile(t, "../testdata/patch/sidecar/original.json"))
	modified := typed(t, readFile(t, "../testdata/patch/sidecar/modified.json"))
	want, err := DiffPod(original, modified)
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			for range 20 {
				p, err := DiffPod(original, modified)
				if err == nil && p.String() != want.String() {
					err = fmt.Errorf("concurrent DiffPod gave %s", p)
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
