package inject

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kinject/kinject/internal/cache"
	"github.com/kinject/kinject/internal/codec"
	"github.com/kinject/kinject/patch"
	"github.com/kinject/kinject/template"
)

// The result cache and why it cannot change a result.
//
// An injection result is a function of the PodRequest (the pod and its
// surroundings) and the Injector's configuration, which is fixed. The key
// hashes all of the request except a pod's identity fields (name,
// generateName, uid, resourceVersion, creationTimestamp, managedFields):
// those differ between a workload's replicas, and leaving them out is what
// lets replica two reuse replica one's work. A field is left out only when
// nothing on the way from the request to the Result depends on it:
//
//  1. The templates. What each template may read of its Data is decided
//     from its parse tree (template.Set.Reads); a field a request's
//     templates may read stays in that request's key. The identity fields
//     reach the templates only as .ObjectMeta.<field> (templateData copies
//     the pod's metadata there and nowhere else) and through
//     .DeploymentMeta and .TypeMeta, which workloadOf derives from the
//     name, generateName, owner references and labels: the derived values
//     are in the key themselves.
//  2. The Go code. Before the lookup, the decision and the name checks
//     (template.ValidateNames) run on every call. After it, only workloadOf
//     (above) and the error messages (podLabel; errors are never cached)
//     read an identity field; uninjectPod and dropProxyRunAsUser copy them
//     unchanged; the status annotation, the warnings (resource findings
//     name containers) and post-processing do not read them.
//  3. The result carries the field through unchanged. The merge keeps a
//     metadata member no template document writes
//     (template.Applied.MetadataWritten, which depends on the rendered
//     output, so on the key); before an entry is stored, the result's
//     identity fields are checked to be the input's as the pod's JSON
//     round trip leaves them (identityThroughJSON), and the patch to hold no
//     operation on them or on metadata as a whole. The patch is then the
//     same for every pod of the key (Diff aligns by field, and a struct
//     like metadata is never replaced whole), and the cached pod becomes
//     another pod's result by taking that pod's identity fields through
//     the same round trip (instantiate).
//
// TestCachedEqualsUncached, TestCacheIdentitySpellings,
// TestCacheTemplateWritesIdentity and FuzzCacheSound hold the cache to
// that against an Injector without one.

// identityField is a bit set of the pod's identity fields.
type identityField uint8

const (
	idName identityField = 1 << iota
	idGenerateName
	idUID
	idResourceVersion
	idCreationTimestamp
	idManagedFields
	idAll = idName | idGenerateName | idUID | idResourceVersion | idCreationTimestamp | idManagedFields
)

// identityFields names each field as ObjectMeta's Go field (what templates
// address) and as its JSON member (what patches and documents address).
var identityFields = [...]struct {
	bit        identityField
	goName     string
	jsonMember string
}{
	{idName, "Name", "name"},
	{idGenerateName, "GenerateName", "generateName"},
	{idUID, "UID", "uid"},
	{idResourceVersion, "ResourceVersion", "resourceVersion"},
	{idCreationTimestamp, "CreationTimestamp", "creationTimestamp"},
	{idManagedFields, "ManagedFields", "managedFields"},
}

// identityReads returns, per template of set, the identity fields its
// rendering may read.
func identityReads(set *template.Set) map[string]identityField {
	out := map[string]identityField{}
	for _, name := range set.Names() {
		r := set.Reads(name)
		var m identityField
		for _, f := range identityFields {
			if r.May("ObjectMeta", f.goName) {
				m |= f.bit
			}
		}
		out[name] = m
	}
	return out
}

// readsOf returns the identity fields the named templates may read (an
// unknown name: all of them; rendering it fails anyway).
func (i *Injector) readsOf(names []string) identityField {
	if names == nil {
		return i.defaultReads
	}
	var m identityField
	for _, n := range i.set.Expand(names) {
		r, ok := i.tmplReads[n]
		if !ok {
			return idAll
		}
		m |= r
	}
	return m
}

// templateNames returns the templates a pod asks for with
// inject.istio.io/templates, or nil for the configured defaults.
// uninjectPod never changes that annotation, so the injected pod's and the
// request's agree.
func templateNames(p *corev1.Pod) []string {
	if v, ok := p.Annotations[annTemplates]; ok && strings.TrimSpace(v) != "" {
		return strings.Split(v, ",")
	}
	return nil
}

