package inject

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kinject/kinject/internal/codec"
	"github.com/kinject/kinject/template"
	"github.com/kinject/kinject/template/meshconfig"
)

// ErrBadReview is matched (errors.Is) by every error Review returns: the body
// is not an AdmissionReview it can answer (not JSON, another kind or API
// version, no request, no UID). A webhook server answers it with HTTP 400.
var ErrBadReview = errors.New("malformed AdmissionReview")

// The API versions of AdmissionReview that Review answers. The response uses
// the request's, as the API server requires.
const (
	admissionV1      = "admission.k8s.io/v1"
	admissionV1beta1 = "admission.k8s.io/v1beta1"
)

// Review answers an AdmissionReview (admission.k8s.io/v1, or v1beta1 which
// has the same shape) from a mutating webhook for pods and returns the
// encoded response review.
//
// The response carries the request's UID. A pod CREATE that the policy
// injects is allowed with a JSONPatch (patchType is set only when there is a
// patch); every other request (another resource, a subresource, UPDATE,
// DELETE, CONNECT, a pod the policy skips) is allowed untouched. Warnings
// from the policy and the injection are returned in response.warnings, which
// kubectl prints. A dry-run request is answered exactly like a real one:
// Review has no side effects, so the API server can show the user what would
// be created.
//
// A review whose pod cannot be decoded or injected is denied with a status
// naming the problem (the API server shows it to the user). A body that is
// not an answerable AdmissionReview is an error matching ErrBadReview.
//
// The patch is computed between the pod as corev1 decodes it and the injected
// pod, so fields of the raw request that corev1 does not know (a newer API
// server's) are never touched by it and survive admission.
//
// ctx bounds the work (a webhook passes the HTTP request's context, so a
// client that times out stops it): once it is done, Review returns an error
// matching ctx.Err() instead of an answer.
func (i *Injector) Review(ctx context.Context, body []byte) ([]byte, error) {
	if i == nil {
		return nil, errors.New("inject: Review called on a nil *Injector")
	}
	review, resp, err := reviewWith(ctx, i, body)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		// Nobody is waiting for the answer; it may be a denial made of
		// the cancellation, which must not reach an API server.
		return nil, err
	}
	return respond(review.TypeMeta, resp)
}

// reviewWith decodes a request review and decides it with i (an Injector
// or a Mesh): the review and its pod in one pass where decodePodReview can,
// else decodeReview and admitWith.
func reviewWith(ctx context.Context, i injecter, body []byte) (*admissionv1.AdmissionReview, *admissionv1.AdmissionResponse, error) {
	if review, pod, ok := decodePodReview(body); ok {
		if err := checkReview(review); err != nil {
			return nil, nil, err
		}
		return review, admitPod(ctx, i, review.Request, pod, nil), nil
	}
	review, err := decodeReview(body)
	if err != nil {
		return nil, nil, err
	}
	return review, admitWith(ctx, i, review.Request), nil
}

// decodeReview decodes and checks the envelope of a request review.
func decodeReview(body []byte) (*admissionv1.AdmissionReview, error) {
	var review admissionv1.AdmissionReview
	if !codec.DecodeJSON(body, &review) {
		review = admissionv1.AdmissionReview{}
		if err := json.Unmarshal(body, &review); err != nil {
			return nil, fmt.Errorf("%w: decoding: %w", ErrBadReview, err)
		}
	}
	if err := checkReview(&review); err != nil {
		return nil, err
	}
	return &review, nil
}

// checkReview checks the envelope of a request review.
func checkReview(review *admissionv1.AdmissionReview) error {
	switch {
	case review.Kind != "AdmissionReview":
		return fmt.Errorf("%w: kind is %q, want AdmissionReview", ErrBadReview, review.Kind)
	case review.APIVersion != admissionV1 && review.APIVersion != admissionV1beta1:
		return fmt.Errorf("%w: apiVersion is %q, want %s or %s", ErrBadReview, review.APIVersion, admissionV1, admissionV1beta1)
	case review.Request == nil:
		return fmt.Errorf("%w: no request", ErrBadReview)
	case review.Request.UID == "":
		return fmt.Errorf("%w: request has no uid", ErrBadReview)
	}
	return nil
}

// podReview is an AdmissionReview whose request's object is decoded as a
// pod in the same pass (its own members win over the embedded ones, as
// encoding/json resolves them).
type podReview struct {
	admissionv1.AdmissionReview `json:",inline"`
	Request                     *podRequest `json:"request,omitempty"`
}

type podRequest struct {
	admissionv1.AdmissionRequest `json:",inline"`
	Object                       *corev1.Pod `json:"object,omitempty"`
}

// decodePodReview is a fast path for decodeReview followed by DecodePod:
// the review and the pod of a pod CREATE in one pass over the body, without
// the pod's raw bytes being scanned, copied and decoded again. The
// request's Object.Raw is left empty (Review reads the pod only). It
// declines (false) where codec.DecodeJSON declines on the review with its
// object read as a pod (the object is not a pod, null or absent), for a
// request that is not a pod CREATE, and for a pod whose metadata decodes
// empty (DecodePod then looks at the raw bytes); always under
// kinject_reference. TestDecodePodReview holds it to the two steps.
func decodePodReview(body []byte) (*admissionv1.AdmissionReview, *corev1.Pod, bool) {
	if !codec.Fast {
		return nil, nil, false
	}
	var pr podReview
	if !codec.DecodeJSON(body, &pr) || pr.Request == nil || pr.Request.Object == nil {
		return nil, nil, false
	}
	review := pr.AdmissionReview
	req := &pr.Request.AdmissionRequest
	review.Request = req
	pod := pr.Request.Object
	if !isPodCreate(req) || equality.Semantic.DeepEqual(pod.ObjectMeta, metav1.ObjectMeta{}) {
		return nil, nil, false
	}
	pod.ManagedFields = nil
	if pod.Namespace == "" {
		pod.Namespace = req.Namespace
	}
	return &review, pod, true
}

