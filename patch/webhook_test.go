package patch

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// TestGolden diffs each testdata/patch/<case>/{original,modified}.json pair
// the way a webhook does (both through corev1.Pod, then DiffPod) and
// compares the patch with patch.golden.json.
func TestGolden(t *testing.T) {
	cases := []struct{ name, reason string }{
		{"sidecar", "Istio-style injection: labels, annotations, an init container, a sidecar, volumes and a rewritten probe"},
		{"reorder", "containers reordered and one removed, an env var inserted, a volume mount changed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join("..", "testdata", "patch", c.name)
			original := typed(t, readFile(t, filepath.Join(dir, "original.json")))
			modified := typed(t, readFile(t, filepath.Join(dir, "modified.json")))
			p, err := DiffPod(original, modified)
			if err != nil {
				t.Fatalf("%s: %v", c.reason, err)
			}
			roundTrip(t, p, original, modified)
			golden(t, filepath.Join(dir, "patch.golden.json"), indent(t, p))
		})
	}
}

// TestUnknownFields follows the package documentation's webhook recipe with
// a raw pod that has fields corev1 does not know, and checks that they
// survive where they were.
func TestUnknownFields(t *testing.T) {
	raw := []byte(`{
	  "apiVersion": "v1", "kind": "Pod",
	  "metadata": {"name": "web", "namespace": "shop", "futureMeta": {"x": 1}},
	  "spec": {
	    "futureSpecField": "keep me",
	    "containers": [
	      {"name": "app", "image": "app:1", "futureKnob": 42,
	       "env": [{"name": "A", "value": "1", "futureEnvFlag": true}]},
	      {"name": "helper", "image": "helper:1", "futureKnob": 7}
	    ]
	  }
	}`)
	var pod corev1.Pod
	if err := json.Unmarshal(raw, &pod); err != nil {
		t.Fatal(err)
	}
	original, err := json.Marshal(&pod)
	if err != nil {
		t.Fatal(err)
	}
	// "Inject": a sidecar in front, an env var in front of app's, an
	// annotation, a limit on the helper that had no resources.
	injected := pod.DeepCopy()
	injected.Annotations = map[string]string{"sidecar.istio.io/status": `{"containers":["istio-proxy"]}`}
	injected.Spec.Containers[0].Env = append([]corev1.EnvVar{{Name: "PROXY", Value: "on"}}, injected.Spec.Containers[0].Env...)
	injected.Spec.Containers[1].Resources.Limits = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")}
	injected.Spec.Containers = append([]corev1.Container{{Name: "istio-proxy", Image: "proxyv2"}}, injected.Spec.Containers...)
	modified, err := json.Marshal(injected)
	if err != nil {
		t.Fatal(err)
	}

	p, err := DiffPod(original, modified)
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.Apply(raw)
	if err != nil {
		t.Fatalf("the patch does not apply to the raw request: %v\n%s", err, p)
	}

	var gotMap map[string]any
	if err := json.Unmarshal(got, &gotMap); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		reason string
		path   string
		want   any
	}{
		{"an unknown spec field is not removed", "spec.futureSpecField", "keep me"},
		{"an unknown metadata field is not removed", "metadata.futureMeta.x", 1.0},
		{"app's unknown field stays on app, now second", "spec.containers.1.futureKnob", 42.0},
		{"helper's unknown field stays on helper, now third", "spec.containers.2.futureKnob", 7.0},
		{"the new sidecar does not inherit app's unknown field", "spec.containers.0.futureKnob", nil},
		{"an env var's unknown field stays on its env var, now second", "spec.containers.1.env.1.futureEnvFlag", true},
		{"the sidecar is first", "spec.containers.0.name", "istio-proxy"},
		{"the new env var is first", "spec.containers.1.env.0.name", "PROXY"},
		{"the limit was added to a container whose raw form had no resources", "spec.containers.2.resources.limits.cpu", "1"},
	}
	for _, c := range checks {
		if v := lookup(gotMap, c.path); !cmp.Equal(v, c.want) {
			t.Errorf("%s: %s = %v, want %v", c.reason, c.path, v, c.want)
		}
	}
	// Apart from the unknown fields, the result is the injected pod.
	if !jsonEqual(t, typed(t, got), modified) {
		t.Errorf("patched raw pod, typed, differs from the injected pod:\n%s\n%s", typed(t, got), modified)
	}

	// The trap the documentation warns about: diffing the raw request
	// itself removes the unknown fields.
	bad, err := DiffPod(raw, modified)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(bad.String(), `"op":"remove","path":"/spec/futureSpecField"`) {
		t.Errorf("diffing the raw request was expected to remove unknown fields; got %s", bad)
	}
}

func lookup(v any, path string) any {
	for _, k := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			i, ok := arrayIndex(k)
			if !ok || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// corpusWebhookPods lists, in order, the webhook pods of Istio's injection
// test suite (../shared/istio-corpus beside the checkout, or
// KINJECT_ISTIO_CORPUS), skipping the test when it is absent.
func corpusWebhookPods(t *testing.T) []string {
	t.Helper()
	dir := os.Getenv("KINJECT_ISTIO_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "istio-corpus")
	}
	pods, _ := filepath.Glob(filepath.Join(dir, "cases", "*", "webhook-pod.*.json"))
	if len(pods) == 0 {
		t.Skipf("Istio corpus not found in %s (set KINJECT_ISTIO_CORPUS)", dir)
	}
	sort.Strings(pods)
	return pods
}

// TestIstioCorpus runs every webhook case of Istio's own injection suite:
// the pod the webhook receives and the pod it must produce, both through
// corev1.Pod, are diffed with DiffPod; the patch must apply to the raw
// request and give the wanted pod. Patch sizes are compared with Istio's.
func TestIstioCorpus(t *testing.T) {
	pods := corpusWebhookPods(t)
	var ours, theirs struct{ ops, bytes int }
	compared := 0
	for _, podFile := range pods {
		wantFile := strings.Replace(podFile, "webhook-pod.", "webhook-want.", 1)
		name := filepath.Base(filepath.Dir(podFile)) + "/" + filepath.Base(podFile)
		t.Run(name, func(t *testing.T) {
			raw := readFile(t, podFile)
			want := typed(t, readFile(t, wantFile))
			p, err := DiffPod(typed(t, raw), want)
			if err != nil {
				t.Fatal(err)
			}
			got, err := p.Apply(raw)
			if err != nil {
				t.Fatalf("patch does not apply to the raw request: %v", err)
			}
			if d := cmp.Diff(string(want), string(typed(t, got))); d != "" {
				t.Fatalf("patched pod differs from Istio's (-want +got):\n%s", d)
			}
			body, err := p.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			istio, err := os.ReadFile(strings.Replace(podFile, "webhook-pod.", "webhook-patch.", 1))
			if err != nil {
				return // Istio allowed the pod without a patch
			}
			var ip []json.RawMessage
			if err := json.Unmarshal(istio, &ip); err != nil {
				t.Fatal(err)
			}
			compact := compactLen(trimWS(istio))
			ours.ops += len(p)
			ours.bytes += len(body)
			theirs.ops += len(ip)
			theirs.bytes += compact
			compared++
		})
	}
	t.Logf("%d pods compared with Istio's patches: kinject %d ops, %d bytes; Istio %d ops, %d bytes",
		compared, ours.ops, ours.bytes, theirs.ops, theirs.bytes)
	if ours.bytes > theirs.bytes {
		t.Errorf("kinject's patches (%d bytes) are larger than Istio's (%d bytes)", ours.bytes, theirs.bytes)
	}
}
