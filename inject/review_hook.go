package inject

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"k8s.io/apimachinery/pkg/api/equality"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kinject/kinject/internal/codec"
	"github.com/kinject/kinject/patch"
	"github.com/kinject/kinject/policy"
)

// MutateFunc is a webhook's own change on top of the injection (see
// ReviewerOptions.Mutate). It may change a.Pod, add to a.Warnings, or
// refuse the pod by returning a *Denial.
type MutateFunc func(ctx context.Context, a *PodAdmission) error

// PodAdmission is one pod CREATE as a MutateFunc sees it, after kinject has
// decided and injected.
type PodAdmission struct {
	// Request is the admission request (the namespace, the user, dryRun,
	// the raw object). Read it; changing it changes nothing.
	Request *admissionv1.AdmissionRequest
	// Original is the pod as decoded from the request, with its namespace
	// filled from the request and managedFields left out. It is the base
	// of the patch: do not change it.
	Original *corev1.Pod
	// Pod is what will be admitted: the injected pod when Decision.Inject,
	// else a copy of Original. Change it in place (or replace it); the
	// patch is computed from Original to it when the hook returns.
	Pod *corev1.Pod
	// Decision is the injection decision, with its reason.
	Decision policy.Decision
	// Warnings are returned to the user (kubectl prints them): the
	// decision's and the injection's, to which the hook may add its own.
	Warnings []string
}

// Denial is an error that refuses an admission request. Returned by a
// MutateFunc (or given to Respond), it becomes a response with allowed
// false, the HTTP status Code and Message, which the API server shows the
// user ("admission webhook ... denied the request: Message").
type Denial struct {
	// Code is the HTTP status code, e.g. http.StatusForbidden; 0 means 403.
	Code int32
	// Message says why, in words for the user who created the pod.
	Message string
}

// Error returns the message.
func (d *Denial) Error() string { return d.Message }

// status is the response's result for d.
func (d *Denial) status() *metav1.Status {
	code := d.Code
	if code == 0 {
		code = http.StatusForbidden
	}
	var reason metav1.StatusReason
	switch code {
	case http.StatusBadRequest:
		reason = metav1.StatusReasonBadRequest
	case http.StatusUnauthorized:
		reason = metav1.StatusReasonUnauthorized
	case http.StatusForbidden:
		reason = metav1.StatusReasonForbidden
	case http.StatusNotFound:
		reason = metav1.StatusReasonNotFound
	case http.StatusConflict:
		reason = metav1.StatusReasonConflict
	case http.StatusUnprocessableEntity:
		reason = metav1.StatusReasonInvalid
	case http.StatusTooManyRequests:
		reason = metav1.StatusReasonTooManyRequests
	case http.StatusInternalServerError:
		reason = metav1.StatusReasonInternalError
	case http.StatusServiceUnavailable:
		reason = metav1.StatusReasonServiceUnavailable
	case http.StatusGatewayTimeout:
		reason = metav1.StatusReasonTimeout
	}
	return &metav1.Status{Status: metav1.StatusFailure, Code: code, Reason: reason, Message: d.Message}
}

// DecodeReview decodes an AdmissionReview request (admission.k8s.io/v1 or
// v1beta1) and checks that it can be answered: it has a request with a
// UID. An error matches ErrBadReview; a webhook answers it with HTTP 400.
// It is the first step of Review, for a webhook that builds its answer by
// hand.
func DecodeReview(body []byte) (*admissionv1.AdmissionReview, error) { return decodeReview(body) }

// DecodePod returns the pod a request creates, decoded as Review decodes
// it: managedFields are left out (they never affect injection, and so the
// patch never touches them) and an empty namespace is taken from the
// request (a ReplicaSet's pods arrive without one). It returns nil and no
// error for a request Review allows untouched (not a pod CREATE, or a
// subresource); a pod that cannot be decoded is a *Denial with code 400.
//
// The pod is the base to diff against (PodPatch): fields of the raw
// request that corev1 does not know are not in it, and a patch computed
// from it leaves them alone in the API server's object.
func DecodePod(req *admissionv1.AdmissionRequest) (*corev1.Pod, error) {
	if req == nil || !isPodCreate(req) {
		return nil, nil
	}
	if len(req.Object.Raw) == 0 {
		return nil, &Denial{Code: http.StatusBadRequest, Message: "kinject: request.object is empty"}
	}
	var pod corev1.Pod
	if !codec.DecodeJSON(req.Object.Raw, &pod) {
		pod = corev1.Pod{}
		if err := json.Unmarshal(req.Object.Raw, &pod); err != nil {
			return nil, &Denial{Code: http.StatusBadRequest, Message: fmt.Sprintf("kinject: decoding request.object as a Pod: %v", err)}
		}
	}
	// A patch is computed against the decoded pod, which always has
	// metadata; against a raw object without it ("{}"), its
	// /metadata/... operations would not apply. An API server always
	// sends metadata; anything else is refused.
	if equality.Semantic.DeepEqual(pod.ObjectMeta, metav1.ObjectMeta{}) && !hasObjectMember(req.Object.Raw, "metadata") {
		return nil, &Denial{Code: http.StatusBadRequest, Message: "kinject: request.object has no metadata object"}
	}
	pod.ManagedFields = nil
	if pod.Namespace == "" {
		pod.Namespace = req.Namespace
	}
	return &pod, nil
}

