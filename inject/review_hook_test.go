package inject

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// answer decodes a response review.
func answer(t *testing.T, out []byte) *admissionv1.AdmissionResponse {
	t.Helper()
	var r admissionv1.AdmissionReview
	if err := json.Unmarshal(out, &r); err != nil || r.Response == nil {
		t.Fatalf("response is not an AdmissionReview: %v\n%s", err, out)
	}
	return r.Response
}

// TestReviewMutate runs hooks over the review fixtures: each case says
// what the hook does and what the API server ends up storing (the request's
// raw pod with the response's patch applied).
func TestReviewMutate(t *testing.T) {
	inj := newTestInjector(t, nil)
	addLabel := func(_ context.Context, a *PodAdmission) error {
		if a.Pod.Labels == nil {
			a.Pod.Labels = map[string]string{}
		}
		a.Pod.Labels["platform.example/checked"] = "true"
		return nil
	}
	cases := []struct {
		name, reason string
		review       string
		mutate       MutateFunc
		wantCalled   bool
		check        func(t *testing.T, r *admissionv1.AdmissionResponse, stored map[string]any)
	}{
		{"label on injected pod", "the hook's change and the injection arrive in one patch", "hello", addLabel, true,
			func(t *testing.T, r *admissionv1.AdmissionResponse, stored map[string]any) {
				if got := path(stored, "metadata", "labels", "platform.example/checked"); got != "true" {
					t.Errorf("label = %v, want true", got)
				}
				if !hasContainerJSON(stored, "istio-proxy") {
					t.Error("sidecar lost")
				}
			}},
		{"label on skipped pod", "the hook sees pods the policy skips too (Decision says so) and may still change them", "skip",
			func(ctx context.Context, a *PodAdmission) error {
				if a.Decision.Inject {
					return errors.New("want a skipped pod")
				}
				return addLabel(ctx, a)
			}, true,
			func(t *testing.T, r *admissionv1.AdmissionResponse, stored map[string]any) {
				if got := path(stored, "metadata", "labels", "platform.example/checked"); got != "true" {
					t.Errorf("label = %v, want true", got)
				}
				if hasContainerJSON(stored, "istio-proxy") {
					t.Error("a skipped pod got a sidecar")
				}
			}},
		{"nothing changed", "a hook that changes nothing on a skipped pod leaves no patch", "skip",
			func(context.Context, *PodAdmission) error { return nil }, true,
			func(t *testing.T, r *admissionv1.AdmissionResponse, _ map[string]any) {
				if r.Patch != nil || r.PatchType != nil {
					t.Errorf("patch %s for an unchanged pod", r.Patch)
				}
			}},
		{"denial", "a *Denial refuses with its own code and message, without kinject's prefix", "hello",
			func(context.Context, *PodAdmission) error {
				return &Denial{Code: http.StatusForbidden, Message: `container "app" has no resource requests`}
			}, true,
			func(t *testing.T, r *admissionv1.AdmissionResponse, _ map[string]any) {
				want := &metav1.Status{Status: metav1.StatusFailure, Code: 403, Reason: metav1.StatusReasonForbidden, Message: `container "app" has no resource requests`}
				if r.Allowed || r.Patch != nil || !cmp.Equal(r.Result, want) {
					t.Errorf("allowed %v, patch %s, result %+v; want a 403 denial %+v", r.Allowed, r.Patch, r.Result, want)
				}
			}},
		{"wrapped denial", "a *Denial wrapped by the hook's own error still decides; code 0 means 403", "hello",
			func(context.Context, *PodAdmission) error {
				return fmt.Errorf("rule 7: %w", &Denial{Message: "no"})
			}, true,
			func(t *testing.T, r *admissionv1.AdmissionResponse, _ map[string]any) {
				if r.Allowed || r.Result.Code != 403 || r.Result.Message != "no" {
					t.Errorf("result %+v, want 403 \"no\"", r.Result)
				}
			}},
		{"hook error", "any other error is the webhook's failure: 500, naming the pod", "hello",
			func(context.Context, *PodAdmission) error { return errors.New("quota service unreachable") }, true,
			func(t *testing.T, r *admissionv1.AdmissionResponse, _ map[string]any) {
				if r.Allowed || r.Result.Code != 500 || !strings.Contains(r.Result.Message, `admission hook for pod "shop/web-6d8f7b9c5-*": quota service unreachable`) {
					t.Errorf("result %+v", r.Result)
				}
			}},
		{"no pod", "a hook that drops the pod is a failure, not an empty patch", "hello",
			func(_ context.Context, a *PodAdmission) error { a.Pod = nil; return nil }, true,
			func(t *testing.T, r *admissionv1.AdmissionResponse, _ map[string]any) {
				if r.Allowed || r.Result.Code != 500 || !strings.Contains(r.Result.Message, "left no pod") {
					t.Errorf("result %+v", r.Result)
				}
			}},
		{"warning", "the hook's warnings join the injection's", "hello",
			func(_ context.Context, a *PodAdmission) error {
				a.Warnings = append(a.Warnings, "team label missing")
				return nil
			}, true,
			func(t *testing.T, r *admissionv1.AdmissionResponse, _ map[string]any) {
				if !r.Allowed || len(r.Warnings) == 0 || r.Warnings[len(r.Warnings)-1] != "team label missing" {
					t.Errorf("warnings %q", r.Warnings)
				}
			}},
		{"unknown fields", "the patch is computed from the decoded request pod, so fields corev1 does not know survive even in a container the hook changes", "unknown-fields",
			func(_ context.Context, a *PodAdmission) error {
				a.Pod.Spec.Containers[0].Env = append(a.Pod.Spec.Containers[0].Env, corev1.EnvVar{Name: "TEAM", Value: "shop"})
				return nil
			}, true,
			func(t *testing.T, r *admissionv1.AdmissionResponse, stored map[string]any) {
				spec := stored["spec"].(map[string]any)
				app := spec["containers"].([]any)[0].(map[string]any)
				if app["futureContainerField"] != "keep me" || spec["futurePodField"] == nil {
					t.Errorf("unknown fields lost: %v", spec)
				}
				if env, _ := json.Marshal(app["env"]); !bytes.Contains(env, []byte(`"TEAM"`)) {
					t.Errorf("hook's env missing: %s", env)
				}
			}},
		{"not a pod create", "other requests are allowed untouched without calling the hook", "update",
			func(context.Context, *PodAdmission) error { return errors.New("must not be called") }, false,
			func(t *testing.T, r *admissionv1.AdmissionResponse, _ map[string]any) {
				if !r.Allowed || r.Patch != nil {
					t.Errorf("response %+v", r)
				}
			}},
		{"injection error", "a pod kinject refuses is refused before the hook runs, as without it", "bad-annotation",
			func(context.Context, *PodAdmission) error { return errors.New("must not be called") }, false,
			func(t *testing.T, r *admissionv1.AdmissionResponse, _ map[string]any) {
				if r.Allowed || r.Result.Code != 400 || !strings.HasPrefix(r.Result.Message, "kinject: ") {
					t.Errorf("result %+v", r.Result)
				}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var called atomic.Bool
			rv := NewReviewer(inj, ReviewerOptions{Mutate: func(ctx context.Context, a *PodAdmission) error {
				called.Store(true)
				return c.mutate(ctx, a)
			}})
			body, req := readReview(t, c.review)
			out, err := rv.Review(context.Background(), body)
			if err != nil {
				t.Fatal(err)
			}
			if called.Load() != c.wantCalled {
				t.Errorf("hook called: %v, want %v (%s)", called.Load(), c.wantCalled, c.reason)
			}
			r := answer(t, out)
			if r.UID != req.Request.UID {
				t.Errorf("uid %q", r.UID)
			}
			var stored map[string]any
			if r.Allowed && len(req.Request.Object.Raw) > 0 {
				doc := req.Request.Object.Raw
				if len(r.Patch) > 0 {
					doc = applyPatch(t, doc, r.Patch)
				}
				if err := json.Unmarshal(doc, &stored); err != nil {
					t.Fatal(err)
				}
			}
			c.check(t, r, stored)
		})
	}
}

