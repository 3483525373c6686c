package inject

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"sync/atomic"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kinject/kinject/internal/cache"
	"github.com/kinject/kinject/internal/codec"
)

// Reviewer answers AdmissionReviews like (*Injector).Review, and remembers
// its answers for recently seen pods. A webhook mostly sees the same pod
// again and again (every replica of a workload arrives with the same
// generateName, labels and spec, and no name or uid yet); for those the
// Reviewer skips decoding the pod and injecting it, and answers from the
// raw bytes of the request. The answers are byte for byte the ones Review
// gives (FuzzReviewerMatchesReview).
//
// The key of an answer is the request's namespace and the raw pod, less
// the value of its metadata.managedFields, which the API server stamps
// with the time on every replica and which injection never reads (Review
// drops it before injecting). The value is found by scanning the JSON's
// structure (see managedFieldsSpan) and left out only when Review would
// decode it without error; otherwise the whole raw pod is the key. Only
// allowed answers are remembered; denials are recomputed.
//
// A Reviewer is safe for concurrent use. Its memory is bounded by
// ReviewerOptions.CacheBytes (the answers' patches and warnings), on top of
// the Injector's own result cache (Config.CacheBytes). With
// ReviewerOptions.Mutate set it answers through the hook and does not use
// this memory (review_hook.go).
type Reviewer struct {
	inj   *Injector
	cache *cache.Cache[[32]byte, reviewAnswer]

	mutate MutateFunc // ReviewerOptions.Mutate

	// hits and misses feed Stats (review_stats.go).
	hits, misses atomic.Uint64
}

// ReviewerOptions configure a Reviewer.
type ReviewerOptions struct {
	// CacheBytes bounds the memory of the remembered answers, in bytes:
	// their patches and warnings, plus a small fixed cost each. 0 means
	// DefaultReviewerCacheBytes, a negative value disables the memory. An
	// answer costing more than a sixteenth of it is never kept; the least
	// recently used answers are evicted first.
	CacheBytes int64

	// Mutate, when set, is the webhook's own change on top of the
	// injection: it is called for every pod CREATE, injected or not, with
	// the decoded pod, the request, the decision and the injected pod,
	// and may change the pod or refuse it (a *Denial; any other error
	// refuses it as an internal error, 500). The patch is computed from
	// the request's pod to what the hook leaves, so fields corev1 does not
	// know survive. Other requests are allowed without calling it.
	//
	// The hook's answers are never remembered (they may depend on anything
	// the hook reads); the injection before it still comes from the
	// Injector's cache, so a replica costs decoding, the hook and a diff.
	Mutate MutateFunc
}

// DefaultReviewerCacheBytes is the Reviewer's budget when
// ReviewerOptions.CacheBytes is 0: 16 MiB. An answer for a typical pod
// with Istio's sidecar template is its encoded response, about 7 KiB:
// room for thousands of pod templates; answers over 1 MiB are not kept.
const DefaultReviewerCacheBytes = 16 << 20

type reviewAnswer struct {
	patch    []byte // the encoded JSONPatch, nil when there is none
	warnings []string
	// Once split: the response as respond encodes it for the review type
	// tm, cut where the UID's text goes (head ends with the UID's opening
	// quote, tail starts with its closing one), and patch and warnings
	// dropped. The UID is AdmissionResponse's first member and nothing
	// else depends on it, so head, the UID's escaped text and tail are
	// respond's bytes for any UID (split checks the cut on two UIDs); a
	// request of another review type is answered afresh.
	tm   metav1.TypeMeta
	text []byte // head, then tail
	cut  int    // len(head)
}

// response is the response an answer not split gives to a request with
// the given UID.
func (a *reviewAnswer) response(uid types.UID) *admissionv1.AdmissionResponse {
	resp := &admissionv1.AdmissionResponse{UID: uid, Allowed: true, Patch: a.patch, Warnings: a.warnings}
	if a.patch != nil {
		pt := admissionv1.PatchTypeJSONPatch
		resp.PatchType = &pt
	}
	return resp
}