// cacheKey hashes everything an injection result depends on besides the
// Injector's configuration: the request, the namespace, the workload
// derived from the pod, and the pod without the identity fields in
// cleared (those the request's templates cannot read; see the comment
// above).
func (i *Injector) cacheKey(req PodRequest, ns string, cleared identityField) ([32]byte, bool) {
	if i.cache == nil {
		return [32]byte{}, false
	}
	// A shallow copy is enough: only top-level ObjectMeta fields are
	// cleared, nothing shared is written.
	cp := *req.Pod
	p := &cp
	clearIdentity(p, cleared)
	// The workload the templates see as .DeploymentMeta and .TypeMeta
	// (derived from the name, generateName, owner references and labels
	// when the request does not say; uninjectPod and dropProxyRunAsUser
	// change none of those, so the pod templateData derives it from gives
	// the same).
	dm, tm := workloadOf(req, req.Pod, ns)
	k := struct {
		Req          PodRequest
		Namespace    string
		Workload     types.NamespacedName
		WorkloadKind metav1.TypeMeta
	}{Req: req, Namespace: ns, Workload: dm, WorkloadKind: tm}
	k.Req.Pod = nil
	// The key is the request's JSON followed by the pod's (two complete
	// JSON documents, so the boundary is unambiguous); the pod is encoded
	// the fast way.
	b, err := appendJSON(make([]byte, 0, 256), k)
	if err != nil {
		return [32]byte{}, false
	}
	if b, err = appendPodJSON(append(b, '\n'), p); err != nil {
		return [32]byte{}, false
	}
	return sha256.Sum256(b), true
}

// clearIdentity zeroes the identity fields in fields.
func clearIdentity(p *corev1.Pod, fields identityField) {
	if fields&idName != 0 {
		p.Name = ""
	}
	if fields&idGenerateName != 0 {
		p.GenerateName = ""
	}
	if fields&idUID != 0 {
		p.UID = ""
	}
	if fields&idResourceVersion != 0 {
		p.ResourceVersion = ""
	}
	if fields&idCreationTimestamp != 0 {
		p.CreationTimestamp = metav1.Time{}
	}
	if fields&idManagedFields != 0 {
		p.ManagedFields = nil
	}
}

// carriesThrough reports whether the injection of orig into res carried
// each identity field in fields through unchanged, by construction: no
// template document writes it (written is Applied.MetadataWritten), the
// result holds orig's value, and no patch operation touches it or
// metadata as a whole. Only then may a result be shared by pods that
// differ in those fields.
func carriesThrough(orig *corev1.Pod, res *Result, written []string, fields identityField) bool {
	for _, w := range written {
		if w == "*" {
			return false
		}
		for _, f := range identityFields {
			if fields&f.bit != 0 && w == f.jsonMember {
				return false
			}
		}
	}
	want, ok := identityThroughJSON(&orig.ObjectMeta, fields)
	if !ok {
		return false
	}
	var got metav1.ObjectMeta
	copyIdentity(&got, &res.Pod.ObjectMeta, fields)
	if !reflect.DeepEqual(want, got) {
		return false
	}
	for _, op := range res.Patch {
		if touchesIdentity(op.Path, fields) || (op.Op == "move" || op.Op == "copy") && touchesIdentity(op.From, fields) {
			return false
		}
	}
	return true
}

// touchesIdentity reports whether a patch path is, or holds, one of the
// identity fields in fields: the document, metadata, or the field itself.
func touchesIdentity(path string, fields identityField) bool {
	if path == "" || path == "/metadata" {
		return true
	}
	rest, ok := strings.CutPrefix(path, "/metadata/")
	if !ok {
		return false
	}
	member, _, _ := strings.Cut(rest, "/")
	for _, f := range identityFields {
		if fields&f.bit != 0 && member == f.jsonMember {
			return true
		}
	}
	return false
}

// identityThroughJSON returns the identity fields of m in fields (the
// others zero) as the injection's conversions leave them: the pod goes to
// a JSON tree and back (template's toMap and fromMap, which give what
// encoding/json gives), so a creation time comes back in the local zone
// and whole seconds, invalid UTF-8 as U+FFFD. A field carried through the
// injection comes out exactly so.
func identityThroughJSON(m *metav1.ObjectMeta, fields identityField) (metav1.ObjectMeta, bool) {
	var in, out metav1.ObjectMeta
	copyIdentity(&in, m, fields)
	if identityStable(&in) {
		return in, true
	}
	b, err := json.Marshal(&in)
	if err != nil || json.Unmarshal(b, &out) != nil {
		return metav1.ObjectMeta{}, false
	}
	return out, true
}

// identityStable reports that the JSON round trip of identityThroughJSON
// gives in back unchanged, without taking it: a fast path (internal/codec's
// doc). That is so when the strings are valid UTF-8, the creation time is
// either Go's zero time (null both ways) or a whole second in the local
// zone without a monotonic reading and with a four-digit year (what
// metav1.Time's RFC 3339 text parses back to), and there are no managed
// fields (their own times and raw field sets are left to the reference).
// A JSON round trip cost a cache hit a fifth of its time.
func identityStable(in *metav1.ObjectMeta) bool {
	if !codec.Fast || in.ManagedFields != nil {
		return false
	}
	for _, s := range []string{in.Name, in.GenerateName, string(in.UID), in.ResourceVersion} {
		if !utf8.ValidString(s) {
			return false
		}
	}
	t := in.CreationTimestamp.Time
	if t == (time.Time{}) {
		return true
	}
	year := t.UTC().Year()
	return !t.IsZero() && t.Location() == time.Local && t.Nanosecond() == 0 && t == t.Round(0) && 1 <= year && year <= 9999
}