// TestReviewMutateNoopMatchesReview: with a hook that changes nothing, every
// fixture gets exactly the stock answer, byte for byte.
func TestReviewMutateNoopMatchesReview(t *testing.T) {
	inj := newTestInjector(t, nil)
	rv := NewReviewer(inj, ReviewerOptions{Mutate: func(context.Context, *PodAdmission) error { return nil }})
	for _, c := range reviewCases {
		body, _ := readReview(t, c.name)
		want, err := inj.Review(context.Background(), body)
		if err != nil {
			t.Fatal(err)
		}
		for round := range 2 { // the second round comes from the Injector's cache
			got, err := rv.Review(context.Background(), body)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s (round %d, %s): hook path differs from Review:\n%s\nwant\n%s", c.name, round, c.reason, got, want)
			}
		}
	}
}

// TestReviewMutateNeverCached: the hook runs on every request, and what it
// does on one request does not leak into the next (neither into the
// Reviewer's answers nor into the Injector's cached injection).
func TestReviewMutateNeverCached(t *testing.T) {
	inj := newTestInjector(t, nil)
	var n atomic.Int32
	rv := NewReviewer(inj, ReviewerOptions{Mutate: func(_ context.Context, a *PodAdmission) error {
		k := n.Add(1)
		a.Pod.Labels["call"] = fmt.Sprint(k)
		a.Pod.Spec.Containers[0].Image = "changed"
		a.Pod.Annotations["call"] = fmt.Sprint(k)
		return nil
	}})
	body, req := readReview(t, "hello")
	for k := 1; k <= 3; k++ {
		out, err := rv.Review(context.Background(), body)
		if err != nil {
			t.Fatal(err)
		}
		var stored map[string]any
		if err := json.Unmarshal(applyPatch(t, req.Request.Object.Raw, answer(t, out).Patch), &stored); err != nil {
			t.Fatal(err)
		}
		if got := path(stored, "metadata", "labels", "call"); got != fmt.Sprint(k) {
			t.Errorf("request %d: label call = %v: an answer was reused", k, got)
		}
	}
	// The stock path, sharing the Injector, still gives its own answer.
	want, err := newTestInjector(t, nil).Review(context.Background(), body)
	if err != nil {
		t.Fatal(err)
	}
	got, err := inj.Review(context.Background(), body)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("the hook's changes leaked into the Injector's cache:\n%s\nwant\n%s", got, want)
	}
}

