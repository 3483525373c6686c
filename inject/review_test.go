package inject

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"github.com/google/go-cmp/cmp"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kinject/kinject/internal/codec"
)

const reviewDir = "../testdata/inject/review"

// reviewCases are the AdmissionReviews under testdata/inject/review.
var reviewCases = []struct {
	name    string
	reason  string
	allowed bool
	patched bool
}{
	{"hello", "a ReplicaSet's pod as the API server sends it: generateName, owner, managedFields, defaults", true, true},
	{"dryrun", "a dry run gets the same answer: Review has no side effects", true, true},
	{"v1beta1", "admission.k8s.io/v1beta1 is answered in v1beta1", true, true},
	{"update", "only CREATE is injected", true, false},
	{"subresource", "pods/binding is not a pod creation", true, false},
	{"service", "other resources are allowed untouched", true, false},
	{"skip", "sidecar.istio.io/inject=false: allowed without a patch", true, false},
	{"hostnetwork", "host-network pods are never injected", true, false},
	{"bad-annotation", "an invalid traffic annotation denies the pod with a message naming it", false, false},
	{"malformed-object", "an object that is not a Pod is denied with a decoding message", false, false},
	{"unknown-fields", "fields corev1 does not know survive the patch", true, true},
	{"annotations", "resource, proxy-config, prometheus and probe settings from annotations", true, true},
}

func readReview(t *testing.T, name string) ([]byte, *admissionv1.AdmissionReview) {
	t.Helper()
	body, err := os.ReadFile(filepath.Join(reviewDir, name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var r admissionv1.AdmissionReview
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return body, &r
}

func indentJSON(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		t.Fatalf("indent: %v\n%s", err, b)
	}
	out.WriteByte('\n')
	return out.Bytes()
}

// TestReviewGolden answers each review and compares the response and, when
// there is a patch, the patched pod with golden files.
func TestReviewGolden(t *testing.T) {
	inj := newTestInjector(t, nil)
	for _, c := range reviewCases {
		t.Run(c.name, func(t *testing.T) {
			body, req := readReview(t, c.name)
			out, err := inj.Review(context.Background(), body)
			if err != nil {
				t.Fatalf("Review: %v", err)
			}
			var resp admissionv1.AdmissionReview
			if err := json.Unmarshal(out, &resp); err != nil {
				t.Fatalf("response is not an AdmissionReview: %v", err)
			}
			r := resp.Response
			switch {
			case resp.APIVersion != req.APIVersion || resp.Kind != "AdmissionReview":
				t.Errorf("response is %s %s, want %s AdmissionReview", resp.APIVersion, resp.Kind, req.APIVersion)
			case resp.Request != nil:
				t.Errorf("response echoes the request")
			case r == nil:
				t.Fatalf("no response")
			case r.UID != req.Request.UID:
				t.Errorf("uid %q, want %q", r.UID, req.Request.UID)
			case r.Allowed != c.allowed:
				t.Errorf("allowed = %v, want %v (%s); result %+v", r.Allowed, c.allowed, c.reason, r.Result)
			case (len(r.Patch) > 0) != c.patched || (r.PatchType != nil) != c.patched:
				t.Errorf("patch %q patchType %v, want a patch: %v (%s)", r.Patch, r.PatchType, c.patched, c.reason)
			case !r.Allowed && (r.Result == nil || !strings.HasPrefix(r.Result.Message, "kinject: ")):
				t.Errorf("a denial must carry a message: %+v", r.Result)
			}
			golden(t, filepath.Join(reviewDir, c.name+".response.json"), indentJSON(t, out))
			// The second answer comes from the Injector's cache: the same bytes.
			again, err := inj.Review(context.Background(), body)
			if err != nil || !bytes.Equal(again, out) {
				t.Errorf("second Review differs (cache path): %v\n%s\nwant\n%s", err, again, out)
			}
			if !c.patched {
				return
			}
			patched := applyPatch(t, req.Request.Object.Raw, r.Patch)
			golden(t, filepath.Join(reviewDir, c.name+".pod.json"), indentJSON(t, patched))
		})
	}
}

// TestReviewGoldenPatchesApply checks the golden files against each other
// without running the injector: each golden patch, applied (RFC 6902, with
// evanphx/json-patch) to the request's raw pod, gives the golden pod.
func TestReviewGoldenPatchesApply(t *testing.T) {
	for _, c := range reviewCases {
		if !c.patched {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			_, req := readReview(t, c.name)
			respBody, err := os.ReadFile(filepath.Join(reviewDir, c.name+".response.json"))
			if err != nil {
				t.Fatal(err)
			}
			wantPod, err := os.ReadFile(filepath.Join(reviewDir, c.name+".pod.json"))
			if err != nil {
				t.Fatal(err)
			}
			var resp admissionv1.AdmissionReview
			if err := json.Unmarshal(respBody, &resp); err != nil {
				t.Fatal(err)
			}
			got := applyPatch(t, req.Request.Object.Raw, resp.Response.Patch)
			if !jsonpatch.Equal(got, wantPod) {
				t.Errorf("patch applied to the request's pod differs from %s.pod.json:\n%s", c.name, got)
			}
		})
	}
}