// split cuts the answer for the review type tm (see reviewAnswer), unless
// respond's bytes for an empty UID and for "x" do not differ by exactly
// that one byte after "uid":".
func (a *reviewAnswer) split(tm metav1.TypeMeta) {
	if !codec.Fast {
		return // a fast path: under kinject_reference every hit is encoded afresh
	}
	empty, err := respond(tm, a.response(""))
	if err != nil {
		return
	}
	x, err := respond(tm, a.response("x"))
	if err != nil || len(x) != len(empty)+1 {
		return
	}
	i := 0
	for i < len(empty) && empty[i] == x[i] {
		i++
	}
	if i == len(empty) || x[i] != 'x' || empty[i] != '"' || !bytes.Equal(empty[i:], x[i+1:]) ||
		!bytes.HasSuffix(empty[:i], []byte(`"uid":"`)) {
		return
	}
	a.tm, a.text, a.cut, a.patch, a.warnings = tm, append([]byte(nil), empty...), i, nil, nil
}

// answers reports whether the answer serves a request of review type tm.
func (a *reviewAnswer) answers(tm metav1.TypeMeta) bool { return a.text == nil || a.tm == tm }

// encode writes respond's bytes for the review type tm (one the answer
// serves) and the UID uid.
func (a *reviewAnswer) encode(tm metav1.TypeMeta, uid types.UID) ([]byte, error) {
	if a.text == nil {
		return respond(tm, a.response(uid))
	}
	out := make([]byte, 0, len(a.text)+codec.QuotedLen(string(uid), codec.EscapeHTML))
	out = codec.AppendQuote(append(out, a.text[:a.cut-1]...), string(uid), codec.EscapeHTML)
	return append(out, a.text[a.cut+1:]...), nil
}

// NewReviewer returns a Reviewer that answers with inj.
func NewReviewer(inj *Injector, opts ReviewerOptions) *Reviewer {
	budget := opts.CacheBytes
	if budget == 0 {
		budget = DefaultReviewerCacheBytes
	}
	if opts.Mutate != nil {
		budget = -1 // answers through the hook are never remembered
	}
	return &Reviewer{inj: inj, cache: cache.New[[32]byte, reviewAnswer](budget), mutate: opts.Mutate}
}

// Review answers an AdmissionReview exactly as (*Injector).Review does,
// ctx included.
func (r *Reviewer) Review(ctx context.Context, body []byte) ([]byte, error) {
	if r == nil || r.inj == nil {
		return nil, errors.New("inject: Review called on a nil *Reviewer")
	}
	review, err := decodeReview(body)
	if err != nil {
		return nil, err
	}
	if r.mutate != nil {
		return r.reviewMutate(ctx, review)
	}
	req := review.Request
	if r.cache == nil || !isPodCreate(req) || len(req.Object.Raw) == 0 {
		resp := r.inj.admit(ctx, req)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return respond(review.TypeMeta, resp)
	}
	key := reviewKey(req.Namespace, req.Object.Raw)
	if a, ok := r.cache.Get(key); ok && a.answers(review.TypeMeta) {
		r.hits.Add(1)
		return a.encode(review.TypeMeta, req.UID)
	}
	r.misses.Add(1)
	resp := r.inj.admit(ctx, req)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if resp.Allowed && resp.Result == nil {
		a := reviewAnswer{patch: resp.Patch, warnings: resp.Warnings}
		a.split(review.TypeMeta)
		r.cache.Put(key, a, cache.SizeOf(a))
	}
	return respond(review.TypeMeta, resp)
}

// reviewKey hashes the namespace and the raw pod. The value of the pod's
// metadata.managedFields is left out when managedFieldsSpan finds it and
// it decodes as Review decodes it; its member name and everything around
// it stay in. What Review's answer depends on is then all in the key:
// Review decodes the raw pod (the value left out is known to decode
// cleanly, and decodes into a field Review then clears), takes the
// namespace from the request, and reads nothing else of the request but
// its UID, which the answer carries and the cache does not.
func reviewKey(ns string, raw []byte) [32]byte {
	h := sha256.New()
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(ns)))
	h.Write(n[:])
	h.Write([]byte(ns))
	if start, end, ok := managedFieldsSpan(raw); ok && managedFieldsDecode(raw[start:end]) {
		binary.BigEndian.PutUint64(n[:], uint64(start))
		h.Write([]byte{'c'})
		h.Write(n[:]) // where the cut is, so the two parts are unambiguous
		h.Write(raw[:start])
		h.Write(raw[end:])
	} else {
		h.Write([]byte{'w'})
		h.Write(raw)
	}
	var k [32]byte
	h.Sum(k[:0])
	return k
}