// copyIdentity sets dst's identity fields in fields to src's (sharing
// src's managedFields).
func copyIdentity(dst, src *metav1.ObjectMeta, fields identityField) {
	if fields&idName != 0 {
		dst.Name = src.Name
	}
	if fields&idGenerateName != 0 {
		dst.GenerateName = src.GenerateName
	}
	if fields&idUID != 0 {
		dst.UID = src.UID
	}
	if fields&idResourceVersion != 0 {
		dst.ResourceVersion = src.ResourceVersion
	}
	if fields&idCreationTimestamp != 0 {
		dst.CreationTimestamp = src.CreationTimestamp
	}
	if fields&idManagedFields != 0 {
		dst.ManagedFields = src.ManagedFields
	}
}

// cachedPod is an injection result. Its patch is valid for every pod of
// the same key (see carriesThrough).
type cachedPod struct {
	// pod is the injected pod, or nil when the entry was made for a
	// PatchOnly request (a webhook's), which never needs it: the entry
	// then holds a fraction of the memory.
	pod       *corev1.Pod
	cleared   identityField // the identity fields left out of the key
	patch     patch.Patch
	patchJSON []byte
	warnings  []string
}

// newCachedPod makes the entry for res. The entry keeps its own copy of
// res's patch, and of its JSON unless shared: the caller then only reads
// it (PodRequest.readOnly), so the entry may hold res's own.
func newCachedPod(res *Result, warnings []string, cleared identityField, withPod, shared bool) *cachedPod {
	out := &cachedPod{
		cleared:   cleared,
		patchJSON: res.PatchJSON,
		warnings:  append([]string(nil), warnings...),
	}
	if shared {
		out.patch = patchWithin(res.Patch, out.patchJSON)
	} else {
		out.patch = copyPatch(res.Patch) // the caller owns res.Patch
		out.patchJSON = append([]byte(nil), res.PatchJSON...)
	}
	if withPod {
		out.pod = res.Pod.DeepCopy()
	}
	return out
}

// instantiate returns the cached pod with orig's values of the identity
// fields the key left out, as the injection would have carried them
// through (the others are orig's already: they are in the key, so equal to
// those of the pod that made the entry). ok is false when orig's fields do
// not survive JSON, which the pod that made the entry did
// (carriesThrough): the caller injects afresh.
func (c *cachedPod) instantiate(orig *corev1.Pod) (*corev1.Pod, bool) {
	id, ok := identityThroughJSON(&orig.ObjectMeta, c.cleared)
	if !ok {
		return nil, false
	}
	p := c.pod.DeepCopy()
	copyIdentity(&p.ObjectMeta, &id, c.cleared) // id is a fresh copy: nothing shared with orig
	return p, true
}

// patchCopy returns a copy of the cached patch that a caller may modify.
func (c *cachedPod) patchCopy() patch.Patch { return copyPatch(c.patch) }

// patchWithin is copyPatch(p) with each value taken from within body (the
// patch's JSON, which holds every value verbatim, in order) where it is
// found there: the bytes are the same, so an entry holds them once.
func patchWithin(p patch.Patch, body []byte) patch.Patch {
	out := make(patch.Patch, len(p))
	off := 0
	for k, op := range p {
		if len(op.Value) > 0 {
			if i := bytes.Index(body[off:], op.Value); i >= 0 {
				start := off + i
				off = start + len(op.Value)
				op.Value = json.RawMessage(body[start:off:off])
			} else {
				op.Value = append(json.RawMessage(nil), op.Value...)
			}
		} else if op.Value != nil {
			op.Value = json.RawMessage{}
		}
		out[k] = op
	}
	return out
}

// copyPatch copies p, its values into one array: each value's capacity
// ends where it does, so an append to one never writes into the next.
func copyPatch(p patch.Patch) patch.Patch {
	n := 0
	for _, op := range p {
		n += len(op.Value)
	}
	vals := make([]byte, 0, n)
	out := make(patch.Patch, len(p))
	for k, op := range p {
		if op.Value != nil {
			start := len(vals)
			vals = append(vals, op.Value...)
			op.Value = json.RawMessage(vals[start:len(vals):len(vals)])
		}
		out[k] = op
	}
	return out
}

// newResultCache returns the Injector's result cache for cfg.CacheBytes.
func newResultCache(budget int64) *cache.Cache[[32]byte, *cachedPod] {
	if budget == 0 {
		budget = DefaultCacheBytes
	}
	return cache.New[[32]byte, *cachedPod](budget)
}