func applyPatch(t *testing.T, doc, p []byte) []byte {
	t.Helper()
	decoded, err := jsonpatch.DecodePatch(p)
	if err != nil {
		t.Fatalf("decoding patch: %v\n%s", err, p)
	}
	out, err := decoded.Apply(doc)
	if err != nil {
		t.Fatalf("applying patch: %v\n%s", err, p)
	}
	return out
}

// TestReviewUnknownFieldsSurvive applies the patch to the raw request: the
// fields corev1 does not know are still there, next to the sidecar.
func TestReviewUnknownFieldsSurvive(t *testing.T) {
	inj := newTestInjector(t, nil)
	body, req := readReview(t, "unknown-fields")
	out, err := inj.Review(context.Background(), body)
	if err != nil {
		t.Fatal(err)
	}
	var resp admissionv1.AdmissionReview
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatal(err)
	}
	patched := applyPatch(t, req.Request.Object.Raw, resp.Response.Patch)
	var pod struct {
		Spec struct {
			FuturePodField map[string]any `json:"futurePodField"`
			Containers     []struct {
				Name   string `json:"name"`
				Future string `json:"futureContainerField"`
			} `json:"containers"`
		} `json:"spec"`
	}
	if err := json.Unmarshal(patched, &pod); err != nil {
		t.Fatal(err)
	}
	if pod.Spec.FuturePodField["enabled"] != true {
		t.Errorf("spec.futurePodField lost: %s", patched)
	}
	var app, proxy bool
	for _, c := range pod.Spec.Containers {
		app = app || (c.Name == "app" && c.Future == "keep me")
		proxy = proxy || c.Name == "istio-proxy"
	}
	if !app || !proxy {
		t.Errorf("want app with futureContainerField and istio-proxy, got %s", patched)
	}
}

// TestReviewReinjectAndUninject feeds the injected pod back: re-injection
// gives the same pod, and Uninject restores the original.
func TestReviewReinjectAndUninject(t *testing.T) {
	for _, native := range []bool{false, true} {
		inj := newTestInjector(t, func(c *Config) { c.NativeSidecars = native })
		body, req := readReview(t, "hello")
		first := reviewPatched(t, inj, body, req.Request.Object.Raw)

		again := bytes.Replace(body, req.Request.Object.Raw, first, 1)
		second := reviewPatched(t, inj, again, first)
		if !jsonpatch.Equal(first, second) {
			t.Errorf("native=%v: re-injecting the injected pod changed it:\n%s", native, cmp.Diff(string(indentJSON(t, first)), string(indentJSON(t, second))))
		}

		var injected, orig corev1.Pod
		if err := json.Unmarshal(first, &injected); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(req.Request.Object.Raw, &orig); err != nil {
			t.Fatal(err)
		}
		got, err := Uninject(&injected)
		if err != nil {
			t.Fatalf("native=%v: Uninject: %v", native, err)
		}
		// Uninject restores the pod exactly; the review only adds the
		// request's namespace (on both sides of its diff), and the patch
		// never touches managedFields (whose raw FieldsV1 bytes lose their
		// whitespace when the patched JSON is re-encoded).
		got.Namespace = orig.Namespace
		got.ManagedFields, orig.ManagedFields = nil, nil
		if d := cmp.Diff(orig, *got); d != "" {
			t.Errorf("native=%v: Uninject(Review(pod)) != pod (-orig +uninjected):\n%s", native, d)
		}
		if _, ok := got.Annotations["sidecar.istio.io/status"]; ok {
			t.Errorf("native=%v: Uninject left the status annotation", native)
		}
		if !native {
			b, err := typedJSON(got, false) // as the newest k8s.io writes it
			if err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join(reviewDir, "hello.uninjected.json"), indentJSON(t, b))
		}
	}
}

// reviewPatched answers body and returns raw with the response's patch
// applied (raw itself when there is no patch).
func reviewPatched(t *testing.T, inj *Injector, body, raw []byte) []byte {
	t.Helper()
	out, err := inj.Review(context.Background(), body)
	if err != nil {
		t.Fatal(err)
	}
	var resp admissionv1.AdmissionReview
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatal(err)
	}
	if !resp.Response.Allowed {
		t.Fatalf("denied: %+v", resp.Response.Result)
	}
	if len(resp.Response.Patch) == 0 {
		return raw
	}
	return applyPatch(t, raw, resp.Response.Patch)
}

// TestReviewBadBodies checks the envelope errors.
func TestReviewBadBodies(t *testing.T) {
	inj := newTestInjector(t, nil)
	cases := []struct {
		name, body, want, reason string
	}{
		{"empty", ``, "decoding", "an empty body is not a review"},
		{"not json", `<xml/>`, "decoding", "only JSON is answered"},
		{"array", `[]`, "decoding", "a review is an object"},
		{"wrong kind", `{"apiVersion":"admission.k8s.io/v1","kind":"Pod","request":{"uid":"1"}}`, `kind is "Pod"`, "another kind is refused"},
		{"wrong version", `{"apiVersion":"admission.k8s.io/v2","kind":"AdmissionReview","request":{"uid":"1"}}`, `apiVersion is "admission.k8s.io/v2"`, "unknown versions are refused, not guessed"},
		{"no request", `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}`, "no request", "there is nothing to answer"},
		{"no uid", `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"operation":"CREATE"}}`, "no uid", "the API server matches responses by uid"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := inj.Review(context.Background(), []byte(c.body))
			if err == nil {
				t.Fatalf("Review succeeded with %s, want an error (%s)", out, c.reason)
			}
			if !errors.Is(err, ErrBadReview) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q: want ErrBadReview containing %q (%s)", err, c.want, c.reason)
			}
		})
	}
}

