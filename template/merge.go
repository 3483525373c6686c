package template

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/kinject/kinject/internal/codec"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
)

// ErrBadOutput is returned (wrapped, naming the template, the field and the
// line) when a template renders something that is not a pod fragment: YAML
// that does not parse, a field corev1.Pod does not have, or a value of the
// wrong type.
var ErrBadOutput = errors.New("template output is not a valid pod fragment")

// podMeta is the strategic-merge metadata of corev1.Pod: merge keys and
// patch strategies from the struct tags. It is computed once and only read.
var podMeta = mustPodMeta()

func mustPodMeta() strategicpatch.LookupPatchMeta {
	m, err := strategicpatch.NewPatchMetaFromStruct(&corev1.Pod{})
	if err != nil {
		panic(err) // unreachable: corev1.Pod is a struct
	}
	return m
}

// ApplyOptions are the settings of one Apply. The zero value does what
// Istio's injector does.
type ApplyOptions struct {
	// SkipOverrides leaves the pod's own versions of the injected containers
	// out: Applied.Pod is then the templates' output merged onto the pod and
	// nothing more, and Applied.Overrides is nil. Istio always re-applies
	// them; skip them only to see what the templates alone change.
	SkipOverrides bool
	// ShareInjected lets Applied.Injected share memory with the Set and
	// with other Applies' Injected pods (the containers and volumes the
	// Set remembers from earlier renders are not copied into it), so the
	// caller must not modify it, nor anything it points to. Applied.Pod is
	// the caller's either way. An injector that only reads what was
	// injected (names, to record and to warn about) saves a copy of the
	// injected containers per pod.
	ShareInjected bool
}

// Applied is what Apply produces.
type Applied struct {
	// Pod is the pod with the templates applied and, unless
	// ApplyOptions.SkipOverrides, the pod's own containers of the injected
	// names merged back on top.
	Pod *corev1.Pod
	// Injected is what the templates alone produce (merged onto an empty
	// pod): it tells which containers and volumes were injected. With
	// ApplyOptions.ShareInjected it is only to be read.
	Injected *corev1.Pod
	// Overrides are the user's containers re-applied on top, to record in
	// the proxy.istio.io/overrides annotation. They are nil when the pod was
	// already injected (it has sidecar.istio.io/status, and Istio keeps its
	// existing annotation) and with SkipOverrides.
	Overrides *Overrides
	// MetadataWritten lists the members of metadata (labels, name, ...)
	// the templates' documents write, with any value (null and empty ones
	// included), sorted: every other member of Pod's metadata is the input
	// pod's, unchanged. It is nil when no document writes metadata, and
	// ["*"] when one may change all of it (a $-directive at a document's
	// root or directly in its metadata, or a metadata that is not a
	// mapping). A cache keyed without a metadata member relies on it.
	MetadataWritten []string
}

// Apply renders the named templates in order (aliases expanded one level;
// an unknown name is an error naming it and the known ones) and
// strategic-merges each rendered document onto the pod, with corev1.Pod's
// merge keys and $patch directives, as Istio does. Each document is also
// merged onto an empty pod, which gives Applied.Injected. Then, as Istio
// does after running the templates, every container of pod (in containers
// or initContainers) whose name matches an injected container is merged
// back on top, so the user's fields win (see ApplyOptions.SkipOverrides):
// a user's image "auto" keeps the template's image, the overrides recorded
// in the pod's proxy.istio.io/overrides annotation are preferred to the
// pod's own containers, and containers the pod's sidecar.istio.io/status
// names are skipped (they are a previous injection's output, not the
// user's). pod is not modified.
//
// Native sidecars: when a template puts a container in initContainers that
// the pod declares in containers (istio-proxy, declared by the user to
// customise it), the pod's container is moved to the end of initContainers
// before the merge, so the two merge instead of duplicating.
func (s *Set) Apply(pod *corev1.Pod, names []string, d *Data, opts ApplyOptions) (*Applied, error) {
	if pod == nil {
		pod = &corev1.Pod{}
	}
	var written metadataWrites
	merged, injected, err := s.applyTemplates(pod, names, d, &written, applyPaths{untouched: codec.Fast, facts: codec.Fast, shareInjected: opts.ShareInjected})
	if err != nil {
		return nil, err
	}
	if opts.SkipOverrides {
		return &Applied{Pod: merged, Injected: injected, MetadataWritten: written.list()}, nil
	}
	final, overrides, err := applyOverrides(merged, pod, injected)
	if err != nil {
		return nil, err
	}
	return &Applied{Pod: final, Injected: injected, Overrides: overrides, MetadataWritten: written.list()}, nil
}

