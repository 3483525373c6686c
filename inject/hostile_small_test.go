package inject

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// reviewRaw sends raw as a pod CREATE and returns the response.
func reviewRaw(t *testing.T, inj *Injector, raw string) *admissionv1.AdmissionResponse {
	t.Helper()
	body, err := json.Marshal(admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{
			UID: "u", Kind: metav1.GroupVersionKind{Version: "v1", Kind: "Pod"},
			Resource:  metav1.GroupVersionResource{Version: "v1", Resource: "pods"},
			Namespace: "shop", Operation: admissionv1.Create,
			Object: runtime.RawExtension{Raw: []byte(raw)},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := inj.Review(context.Background(), body)
	if err != nil {
		t.Fatal(err)
	}
	var resp admissionv1.AdmissionReview
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatal(err)
	}
	return resp.Response
}

// TestReviewIncompletePods: an allowed answer's patch always applies to the
// object as sent; a pod no API server sends (no metadata) or would accept
// (no containers) is denied instead (issue 10: "{}" was allowed with a
// patch that did not apply).
func TestReviewIncompletePods(t *testing.T) {
	const containers = `"spec":{"containers":[{"name":"app","image":"app"}]}`
	cases := []struct {
		name, raw string
		allowed   bool
		message   string
		reason    string
	}{
		{"empty object", `{}`, false, "request.object has no metadata object", "issue 10's case"},
		{"no metadata", `{` + containers + `}`, false, "request.object has no metadata object", "the patch's /metadata/annotations would have no parent"},
		{"null metadata", `{"metadata":null,` + containers + `}`, false, "request.object has no metadata object", "null is no parent either"},
		{"no spec", `{"metadata":{"name":"p"}}`, false, "spec.containers: no containers", "a pod without containers is refused, not injected"},
		{"no containers", `{"metadata":{"name":"p"},"spec":{"containers":[]}}`, false, "spec.containers: no containers", "the same with an empty list"},
		{"empty metadata", `{"metadata":{},` + containers + `}`, true, "", "an empty metadata object is a parent: the patch applies"},
		{"skipped without containers", `{"metadata":{"name":"p","labels":{"sidecar.istio.io/inject":"false"}}}`, true, "", "a pod the policy skips is allowed untouched, whatever it holds"},
	}
	inj := newTestInjector(t, nil)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := reviewRaw(t, inj, c.raw)
			if r.Allowed != c.allowed {
				t.Fatalf("allowed = %v, want %v (%s): %+v", r.Allowed, c.allowed, c.reason, r.Result)
			}
			if !r.Allowed {
				if r.Result == nil || r.Result.Code != 400 || !strings.Contains(r.Result.Message, c.message) {
					t.Errorf("denial %+v, want 400 with %q (%s)", r.Result, c.message, c.reason)
				}
				return
			}
			if len(r.Patch) == 0 {
				return
			}
			p, err := jsonpatch.DecodePatch(r.Patch)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.Apply([]byte(c.raw)); err != nil {
				t.Errorf("the patch does not apply to the object sent (%s): %v", c.reason, err)
			}
		})
	}
}

// TestNoContainers: a Pod or workload without containers is refused by
// every entry point, naming the field (issue 10: injected silently).
func TestNoContainers(t *testing.T) {
	inj := newTestInjector(t, nil)
	_, err := inj.InjectPod(context.Background(), PodRequest{Pod: &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "shop"}}})
	if !errors.Is(err, ErrNoContainers) || !strings.Contains(err.Error(), `pod "shop/p": spec.containers: no containers`) {
		t.Errorf("InjectPod: %v, want ErrNoContainers naming the pod and field", err)
	}
	for _, doc := range []string{
		"apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {}\n",
		"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {template: {spec: {containers: []}}}\n",
		"apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Pod, metadata: {name: p}}\n",
	} {
		_, err := inj.InjectManifests(context.Background(), []byte(doc), ManifestOptions{})
		if !errors.Is(err, ErrNoContainers) || !strings.Contains(err.Error(), "spec.containers: no containers") {
			t.Errorf("%q: %v, want ErrNoContainers", doc, err)
		}
	}
}

// TestClampedQuantities: Kubernetes reads a binary quantity of 8Ei or more
// as 2^63-1; kinject cannot keep the value but names each one (issue 10:
// a memory limit above 2^63 was capped silently).
func TestClampedQuantities(t *testing.T) {
	inj := newTestInjector(t, nil)
	const manifest = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    metadata:\n      annotations: {sidecar.istio.io/proxyMemoryLimit: 16Ei}\n    spec:\n" +
		"      containers: [{name: app, image: app, resources: {limits: {memory: 16Ei, cpu: \"2\"}, requests: {memory: 7Ei}}}]\n      volumes: [{name: v, emptyDir: {sizeLimit: 9Ei}}]\n"
	res, err := inj.InjectManifests(context.Background(), []byte(manifest), ManifestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(res.Warnings, "\n")
	for _, want := range []string{
		"spec.template.spec.containers[0].resources.limits.memory: a binary quantity of 8Ei or more is read",
		"spec.template.spec.volumes[0].emptyDir.sizeLimit: a binary quantity",
		`annotation sidecar.istio.io/proxyMemoryLimit="16Ei": a binary quantity`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("no warning %q; warnings:\n%s", want, all)
		}
	}
	if strings.Contains(all, "requests.memory") {
		t.Errorf("7Ei is below the limit and must not be named:\n%s", all)
	}
	r := reviewRaw(t, inj, `{"metadata":{"name":"p"},"spec":{"containers":[{"name":"app","image":"app","resources":{"limits":{"memory":"8Ei"}}}]}}`)
	if !r.Allowed || !strings.Contains(strings.Join(r.Warnings, "\n"), `spec.containers[0] ("app").resources.limits.memory: a binary quantity`) {
		t.Errorf("Review: allowed %v, warnings %q; want the clamped limit named", r.Allowed, r.Warnings)
	}
}