func respond(tm metav1.TypeMeta, resp *admissionv1.AdmissionResponse) ([]byte, error) {
	b, err := encodeReview(tm, resp)
	if err != nil {
		// Nothing in a response can fail to encode; keep the error anyway.
		return nil, fmt.Errorf("inject: encoding AdmissionReview response: %w", err)
	}
	return b, nil
}

// encodeReview encodes the response review: json.Marshal's bytes, written
// by codec.AppendJSON from the type's plan (which saves encoding/json's
// reflection on the Reviewer's replica path), or by encoding/json where it
// declines.
func encodeReview(tm metav1.TypeMeta, r *admissionv1.AdmissionResponse) ([]byte, error) {
	review := &admissionv1.AdmissionReview{TypeMeta: tm, Response: r}
	if b, ok := codec.AppendJSON(make([]byte, 0, 256+base64.StdEncoding.EncodedLen(len(r.Patch))), review); ok {
		return b, nil
	}
	return json.Marshal(review)
}

// admit decides one admission request.
func (i *Injector) admit(ctx context.Context, req *admissionv1.AdmissionRequest) *admissionv1.AdmissionResponse {
	return admitWith(ctx, i, req)
}

// admitWith decides one admission request with i (an Injector or a Mesh).
func admitWith(ctx context.Context, i injecter, req *admissionv1.AdmissionRequest) *admissionv1.AdmissionResponse {
	pod, err := DecodePod(req)
	return admitPod(ctx, i, req, pod, err)
}

// admitPod decides one admission request whose pod DecodePod returned
// (pod and err).
func admitPod(ctx context.Context, i injecter, req *admissionv1.AdmissionRequest, pod *corev1.Pod, err error) *admissionv1.AdmissionResponse {
	resp := &admissionv1.AdmissionResponse{UID: req.UID, Allowed: true}
	if err != nil {
		return denyError(resp, err)
	}
	if pod == nil {
		return resp
	}
	res, err := i.InjectPod(ctx, PodRequest{
		Pod:       pod,
		TypeMeta:  metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		Namespace: req.Namespace,
		PatchOnly: true,
		readOnly:  true,
	})
	if err != nil {
		return denyError(resp, err)
	}
	resp.Warnings = appendUnique(resp.Warnings, res.Decision.Warnings...)
	resp.Warnings = appendUnique(resp.Warnings, res.Warnings...)
	if !res.Decision.Inject || len(res.Patch) == 0 {
		return resp
	}
	p := res.PatchJSON
	if p == nil {
		var err error
		if p, err = res.Patch.MarshalJSON(); err != nil {
			return deny(resp, http.StatusInternalServerError, metav1.StatusReasonInternalError,
				fmt.Sprintf("encoding the patch for pod %s: %v", reviewPodName(pod, req), err))
		}
	}
	pt := admissionv1.PatchTypeJSONPatch
	resp.Patch, resp.PatchType = p, &pt
	return resp
}

// podFault reports whether an injection error is caused by the pod's own
// data (an invalid annotation, label, proxy config or resource), which the
// API server reports as a bad request rather than a webhook failure.
func podFault(err error) bool {
	for _, target := range []error{
		template.ErrInvalidAnnotation,
		template.ErrInvalidLabel,
		template.ErrInvalidName,
		ErrNoContainers,
		meshconfig.ErrProxyConfig,
		template.ErrNegativeResource,
		template.ErrBadOutput,
	} {
		if errors.Is(err, target) {
			return true
		}
	}
	var re *template.ResourceError
	return errors.As(err, &re)
}

// isPodCreate reports whether req creates a pod (not a subresource).
func isPodCreate(req *admissionv1.AdmissionRequest) bool {
	if req.Operation != admissionv1.Create || req.SubResource != "" {
		return false
	}
	if req.Kind.Kind != "" {
		return req.Kind.Group == "" && req.Kind.Kind == "Pod"
	}
	return req.Resource.Group == "" && req.Resource.Resource == "pods"
}

func deny(resp *admissionv1.AdmissionResponse, code int32, reason metav1.StatusReason, msg string) *admissionv1.AdmissionResponse {
	resp.Allowed = false
	resp.Result = &metav1.Status{
		Status:  metav1.StatusFailure,
		Code:    code,
		Reason:  reason,
		Message: "kinject: " + msg,
	}
	return resp
}

// reviewPodName names a pod in a message: namespace/name, or the generateName
// prefix a controller's pod arrives with.
func reviewPodName(pod *corev1.Pod, req *admissionv1.AdmissionRequest) string {
	name := pod.Name
	if name == "" {
		name = req.Name
	}
	if name == "" && pod.GenerateName != "" {
		name = pod.GenerateName + "*"
	}
	if name == "" {
		name = "(unnamed)"
	}
	if pod.Namespace != "" {
		name = pod.Namespace + "/" + name
	}
	return fmt.Sprintf("%q", name)
}

func appendUnique(dst []string, src ...string) []string {
outer:
	for _, s := range src {
		for _, d := range dst {
			if d == s {
				continue outer
			}
		}
		dst = append(dst, s)
	}
	return dst
}
