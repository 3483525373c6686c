package inject

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"

	admissionv1 "k8s.io/api/admission/v1"
)

// Reviewer answers AdmissionReviews like (*Injector).Review, and remembers
// its answers for recently seen pods. A webhook mostly sees the same pod
// again and again (every replica of a workload arrives with the same
// generateName, labels and spec, and no name or uid yet); for those the
// Reviewer skips decoding the pod and injecting it, and answers from the
// raw bytes of the request. The answers are byte for byte the ones Review
// gives.
//
// The key of an answer is the request's namespace and the raw pod with its
// metadata.managedFields removed (the API server stamps them with the time,
// and injection never reads or patches them). Only allowed answers are
// remembered; denials are recomputed. A Reviewer is safe for concurrent use;
// its memory is bounded by ReviewerOptions.CacheSize. With
// ReviewerOptions.Mutate set it answers through the hook and does not use
// this memory (review_hook.go).
type Reviewer struct {
	inj   *Injector
	mu    sync.Mutex
	max   int
	m     map[[32]byte]reviewAnswer
	order [][32]byte
	// hits, misses and bytes feed Stats (review_stats.go); bytes is
	// guarded by mu.
	hits, misses atomic.Uint64
	bytes        int64

	mutate MutateFunc // ReviewerOptions.Mutate
}

// ReviewerOptions configure a Reviewer.
type ReviewerOptions struct {
	// CacheSize is the number of answers kept (oldest evicted first);
	// 0 means 1024, a negative value disables the memory.
	CacheSize int
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

type reviewAnswer struct {
	patch    []byte // the encoded JSONPatch, nil when there is none
	warnings []string
}

// NewReviewer returns a Reviewer that answers with inj.
func NewReviewer(inj *Injector, opts ReviewerOptions) *Reviewer {
	max := opts.CacheSize
	if max == 0 {
		max = 1024
	}
	r := &Reviewer{inj: inj, max: max, mutate: opts.Mutate}
	if max > 0 {
		r.m = make(map[[32]byte]reviewAnswer, max)
	}
	return r
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
	if r.m == nil || !isPodCreate(req) || len(req.Object.Raw) == 0 {
		resp := r.inj.admit(ctx, req)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return respond(review.TypeMeta, resp)
	}
	key := reviewKey(req.Namespace, req.Object.Raw)
	r.mu.Lock()
	a, ok := r.m[key]
	r.mu.Unlock()
	if ok {
		r.hits.Add(1)
		resp := &admissionv1.AdmissionResponse{UID: req.UID, Allowed: true, Patch: a.patch, Warnings: a.warnings}
		if a.patch != nil {
			pt := admissionv1.PatchTypeJSONPatch
			resp.PatchType = &pt
		}
		return respond(review.TypeMeta, resp)
	}
	r.misses.Add(1)
	resp := r.inj.admit(ctx, req)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if resp.Allowed && resp.Result == nil {
		r.put(key, reviewAnswer{patch: resp.Patch, warnings: resp.Warnings})
	}
	return respond(review.TypeMeta, resp)
}

func (r *Reviewer) put(k [32]byte, a reviewAnswer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.m[k]; ok {
		return
	}
	if len(r.order) >= r.max {
		r.bytes -= r.m[r.order[0]].size()
		delete(r.m, r.order[0])
		r.order = r.order[1:]
	}
	r.m[k] = a
	r.bytes += a.size()
	r.order = append(r.order, k)
}

// reviewKey hashes the namespace and the raw pod without the value of its
// metadata.managedFields. The value is cut out only when the raw pod holds
// the key "managedFields" exactly once: a quote inside a JSON string is
// escaped, so that occurrence is the member itself, and the bytes around it
// identify everything else. Otherwise the whole raw pod is hashed.
func reviewKey(ns string, raw []byte) [32]byte {
	h := sha256.New()
	h.Write([]byte(ns))
	h.Write([]byte{0})
	const member = `"managedFields":`
	if bytes.Count(raw, []byte(`"managedFields"`)) == 1 {
		if at := bytes.Index(raw, []byte(member)); at >= 0 {
			start := at + len(member)
			dec := json.NewDecoder(bytes.NewReader(raw[start:]))
			var skip json.RawMessage
			if dec.Decode(&skip) == nil {
				end := start + int(dec.InputOffset())
				h.Write(raw[:start])
				h.Write([]byte{0})
				h.Write(raw[end:])
				var k [32]byte
				h.Sum(k[:0])
				return k
			}
		}
	}
	h.Write(raw)
	var k [32]byte
	h.Sum(k[:0])
	return k
}
