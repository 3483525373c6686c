// Package patch computes and applies RFC 6902 JSON patches: small,
// deterministic ones, with lists of Kubernetes objects aligned by identity.
//
// An admission webhook answers with a JSON patch that the API server applies
// to the object it holds. Diff computes that patch from two JSON documents;
// Patch.Apply applies one with github.com/evanphx/json-patch/v5, the library
// the API server itself uses, and is how the tests check every patch.
//
//	p, err := patch.Diff(original, modified)  // any two JSON documents
//	p, err := patch.DiffPod(original, modified) // two pods: lists keyed by merge key
//	p, body, err := patch.DiffPodValues(a, b)   // the same from two *corev1.Pod, and p's JSON
//	out, err := p.Apply(original)             // out equals modified as JSON
//	body, err := p.MarshalJSON()              // [] when empty, never null
//
// # What Diff decides
//
// Equality is JSON equality: objects regardless of member order, strings by
// their decoded contents ("\u0041" equals "A"), numbers by their literal
// text, so that no number loses precision (12345678901234567890123 is kept
// as written; 1.0 and 1 differ). Nothing that is equal is touched.
//
// Objects are walked in the byte order of their keys. A key only in the
// original is removed, a key only in the modified document is added, a key
// in both is diffed recursively. Keys are escaped as RFC 6901 requires:
// annotation sidecar.istio.io/status is at
// /metadata/annotations/sidecar.istio.io~1status.
//
// Arrays are aligned first, then edited in four phases, always in this
// order: unpaired original elements are removed, highest index first;
// paired elements that are out of order are moved ("move", keyed lists
// only); unpaired modified elements are added, lowest index first, with
// "/-" when the element goes at the end; paired elements that differ are
// diffed at their final index. So an element inserted anywhere is one
// "add", and an unchanged element is never touched.
//
// How elements are paired depends on the list:
//
//   - A list with a merge key (Options.Schema, DiffPod) pairs elements whose
//     key member has the same value: containers by name, whatever their
//     positions. If an element has no scalar key or a key repeats (two ports
//     53, one TCP and one UDP, share containerPort), that list is aligned
//     as below instead.
//   - Any other list keeps a longest common subsequence of equal elements
//     (Myers' algorithm after trimming the common prefix and suffix) and
//     pairs the rest position by position between kept elements, so that
//     a changed element is edited in place. When the search would take more
//     than about four million steps (two 10,000-element arrays with more
//     than 200 differences), elements are paired by position instead, which
//     is linear.
//
// A value whose edit script is larger than a single operation that sets it
// whole is set whole ("replace", or "add" for an object member). Two
// exceptions keep fields the typed conversion does not know (below): with a
// Schema, an object the schema knows as a struct is always edited member by
// member, and a keyed list with any element paired by key is never
// rewritten whole (unless expressing its new order would take over a
// million steps of moves, as reversing 2,000 env vars would: then the
// out-of-order elements are unpaired and the list may be replaced). An
// object member whose original value is null, {} or []
// is set with "add" rather than "replace" or edited inside: typed
// conversions write such empty values ("resources": {}) that the raw
// document may not have, and "add" applies in both cases.
//
// A member named "" is never descended into: evanphx/json-patch, and so the
// API server, reads an empty reference token inside a path (/a//b) as the
// parent rather than the member, so Diff sets such a member whole.
//
// The same inputs always give byte-identical patches; nothing depends on
// map order or on the input's key order.
//
// # What it refuses
//
// Input that is not valid JSON, objects with a duplicate key, strings that
// are not valid UTF-8, and nesting deeper than 10,000 levels are errors that
// wrap ErrInvalidJSON and say which document and where:
//
//	patch: modified document: invalid JSON at line 3, column 7 (offset 41): unexpected character '}' looking for a value
//
// Apply refuses malformed operations (ErrInvalidPatch) and wraps the
// library's error, with the operation's index, op and path, when an
// operation does not apply.
//
// # Diffing in an admission webhook
//
// The patch is applied to the raw object in the AdmissionRequest, which
// may have fields that the webhook's corev1 does not know (a newer API
// server, an alpha field). To keep them, diff two documents that went
// through the same typed conversion, and never the raw request itself:
//
//	var pod corev1.Pod
//	if err := json.Unmarshal(req.Object.Raw, &pod); err != nil { ... }
//	original, err := json.Marshal(&pod)  // the request, as corev1 sees it
//	injected := inject(pod.DeepCopy())
//	modified, err := json.Marshal(injected)
//	p, err := patch.DiffPod(original, modified)
//	resp.Patch, err = p.MarshalJSON()
//
// Both documents then lack the unknown fields, so no operation removes
// them, and DiffPod addresses every container, volume and env var by
// identity, so an unknown field stays on the container it belongs to.
// Diffing the raw request against the marshalled result instead removes
// every unknown field; a position-based diff that inserts a container in
// front would move unknown fields onto the wrong container.
//
// # Traps
//
//   - Numbers compare as text, so documents written by different encoders
//     (100 against 1e2, 1.50 against 1.5) differ; diff documents that went
//     through the same encoder, as above.
//   - Diff copies what it keeps: the inputs may be reused once it returns.
//     Its Values are capacity-limited slices of one buffer, so appending to
//     one copies it rather than overwriting the next.
//   - Operation.From is tagged omitempty for encoding/json, but "move" and
//     "copy" from the whole document need "from": "". Operation and Patch
//     have their own MarshalJSON that writes it; use them.
//   - Operations on the whole document (path "") are carried out by Apply
//     itself; other RFC 6902 appliers may refuse a "replace" of the whole
//     document with a scalar. Diff emits one only when the documents are
//     scalars or differ in type, or, without a struct Schema, when setting
//     the whole document is smaller than editing it.
//   - DiffPod's schema is corev1.Pod's: diffing a Deployment with it aligns
//     nothing by key (still correct, just larger). Build a Schema with
//     SchemaOf(appsv1.Deployment{}) for that.
package patch