// metadataWrites collects the metadata members documents write.
type metadataWrites struct {
	members map[string]bool
	all     bool
}

// add records what one rendered document writes of metadata.
func (w *metadataWrites) add(doc map[string]any) {
	for k := range doc {
		if strings.HasPrefix(k, "$") {
			w.all = true // a directive on the whole pod
		}
	}
	v, ok := doc["metadata"]
	if !ok {
		return
	}
	meta, isMap := v.(map[string]any)
	if !isMap {
		w.all = true // null deletes it; anything else is refused later
		return
	}
	for k := range meta {
		if strings.HasPrefix(k, "$") {
			w.all = true
			continue
		}
		if w.members == nil {
			w.members = map[string]bool{}
		}
		w.members[k] = true
	}
}

func (w *metadataWrites) list() []string {
	if w.all {
		return []string{"*"}
	}
	if len(w.members) == 0 {
		return nil
	}
	out := make([]string, 0, len(w.members))
	for k := range w.members {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// applyPaths turns two of Apply's fast paths on; the zero value is their
// references.
type applyPaths struct {
	// untouched: the pod's containers that no template names are merged as
	// stubs and put back afterwards (see untouched.go).
	untouched bool
	// facts: what is derived from remembered sections is taken from their
	// facts (facts.go).
	facts bool
	// shareInjected: ApplyOptions.ShareInjected.
	shareInjected bool
}

// applyTemplates is Apply without the overrides: merged is the pod with the
// templates applied, injected is what the templates alone produce.
// written collects the metadata members the documents write.
func (s *Set) applyTemplates(pod *corev1.Pod, names []string, d *Data, written *metadataWrites, fast applyPaths) (merged, injected *corev1.Pod, err error) {
	names = s.Expand(names)
	tmpls := make([]string, 0, len(names))
	for _, n := range names {
		if _, err := s.lookup(n); err != nil {
			return nil, nil, err
		}
		tmpls = append(tmpls, n)
	}
	patches := make([]map[string]any, len(tmpls))
	// remembered[i]: patches[i] holds values of s.sections, which nothing
	// may modify.
	remembered := make([]bool, len(tmpls))
	// fx: the facts of the remembered entries the patches hold.
	var fx applyFacts
	for i, name := range tmpls {
		err := s.render(name, d, func(out []byte) error {
			var err error
			var used applyFacts
			patches[i], remembered[i], used, err = s.decodeOutputFacts(name, out, fast.facts)
			fx = append(fx, used...)
			return err
		})
		if err != nil {
			return nil, nil, err
		}
	}
	var kept *keptContainers
	if fast.untouched {
		pod, kept = stubUntouched(pod, patches, fx)
	}
	target, err := toMap(pod)
	if err != nil {
		return nil, nil, fmt.Errorf("pod: %w", err)
	}
	alone := map[string]any{}
	// shared: target and alone may share subtrees (with each other and
	// with the patches) since a fast merge; strategicpatch, which modifies
	// its arguments, then gets copies.
	shared := false
	for i, name := range tmpls {
		patch := patches[i]
		if patch == nil {
			continue
		}
		written.add(patch)
		// The common case: no $-directives, merged without strategicpatch
		// and without modifying anything (see merge_fast.go).
		if dollar, nulls := fx.scan(patch); codec.Fast && !dollar {
			if a, ok := fastMergeMap(alone, patch, podPlan, nulls, fx); ok {
				t := moveNativeSidecars(target, initNames(a))
				if m, ok := fastMergeMap(t, patch, podPlan, nulls, fx); ok {
					target, alone, shared = m, a, true
					continue
				}
			}
		}
		if shared {
			target, alone, shared = codec.CopyMap(target), codec.CopyMap(alone), false
		}
		if remembered[i] {
			patch = codec.CopyMap(patch)
		}
		// Both merges need the patch, and strategicpatch keeps parts of
		// it in its results and strips directives and nulls from it. The
		// last patch, when it holds no directive, is shared: the target is
		// merged first, while its nulls are still there to delete fields,
		// and merging onto the empty pod discards nulls anyway.
		if i == len(tmpls)-1 && !hasDirectives(patch) {
			target = moveNativeSidecars(target, append(initNames(alone), initNames(patch)...))
			if target, err = strategicMerge(target, patch); err != nil {
				return nil, nil, fmt.Errorf("template %q: strategic merge: %w", name, err)
			}
			if alone, err = strategicMerge(alone, patch); err != nil {
				return nil, nil, fmt.Errorf("template %q: strategic merge: %w", name, err)
			}
			continue
		}
		if alone, err = strategicMerge(alone, codec.CopyMap(patch)); err != nil {
			return nil, nil, fmt.Errorf("template %q: strategic merge: %w", name, err)
		}
		target = moveNativeSidecars(target, initNames(alone))
		if target, err = strategicMerge(target, patch); err != nil {
			return nil, nil, fmt.Errorf("template %q: strategic merge: %w", name, err)
		}
	}
	if merged, err = fx.podFromTree(target, false); err != nil {
		return nil, nil, fmt.Errorf("merged pod: %w", err)
	}
	kept.restore(merged)
	if injected, err = fx.podFromTree(alone, fast.shareInjected); err != nil {
		return nil, nil, fmt.Errorf("injected pod: %w", err)
	}
	return merged, injected, nil
}

// decodeOutput parses a rendered document into a JSON-compatible tree and
// checks it against corev1.Pod. An empty document is nil. remembered
// reports that the tree holds values of s.sections, to be left unmodified.
func (s *Set) decodeOutput(name string, out []byte) (_ map[string]any, remembered bool, _ error) {
	m, remembered, _, err := s.decodeOutputFacts(name, out, false)
	return m, remembered, err
}

// decodeOutputFacts is decodeOutput returning, with facts set, the facts of
// the remembered entries the tree holds, whose checks it takes.
func (s *Set) decodeOutputFacts(name string, out []byte, facts bool) (_ map[string]any, remembered bool, _ applyFacts, _ error) {
	var v any
	var used applyFacts
	var err error
	if w, shared, u, ok := fastYAMLSections(out, s.sections); ok {
		v, remembered, used = w, shared, u
	} else if v, err = slowYAML(out); err != nil {
		return nil, false, nil, fmt.Errorf("template %q: %w: %w", name, ErrBadOutput, err)
	}
	if !facts {
		used = nil
	}
	if v == nil {
		return nil, false, nil, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, false, nil, fmt.Errorf("template %q: %w: the document is a %s, not a mapping", name, ErrBadOutput, jsonKind(v))
	}
	if p, msg := used.check(m); msg != "" {
		return nil, false, nil, fmt.Errorf("template %q: %w: %s: %s%s", name, ErrBadOutput, pathString(p), msg, s.where(name, out, p))
	}
	return m, remembered, used, nil
}

// where describes where the field at path p is: its line in the rendered
// output and, when the key text appears in the template, the template line.
func (s *Set) where(name string, out []byte, p []any) string {
	var b strings.Builder
	if line := lineOf(out, p); line > 0 {
		fmt.Fprintf(&b, " (rendered line %d", line)
		if len(p) > 0 {
			if k, ok := p[len(p)-1].(string); ok {
				if tl := sourceLine(s.sources[name], k); tl > 0 {
					fmt.Fprintf(&b, ", template line %d", tl)
				}
			}
		}
		b.WriteString(")")
	}
	return b.String()
}

// initNames returns the names of a pod tree's init containers.
func initNames(pod map[string]any) []string {
	spec, _ := pod["spec"].(map[string]any)
	inits, _ := spec["initContainers"].([]any)
	var out []string
	for _, c := range inits {
		if n := containerName(c); n != "" {
			out = append(out, n)
		}
	}
	return out
}

// moveNativeSidecars returns target with every container of its
// containers named in inits (the templates' init containers so far) moved
// to the end of its initContainers, unless target already has it there.
// target is not modified: a changed pod gets new root and spec maps.
func moveNativeSidecars(target map[string]any, inits []string) map[string]any {
	if len(inits) == 0 {
		return target
	}
	tspec, _ := target["spec"].(map[string]any)
	if tspec == nil {
		return target
	}
	tcs, _ := tspec["containers"].([]any)
	tinits, _ := tspec["initContainers"].([]any)
	moved := false
	for _, name := range inits {
		if indexByName(tinits, name) >= 0 {
			continue
		}
		i := indexByName(tcs, name)
		if i < 0 {
			continue
		}
		c := tcs[i]
		tcs = append(tcs[:i:i], tcs[i+1:]...)
		tinits = append(tinits[:len(tinits):len(tinits)], c)
		moved = true
	}
	if !moved {
		return target
	}
	spec := make(map[string]any, len(tspec))
	for k, v := range tspec {
		spec[k] = v
	}
	spec["containers"] = tcs
	spec["initContainers"] = tinits
	out := make(map[string]any, len(target))
	for k, v := range target {
		out[k] = v
	}
	out["spec"] = spec
	return out
}

func containerName(c any) string {
	m, _ := c.(map[string]any)
	n, _ := m["name"].(string)
	return n
}

func indexByName(cs []any, name string) int {
	for i, c := range cs {
		if containerName(c) == name {
			return i
		}
	}
	return -1
}

// toMap returns the JSON-compatible tree of v: what json.Unmarshal gives
// for json.Marshal(v). codec.Tree builds it without JSON text; where it
// declines (text that is not UTF-8, say), the round trip through
// encoding/json, the reference, does.
func toMap(v any) (map[string]any, error) {
	if t, ok := codec.Tree(v); ok {
		if m, ok := t.(map[string]any); ok {
			return m, nil
		}
	}
	return jsonTree(v)
}

// jsonTree is toMap's reference: through JSON text.
func jsonTree(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	return m, nil
}

// fromMap converts a pod tree to a typed pod, as json.Unmarshal does for
// the tree's JSON text. codec.DecodeTree does it from corev1.Pod's plan;
// where it declines, encoding/json (the reference) decides and reports.
// The trees it sees hold what corev1.Pod's JSON produced or what passed
// the schema check (types, whole numbers in range), which DecodeTree
// takes (TestFastPathsTaken).
func fromMap(m map[string]any) (*corev1.Pod, error) {
	pod := &corev1.Pod{}
	if codec.DecodeTree(m, pod) {
		return pod, nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	pod = &corev1.Pod{}
	if err := json.Unmarshal(b, pod); err != nil {
		return nil, err
	}
	return pod, nil
}

// hasDirectives reports whether a tree holds a strategic-merge directive
// (a key starting with "$").
func hasDirectives(v any) bool {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if strings.HasPrefix(k, "$") || hasDirectives(x) {
				return true
			}
		}
	case []any:
		for _, x := range v {
			if hasDirectives(x) {
				return true
			}
		}
	}
	return false
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "mapping"
	case []any:
		return "list"
	case string:
		return "string"
	case bool:
		return "boolean"
	case float64, json.Number:
		return "number"
	}
	return fmt.Sprintf("%T", v)
}

// pathString prints a field path as spec.containers[1].image.
func pathString(p []any) string {
	var b strings.Builder
	for _, e := range p {
		switch e := e.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", e)
		case string:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(e)
		}
	}
	if b.Len() == 0 {
		return "document"
	}
	return b.String()
}

// sourceLine returns the 1-based line of the first "key:" in src, or 0.
func sourceLine(src, key string) int {
	for i, line := range strings.Split(src, "\n") {
		t := strings.TrimLeft(line, " \t")
		t = strings.TrimPrefix(t, "- ")
		if strings.HasPrefix(t, key+":") || strings.HasPrefix(t, `"`+key+`":`) {
			return i + 1
		}
	}
	return 0
}
