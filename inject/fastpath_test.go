package inject

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kinject/kinject/internal/codec"
	"github.com/kinject/kinject/template"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"
)

// TestFastPathsTaken runs every document of every corpus input through
// the package's fast paths (internal/codec's doc lists them) and their
// references: the strict-JSON decode of manifests, the pod and review
// decoder on the webhook's pods and their reviews, the pod encoder on the
// pods before and after injection, and the review response encoder on the
// answer to each pod's admission review. Each must be taken and give the
// reference's result, so a k8s.io upgrade that makes one decline fails
// here instead of only getting slower. With the kinject_reference tag each
// must decline.
func TestFastPathsTaken(t *testing.T) {
	dir := corpusDir(t)
	inputs, err := filepath.Glob(filepath.Join(dir, "cases", "*", "input.yaml"))
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no corpus inputs: %v", err)
	}
	inj := newTestInjector(t, nil)
	taken := map[string]int{}
	check := func(path string, ok bool, what string) {
		t.Helper()
		if ok != codec.Fast {
			t.Errorf("%s: %s taken = %v, want %v", what, path, ok, codec.Fast)
		}
		if ok {
			taken[path]++
		}
	}
	for _, in := range inputs {
		r := newDocReader(bytes.NewReader(readFile(t, in)))
		for n := 0; ; n++ {
			raw, _, err := r.next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			what := filepath.Base(filepath.Dir(in)) + " document " + string(rune('0'+n%10))
			j, err := yaml.YAMLToJSONStrict(raw)
			if err != nil {
				continue // duplicate keys and the like: the lenient path's job
			}
			head, err := documentHead(j)
			if err != nil {
				continue
			}
			kind, ok := lookupKind(head.APIVersion, head.Kind)
			if !ok || kind.list {
				continue
			}
			obj, fast := decodeStrictJSON(j, kind)
			want := kind.new()
			if err := yaml.Unmarshal(raw, want); err != nil {
				t.Fatal(err)
			}
			if !fast && codec.Fast {
				// Istio's inputs hold fields the types do not know (the
				// lenient path warns): the fast path rightly declines.
				if yaml.UnmarshalStrict(raw, kind.new()) != nil {
					continue
				}
			}
			check("decodeStrictJSON", fast, what)
			if fast {
				if a, b := mustJSON(t, obj), mustJSON(t, want); a != b {
					t.Fatalf("%s: decodeStrictJSON differs from sigs.k8s.io/yaml:\n%s\n%s", what, a, b)
				}
				// decodeStrictJSON's own fast path, and the encoder of
				// every object manifests print.
				plan := kind.new()
				check("codec.DecodeJSON (manifest object)", codec.DecodeJSON(j, plan), what)
				if codec.Fast && !reflect.DeepEqual(plan, want) {
					t.Fatalf("%s: codec.DecodeJSON differs from sigs.k8s.io/yaml:\n%s", what, cmp.Diff(want, plan))
				}
				got, ok := codec.AppendJSON(nil, want)
				check("codec.AppendJSON (manifest object)", ok, what)
				if ok && string(got) != mustJSON(t, want) {
					t.Fatalf("%s: codec.AppendJSON differs from encoding/json:\n%s\n%s", what, got, mustJSON(t, want))
				}
			}
			pod, ok := want.(*corev1.Pod)
			if !ok {
				continue
			}
			checkPodEncoding(t, pod, check, what)
			res, err := inj.InjectPod(context.Background(), PodRequest{Pod: pod})
			if err != nil {
				continue
			}
			checkPodEncoding(t, res.Pod, check, what+" injected")
			checkReviewEncoding(t, res, check, what)
		}
	}
	// The webhook's pods: every corpus admission request's object.
	pods, _ := filepath.Glob(filepath.Join(dir, "cases", "*", "webhook-pod.*.json"))
	for _, path := range pods {
		var pod corev1.Pod
		if err := json.Unmarshal(readFile(t, path), &pod); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		what := filepath.Base(filepath.Dir(path)) + "/" + filepath.Base(path)
		var fast corev1.Pod
		ok := codec.DecodeJSON(readFile(t, path), &fast)
		check("codec.DecodeJSON (pod)", ok, what)
		if ok && !reflect.DeepEqual(&fast, &pod) {
			t.Fatalf("%s: codec.DecodeJSON differs from encoding/json:\n%s", what, cmp.Diff(&pod, &fast))
		}
		req := &admissionv1.AdmissionRequest{UID: "u", Operation: admissionv1.Create, Namespace: "default",
			Kind:   metav1.GroupVersionKind{Version: "v1", Kind: "Pod"},
			Object: runtime.RawExtension{Raw: readFile(t, path)}}
		body := mustJSON(t, &admissionv1.AdmissionReview{TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"}, Request: req})
		var review, refReview admissionv1.AdmissionReview
		ok = codec.DecodeJSON([]byte(body), &review)
		check("codec.DecodeJSON (review)", ok, what)
		if err := json.Unmarshal([]byte(body), &refReview); err != nil {
			t.Fatal(err)
		}
		if ok && !reflect.DeepEqual(&review, &refReview) {
			t.Fatalf("%s: codec.DecodeJSON of the review differs from encoding/json:\n%s", what, cmp.Diff(&refReview, &review))
		}
		checkPodEncoding(t, &pod, check, what)
		var id metav1.ObjectMeta
		copyIdentity(&id, &pod.ObjectMeta, idAll)
		check("identityStable", identityStable(&id), what)
		if res, err := inj.InjectPod(context.Background(), PodRequest{Pod: &pod, Namespace: "default"}); err == nil {
			checkPodEncoding(t, res.Pod, check, what+" injected")
			checkReviewEncoding(t, res, check, what)
		}
	}
	// The embedded default configuration, kube-inject's main job: its
	// templates' output must take the fast YAML reader too.
	def, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	hello := helloPod()
	data, err := def.templateData(PodRequest{Pod: hello}, hello, "default")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range def.defaultTemplates {
		out, err := def.set.Render(name, data)
		if err != nil {
			t.Fatal(err)
		}
		_, ok := template.DecodeYAMLTree(out)
		check("fastYAML (default config)", ok, "default "+name)
	}
	if codec.Fast && (taken["decodeStrictJSON"] == 0 || taken["codec.AppendJSON (pod)"] == 0 || taken["codec.DecodeJSON (pod)"] == 0 || taken["codec.DecodeJSON (review)"] == 0) {
		t.Fatalf("fast paths taken: %v", taken)
	}
	t.Logf("fast paths taken: %v", taken)
}

func checkPodEncoding(t testing.TB, pod *corev1.Pod, check func(string, bool, string), what string) {
	t.Helper()
	got, ok := codec.AppendJSON(nil, pod)
	check("codec.AppendJSON (pod)", ok, what)
	if ok && string(got) != mustJSON(t, pod) {
		t.Fatalf("%s: codec.AppendJSON differs from encoding/json", what)
	}
}

// checkReviewEncoding encodes the admission answer carrying res's patch and
// warnings both ways.
func checkReviewEncoding(t testing.TB, res *Result, check func(string, bool, string), what string) {
	t.Helper()
	pt := admissionv1.PatchTypeJSONPatch
	review := &admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Response: &admissionv1.AdmissionResponse{UID: "u", Allowed: true, Patch: res.PatchJSON, PatchType: &pt, Warnings: res.Warnings},
	}
	got, ok := codec.AppendJSON(nil, review)
	check("codec.AppendJSON (review)", ok, what)
	if ok && string(got) != mustJSON(t, review) {
		t.Fatalf("%s: the review response differs from encoding/json's", what)
	}
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// FuzzDecodeStrictJSON: whenever the strict-JSON decode of a manifest
// document is taken, sigs.k8s.io/yaml (the reference) decodes the same
// object.
func FuzzDecodeStrictJSON(f *testing.F) {
	for _, s := range []string{
		"apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: i}]}\n",
		"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n      containers:\n      - {name: c, ports: [{containerPort: 80}]}\n",
		"apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: {a: yes}}\nspec: {containers: [{name: c, resources: {limits: {cpu: 1}}}]}\n",
		`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","creationTimestamp":null},"spec":{"containers":[]}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		j, err := yaml.YAMLToJSONStrict(raw)
		if err != nil {
			return
		}
		head, err := documentHead(j)
		if err != nil {
			return
		}
		kind, ok := lookupKind(head.APIVersion, head.Kind)
		if !ok || kind.list {
			return
		}
		obj, fast := decodeStrictJSON(j, kind)
		if !fast {
			return
		}
		want := kind.new()
		if err := yaml.Unmarshal(raw, want); err != nil {
			t.Fatalf("decodeStrictJSON decoded what sigs.k8s.io/yaml refuses: %v", err)
		}
		if a, b := mustJSON(t, obj), mustJSON(t, want); a != b {
			t.Fatalf("decodeStrictJSON differs from sigs.k8s.io/yaml:\n%s\n%s", a, b)
		}
	})
}