// TestReviewMutateOriginalUntouched: Original is the decoded request pod
// even when the hook rewrites Pod's maps and slices, cold and cached.
func TestReviewMutateOriginalUntouched(t *testing.T) {
	inj := newTestInjector(t, nil)
	body, req := readReview(t, "hello")
	want, err := DecodePod(req.Request)
	if err != nil {
		t.Fatal(err)
	}
	rv := NewReviewer(inj, ReviewerOptions{Mutate: func(_ context.Context, a *PodAdmission) error {
		a.Pod.Labels["x"] = "y"
		a.Pod.Annotations["x"] = "y"
		a.Pod.Spec.Containers[0].Env = append(a.Pod.Spec.Containers[0].Env, corev1.EnvVar{Name: "X"})
		for k := range a.Pod.Spec.Containers {
			a.Pod.Spec.Containers[k].Args = append(a.Pod.Spec.Containers[k].Args, "--x")
		}
		if d := cmp.Diff(want, a.Original); d != "" {
			t.Errorf("Original changed by the hook's edits of Pod (-want +got):\n%s", d)
		}
		return nil
	}})
	for range 2 {
		if _, err := rv.Review(context.Background(), body); err != nil {
			t.Fatal(err)
		}
	}
}

// TestReviewByHand builds the answer from the exported pieces and gets the
// bytes the hook gives for the same change.
func TestReviewByHand(t *testing.T) {
	inj := newTestInjector(t, nil)
	label := func(p *corev1.Pod) {
		if p.Labels == nil {
			p.Labels = map[string]string{}
		}
		p.Labels["platform.example/checked"] = "true"
	}
	rv := NewReviewer(inj, ReviewerOptions{Mutate: func(_ context.Context, a *PodAdmission) error { label(a.Pod); return nil }})
	byHand := func(body []byte) ([]byte, error) {
		review, err := DecodeReview(body)
		if err != nil {
			return nil, err
		}
		pod, err := DecodePod(review.Request)
		if err != nil || pod == nil {
			return Respond(review, nil, nil, err)
		}
		res, err := inj.InjectPod(context.Background(), PodRequest{Pod: pod, Namespace: review.Request.Namespace})
		if err != nil {
			return Respond(review, nil, nil, err)
		}
		label(res.Pod)
		p, err := PodPatch(pod, res.Pod)
		if err != nil {
			return nil, err
		}
		return Respond(review, p, append(res.Decision.Warnings, res.Warnings...), nil)
	}
	for _, c := range reviewCases {
		body, _ := readReview(t, c.name)
		want, err := rv.Review(context.Background(), body)
		if err != nil {
			t.Fatal(err)
		}
		got, err := byHand(body)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: by hand:\n%s\nwant (hook)\n%s", c.name, got, want)
		}
	}
	if _, err := DecodeReview([]byte(`{"kind":"AdmissionReview"}`)); !errors.Is(err, ErrBadReview) {
		t.Errorf("DecodeReview of a bad review: %v, want ErrBadReview", err)
	}
	if _, err := Respond(&admissionv1.AdmissionReview{}, nil, nil, nil); !errors.Is(err, ErrBadReview) {
		t.Errorf("Respond without a request: %v, want ErrBadReview", err)
	}
}

// TestDenialStatus: each code gets the API's reason; 0 means 403.
func TestDenialStatus(t *testing.T) {
	cases := []struct {
		code   int32
		reason metav1.StatusReason
		why    string
	}{
		{0, metav1.StatusReasonForbidden, "a policy refusal by default"},
		{400, metav1.StatusReasonBadRequest, "the pod is malformed"},
		{403, metav1.StatusReasonForbidden, "a policy refusal"},
		{422, metav1.StatusReasonInvalid, "the pod fails validation"},
		{429, metav1.StatusReasonTooManyRequests, "rate limited"},
		{500, metav1.StatusReasonInternalError, "the webhook failed"},
		{418, "", "an unusual code has no reason"},
	}
	for _, c := range cases {
		s := (&Denial{Code: c.code, Message: "m"}).status()
		wantCode := c.code
		if wantCode == 0 {
			wantCode = 403
		}
		if s.Code != wantCode || s.Reason != c.reason || s.Message != "m" || s.Status != metav1.StatusFailure {
			t.Errorf("code %d: %+v, want code %d reason %q (%s)", c.code, s, wantCode, c.reason, c.why)
		}
	}
}

// path follows map keys through decoded JSON.
func path(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func hasContainerJSON(pod map[string]any, name string) bool {
	spec, _ := pod["spec"].(map[string]any)
	for _, list := range []string{"containers", "initContainers"} {
		cs, _ := spec[list].([]any)
		for _, c := range cs {
			if m, _ := c.(map[string]any); m["name"] == name {
				return true
			}
		}
	}
	return false
}