// PodPatch returns the JSONPatch (RFC 6902, encoded) that turns orig, the
// pod DecodePod returned, into final, with lists aligned by their
// Kubernetes merge keys so that unchanged elements are never touched; nil
// when the two are equal. The API server applies it to the raw object it
// holds, so fields corev1 does not know survive (both sides lack them).
func PodPatch(orig, final *corev1.Pod) ([]byte, error) {
	a, err := marshalPod(orig)
	if err != nil {
		return nil, err
	}
	return podPatchFrom(a, final)
}

func podPatchFrom(orig []byte, final *corev1.Pod) ([]byte, error) {
	b, err := marshalPod(final)
	if err != nil {
		return nil, err
	}
	p, err := patch.DiffPod(orig, b)
	if err != nil {
		return nil, fmt.Errorf("computing patch: %w", err)
	}
	if len(p) == 0 {
		return nil, nil
	}
	return json.Marshal(p)
}

// Respond encodes the answer to review, as Review would give it: with err
// nil the request is allowed, with patch (when not empty) and warnings;
// with a *Denial it is refused with the denial's code and message; with
// another error it is refused as Review refuses a failed injection (400
// for a fault in the pod such as an invalid annotation, 500 otherwise).
// The response carries the request's UID and the review's API version.
func Respond(review *admissionv1.AdmissionReview, patch []byte, warnings []string, err error) ([]byte, error) {
	if review == nil || review.Request == nil {
		return nil, fmt.Errorf("%w: no request", ErrBadReview)
	}
	resp := &admissionv1.AdmissionResponse{UID: review.Request.UID, Allowed: true}
	if err != nil {
		denyError(resp, err)
	} else {
		resp.Warnings = appendUnique(nil, warnings...)
		if len(patch) > 0 {
			pt := admissionv1.PatchTypeJSONPatch
			resp.Patch, resp.PatchType = patch, &pt
		}
	}
	return respond(review.TypeMeta, resp)
}

// denyError refuses resp for err: a *Denial as it says, an injection error
// as admit does.
func denyError(resp *admissionv1.AdmissionResponse, err error) *admissionv1.AdmissionResponse {
	var d *Denial
	if errors.As(err, &d) {
		resp.Allowed, resp.Result = false, d.status()
		resp.Warnings = nil
		return resp
	}
	// InjectPod's error already names the pod and the field.
	if podFault(err) {
		return deny(resp, http.StatusBadRequest, metav1.StatusReasonBadRequest, err.Error())
	}
	return deny(resp, http.StatusInternalServerError, metav1.StatusReasonInternalError, err.Error())
}

// admitMutate is admit with a MutateFunc: the pod is injected (the
// Injector's own cache still spares the rendering for a replica), the hook
// runs on the result, and the patch is computed from the decoded request
// pod to whatever the hook left.
func (i *Injector) admitMutate(ctx context.Context, req *admissionv1.AdmissionRequest, mutate MutateFunc) *admissionv1.AdmissionResponse {
	resp := &admissionv1.AdmissionResponse{UID: req.UID, Allowed: true}
	pod, err := DecodePod(req)
	if err != nil {
		return denyError(resp, err)
	}
	if pod == nil {
		return resp
	}
	// The base of the diff is fixed now: nothing the hook does to the
	// pods can move it.
	orig, err := marshalPod(pod)
	if err != nil {
		return denyError(resp, err)
	}
	res, err := i.InjectPod(ctx, PodRequest{
		Pod:       pod,
		TypeMeta:  metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		Namespace: req.Namespace,
	})
	if err != nil {
		return denyError(resp, err)
	}
	a := &PodAdmission{
		Request:  req,
		Original: pod,
		Pod:      res.Pod,
		Decision: res.Decision,
		Warnings: appendUnique(appendUnique(nil, res.Decision.Warnings...), res.Warnings...),
	}
	if err := mutate(ctx, a); err != nil {
		var d *Denial
		if !errors.As(err, &d) {
			err = fmt.Errorf("admission hook for pod %s: %w", reviewPodName(pod, req), err)
		}
		return denyError(resp, err)
	}
	if a.Pod == nil {
		return denyError(resp, fmt.Errorf("admission hook for pod %s left no pod", reviewPodName(pod, req)))
	}
	p, err := podPatchFrom(orig, a.Pod)
	if err != nil {
		return denyError(resp, fmt.Errorf("pod %s: %w", reviewPodName(pod, req), err))
	}
	resp.Warnings = appendUnique(nil, a.Warnings...)
	if len(p) > 0 {
		pt := admissionv1.PatchTypeJSONPatch
		resp.Patch, resp.PatchType = p, &pt
	}
	return resp
}

// reviewMutate answers a review through the Reviewer's MutateFunc. The
// answer cache is not used: what the hook does may depend on anything (the
// user, the time, another system), so its answers are never remembered;
// the pre-hook injection is still the Injector's cached one.
func (r *Reviewer) reviewMutate(ctx context.Context, review *admissionv1.AdmissionReview) ([]byte, error) {
	resp := r.inj.admitMutate(ctx, review.Request, r.mutate)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return respond(review.TypeMeta, resp)
}

// hasObjectMember reports whether the JSON object raw has a member key
// whose value is an object (the last one, as encoding/json decodes
// duplicates).
func hasObjectMember(raw []byte, key string) bool {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return false
	}
	found := false
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return false
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return false
		}
		if k, _ := t.(string); k == key {
			found = len(v) > 0 && v[0] == '{'
		}
	}
	return found
}