// FuzzReview: any body gives either an error or a well-formed response
// review for the request's uid, and never a panic.
func FuzzReview(f *testing.F) {
	for _, c := range reviewCases {
		body, err := os.ReadFile(filepath.Join(reviewDir, c.name+".json"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(body)
	}
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","kind":{"kind":"Pod"},"operation":"CREATE","object":null}}`))
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","kind":{"kind":"Pod"},"operation":"CREATE","object":{"metadata":{"annotations":{"sidecar.istio.io/proxyCPU":"}}{{"}},"spec":{"containers":[{"name":"a"}]}}}}`))
	inj := newTestInjector(f, nil)
	f.Fuzz(func(t *testing.T, body []byte) {
		out, err := inj.Review(context.Background(), body)
		if err != nil {
			if !errors.Is(err, ErrBadReview) {
				t.Fatalf("error %v does not match ErrBadReview", err)
			}
			return
		}
		var in, resp admissionv1.AdmissionReview
		if err := json.Unmarshal(body, &in); err != nil {
			t.Fatalf("Review accepted a body encoding/json rejects: %v", err)
		}
		if err := json.Unmarshal(out, &resp); err != nil {
			t.Fatalf("response is not JSON: %v\n%s", err, out)
		}
		if resp.Kind != "AdmissionReview" || resp.APIVersion != in.APIVersion || resp.Response == nil || resp.Response.UID != in.Request.UID {
			t.Fatalf("malformed response %s", out)
		}
		if r := resp.Response; len(r.Patch) > 0 {
			if _, err := jsonpatch.DecodePatch(r.Patch); err != nil {
				t.Fatalf("patch is not RFC 6902: %v", err)
			}
		}
	})
}

// TestEncodeReviewMatchesJSON: the hand-written encoder gives exactly
// json.Marshal's bytes.
func TestEncodeReviewMatchesJSON(t *testing.T) {
	pt := admissionv1.PatchTypeJSONPatch
	v1 := metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"}
	cases := []struct {
		name   string
		tm     metav1.TypeMeta
		resp   admissionv1.AdmissionResponse
		reason string
	}{
		{"allowed", v1, admissionv1.AdmissionResponse{UID: "u", Allowed: true}, "the most common answer"},
		{"patch", v1, admissionv1.AdmissionResponse{UID: "u", Allowed: true, Patch: []byte(`[{"op":"add","path":"/a","value":1}]`), PatchType: &pt}, "base64 patch and its type"},
		{"warnings", v1, admissionv1.AdmissionResponse{UID: "u\"<>&\u2028é", Allowed: true, Warnings: []string{"a <b> & \"c\"", "\n\t\x01", "ünï"}}, "encoding/json's escaping, HTML included"},
		{"odd bytes", v1, admissionv1.AdmissionResponse{UID: "u\xff\xfe", Allowed: true, Warnings: []string{"\b\f\r\x7f\u2029", "bad \xc3 utf-8"}}, "invalid UTF-8, short escapes, line separators"},
		{"empty warnings", v1, admissionv1.AdmissionResponse{UID: "u", Allowed: true, Warnings: []string{}}, "omitempty drops an empty list"},
		{"empty patch", v1, admissionv1.AdmissionResponse{UID: "u", Allowed: true, Patch: []byte{}}, "omitempty drops an empty patch"},
		{"no typemeta", metav1.TypeMeta{}, admissionv1.AdmissionResponse{UID: "u", Allowed: true}, "omitempty type fields"},
		{"denied", v1, admissionv1.AdmissionResponse{UID: "u", Result: &metav1.Status{Message: "no", Code: 400}}, "a status with its code"},
		{"audit", v1, admissionv1.AdmissionResponse{UID: "u", Allowed: true, AuditAnnotations: map[string]string{"b": "2", "a": "<1>"}}, "sorted, escaped map"},
	}
	for _, c := range cases {
		want, err := json.Marshal(&admissionv1.AdmissionReview{TypeMeta: c.tm, Response: &c.resp})
		if err != nil {
			t.Fatal(err)
		}
		got, err := encodeReview(c.tm, &c.resp)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("%s (%s):\n got %s\nwant %s", c.name, c.reason, got, want)
		}
		if _, ok := codec.AppendJSON(nil, &admissionv1.AdmissionReview{TypeMeta: c.tm, Response: &c.resp}); ok != codec.Fast {
			t.Errorf("%s: codec.AppendJSON taken = %v, want %v", c.name, ok, codec.Fast)
		}
	}
}
