package inject

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/kinject/kinject/internal/codec"
)

// referencePodReview is what decodePodReview must give: decodeReview (its
// checks aside, compared separately), then
// DecodePod, with the request's raw object dropped (the fast path does not
// keep it). ok is false when the two steps give no pod.
func referencePodReview(body []byte) (string, *corev1.Pod, bool) {
	// decodeReview's decoding, before its envelope check.
	review := &admissionv1.AdmissionReview{}
	if err := json.Unmarshal(body, review); err != nil || review.Request == nil {
		return "", nil, false
	}
	pod, err := DecodePod(review.Request)
	if err != nil || pod == nil {
		return "", nil, false
	}
	review.Request.Object.Raw = nil
	return mustJSONString(review), pod, true
}

func mustJSONString(v any) string {
	b, err := jsonMarshal(v)
	if err != nil {
		return "error: " + err.Error()
	}
	return string(b)
}

// checkPodReview holds decodePodReview to the reference; it reports whether
// the fast path was taken.
func checkPodReview(t *testing.T, body []byte) bool {
	t.Helper()
	review, pod, ok := decodePodReview(body)
	if !ok {
		return false
	}
	if !codec.Fast {
		t.Fatal("taken under kinject_reference")
	}
	wantReview, wantPod, wantOK := referencePodReview(body)
	if !wantOK {
		t.Fatalf("fast path gives a pod where the reference gives none: %s", body)
	}
	if got := mustJSONString(review); got != wantReview {
		t.Fatalf("review differs:\n%s", cmp.Diff(wantReview, got))
	}
	if !reflect.DeepEqual(pod, wantPod) {
		t.Fatalf("pod differs:\n%s", cmp.Diff(wantPod, pod))
	}
	// The rest of the envelope is checked as decodeReview checks it.
	_, err := decodeReview(body)
	if got := checkReview(review); (got == nil) != (err == nil) || got != nil && got.Error() != err.Error() {
		t.Fatalf("checkReview = %v, decodeReview = %v", got, err)
	}
	return true
}

func TestDecodePodReview(t *testing.T) {
	pod := `{"metadata":{"name":"p","managedFields":[{"manager":"m"}]},"spec":{"containers":[{"name":"a"}]}}`
	env := func(req string) []byte {
		return []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":` + req + `}`)
	}
	create := `"uid":"u","kind":{"group":"","version":"v1","kind":"Pod"},"operation":"CREATE","namespace":"ns"`
	for _, tc := range []struct {
		name, reason string
		body         []byte
		taken        bool
	}{
		{"pod create", "the common case: taken, managedFields dropped, namespace from the request", env(`{` + create + `,"object":` + pod + `}`), true},
		{"pod with namespace", "the pod's own namespace stays", env(`{` + create + `,"object":{"metadata":{"name":"p","namespace":"x"}}}`), true},
		{"v1beta1", "the other API version", []byte(`{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{` + create + `,"object":` + pod + `}}`), true},
		{"old object too", "oldObject stays raw", env(`{` + create + `,"object":` + pod + `,"oldObject":{"a":1}}`), true},
		{"no object", "DecodePod's denial comes from the two steps", env(`{` + create + `}`), false},
		{"null object", "likewise", env(`{` + create + `,"object":null}`), false},
		{"empty metadata", "DecodePod reads the raw bytes for metadata", env(`{` + create + `,"object":{"metadata":{}}}`), false},
		{"no metadata", "refused by DecodePod", env(`{` + create + `,"object":{"spec":{}}}`), false},
		{"not a pod", "an object with members a pod lacks", env(`{` + create + `,"object":{"metadata":{"name":"d"},"replicas":1}}`), false},
		{"update", "not a pod CREATE", env(`{"uid":"u","kind":{"group":"","version":"v1","kind":"Pod"},"operation":"UPDATE","object":` + pod + `}`), false},
		{"subresource", "not a pod CREATE", env(`{` + create + `,"subResource":"status","object":` + pod + `}`), false},
		{"deployment", "another kind", env(`{"uid":"u","kind":{"group":"apps","version":"v1","kind":"Deployment"},"operation":"CREATE","object":` + pod + `}`), false},
		{"case-folded object key", "encoding/json matches it case-insensitively", env(`{` + create + `,"Object":` + pod + `}`), false},
		{"duplicate object", "encoding/json merges", env(`{` + create + `,"object":` + pod + `,"object":` + pod + `}`), false},
		{"no uid", "taken; the envelope check refuses it as decodeReview does", env(`{"kind":{"group":"","version":"v1","kind":"Pod"},"operation":"CREATE","object":` + pod + `}`), true},
		{"wrong kind", "taken; refused by the envelope check", []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"Foo","request":{` + create + `,"object":` + pod + `}}`), true},
		{"not JSON", "declined", []byte(`{"request":`), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := checkPodReview(t, tc.body); got != (tc.taken && codec.Fast) {
				t.Errorf("taken = %v, want %v", got, tc.taken && codec.Fast)
			}
		})
	}
}

// TestDecodePodReviewTaken decodes the review of every corpus webhook pod
// both ways; the fast path must be taken on each.
func TestDecodePodReviewTaken(t *testing.T) {
	dir := corpusDir(t)
	pods, _ := filepath.Glob(filepath.Join(dir, "cases", "*", "webhook-pod.*.json"))
	if len(pods) == 0 {
		t.Skip("no corpus webhook pods")
	}
	for _, path := range pods {
		body := reviewBody(t, readFile(t, path), "default")
		if got := checkPodReview(t, body); got != codec.Fast {
			t.Errorf("%s: taken = %v, want %v", path, got, codec.Fast)
		}
	}
}

// FuzzDecodePodReview holds decodePodReview to decodeReview and DecodePod on
// any body.
func FuzzDecodePodReview(f *testing.F) {
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","kind":{"group":"","version":"v1","kind":"Pod"},"operation":"CREATE","object":{"metadata":{"name":"p"}}}}`))
	f.Add([]byte(`{"kind":"AdmissionReview","request":{"uid":"u","resource":{"resource":"pods"},"operation":"CREATE","namespace":"n","object":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"a","env":[{"name":"x","value":"y"}]}]}}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		if strings.Count(string(body), "{") > 200 {
			return
		}
		checkPodReview(t, body)
	})
}
