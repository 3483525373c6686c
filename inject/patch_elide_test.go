package inject

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/kinject/kinject/internal/codec"
	"github.com/kinject/kinject/patch"
)

// TestElidedPatchMatches injects every corpus webhook pod, and each with a
// big application container and a second one added, and checks that the
// patch (computed with unchanged containers elided) is the patch of the
// whole pods.
func TestElidedPatchMatches(t *testing.T) {
	if !codec.Fast {
		t.Skip("kinject_reference build: nothing is elided")
	}
	root := corpusDir(t)
	dirs, err := filepath.Glob(filepath.Join(root, "cases", "*"))
	if err != nil {
		t.Fatal(err)
	}
	elided := 0
	for _, dir := range dirs {
		pods, _ := filepath.Glob(filepath.Join(dir, "webhook-pod.*.json"))
		if len(pods) == 0 {
			continue
		}
		id := filepath.Base(dir)
		t.Run(id, func(t *testing.T) {
			inj, _ := corpusInjector(t, id, -1)
			for _, f := range pods {
				var pod corev1.Pod
				b, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				if err := json.Unmarshal(b, &pod); err != nil {
					t.Fatal(err)
				}
				big := pod.DeepCopy()
				if len(big.Spec.Containers) > 0 {
					for k := range 200 {
						big.Spec.Containers[0].Env = append(big.Spec.Containers[0].Env, corev1.EnvVar{Name: fmt.Sprintf("V%d", k), Value: "x"})
					}
				}
				big.Spec.Containers = append(big.Spec.Containers, corev1.Container{Name: "second", Image: "img"})
				for _, p := range []*corev1.Pod{&pod, big} {
					res, err := inj.InjectPod(context.Background(), PodRequest{Pod: p, Namespace: "default"})
					if err != nil || !res.Decision.Inject {
						continue
					}
					if a, _ := elideUnchanged(p, res.Pod); a != p {
						elided++
					}
					before, err := marshalPod(p)
					if err != nil {
						t.Fatal(err)
					}
					after, err := marshalPod(res.Pod)
					if err != nil {
						t.Fatal(err)
					}
					want, err := patch.DiffPod(before, after)
					if err != nil {
						t.Fatal(err)
					}
					wj, _ := json.Marshal(want)
					if string(wj) != string(res.PatchJSON) {
						t.Errorf("%s: patch with unchanged containers elided differs:\n got %s\nwant %s", filepath.Base(f), res.PatchJSON, wj)
					}
				}
			}
		})
	}
	if elided == 0 {
		t.Error("no pod had a container to elide")
	}
}

// TestEncodePatchMatchesJSON checks encodePatch against json.Marshal on the
// patches of the corpus hello pod and of pods whose keys need HTML escaping.
func TestEncodePatchMatchesJSON(t *testing.T) {
	inj, pod := corpusInjector(t, "hello", -1)
	var patches []patch.Patch
	for _, ann := range []map[string]string{nil, {"a<b>&c": "x"}, {"k": "v\u2028"}, {"é": "\u00e9<"}} {
		p := pod.DeepCopy()
		if ann != nil {
			p.Annotations = ann
		}
		res, err := inj.InjectPod(context.Background(), PodRequest{Pod: p})
		if err != nil {
			t.Fatal(err)
		}
		patches = append(patches, res.Patch)
	}
	patches = append(patches, nil, patch.Patch{}, patch.Patch{{Op: "add", Path: "/metadata/annotations/a<>&\u2028", Value: json.RawMessage(`"<&>"`)}})
	for i, p := range patches {
		want, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		got, err := encodePatch(p, nil)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("patch %d: encodePatch = %s, json.Marshal = %s", i, got, want)
		}
	}
}
