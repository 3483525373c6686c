package inject

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"sync"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"

	"github.com/kinject/kinject/internal/codec"
	"github.com/kinject/kinject/internal/yamlout"
	"github.com/kinject/kinject/policy"
	"github.com/kinject/kinject/template"
)

// ManifestOptions tunes manual injection of a YAML stream. The zero value is
// what istioctl kube-inject does: stop at the first bad document.
type ManifestOptions struct {
	// KeepGoing makes a bad document non-fatal: it is copied to the output
	// unchanged, its error goes to OnDocument, and the remaining documents
	// are still injected. The returned error then lists the first bad
	// documents (see ManifestResult.Failed).
	KeepGoing bool
	// NamespaceLabels and NamespaceAnnotations describe the namespace the
	// manifests will be applied to, for the policy decision (namespace
	// injection labels) and for settings Istio reads from the namespace.
	NamespaceLabels, NamespaceAnnotations map[string]string
	// Workers is how many documents are injected at once: 0 means one per
	// CPU (runtime.GOMAXPROCS), 1 one at a time. Whatever the number,
	// documents are written, and OnDocument called, in stream order from
	// the calling goroutine, and at most a few documents per worker are
	// held in memory.
	Workers int
	// OnDocument, when set, is called once for every document, in order,
	// after the document has been written (for a bad document that stops
	// the stream, before InjectManifestStream returns). It is how a
	// caller sees every document's result and every warning: the result
	// keeps only counts and the first few, so that memory does not grow
	// with the number of documents. The DocumentResult is the caller's.
	OnDocument func(DocumentResult)
}

// ManifestResult is the outcome of injecting a YAML stream. Its size does
// not depend on the number of documents: per-document results go to
// ManifestOptions.OnDocument as the stream is read, and the result keeps
// counts and the first MaxListed warnings.
type ManifestResult struct {
	// Output is the injected stream, in istioctl kube-inject's format: every
	// document followed by "---\n", injectable documents re-marshalled with
	// sorted keys, every other document copied byte for byte. It is nil when
	// the stream was written to an io.Writer.
	Output []byte
	// Documents counts the documents read; Failed counts those that were
	// bad (in keep-going mode they were copied unchanged).
	Documents, Failed int
	// Injected and Skipped count the pod templates that received a
	// sidecar and those the policy left alone, over all documents.
	Injected, Skipped int
	// Warnings are the first MaxListed warnings of the stream, each
	// prefixed with the document it came from. OnDocument sees every one.
	Warnings []string
	// WarningCount counts every warning of the stream, listed or not.
	WarningCount int
}

// MaxListed is how many warnings a ManifestResult keeps and how many
// document errors the keep-going error of InjectManifestStream spells out;
// the rest are counted, and OnDocument sees them all.
const MaxListed = 100

// DocumentResult describes one document of a YAML stream.
type DocumentResult struct {
	// Index is the document's position in the stream, from 0.
	Index int
	// APIVersion, Kind, Namespace and Name identify the document's object;
	// they are empty when the document has none (a comment, a scalar).
	APIVersion, Kind, Namespace, Name string
	// Injected counts the pod templates of the document that received a
	// sidecar (a List may hold many).
	Injected int
	// Skipped counts the pod templates that the policy left alone.
	Skipped int
	// Warnings are this document's non-fatal findings.
	Warnings []string
	// Err is the document's error (a *DocumentError), if it was bad.
	Err error
}

// ErrBadDocument is the error every DocumentError matches with errors.Is.
var ErrBadDocument = errors.New("bad document")

// DocumentError is an error in one document of a YAML stream. It names the
// document's index, kind and name.
type DocumentError struct {
	// Index is the document's position in the stream, from 0.
	Index int
	// Kind, Name and Namespace identify the document's object when it
	// could be read that far.
	Kind, Name, Namespace string
	// Err is what went wrong.
	Err error
}

// Error reports the document and its error, for example
// `document 2 (deployment "web"): container "istio-proxy": ...`; when the
// error has several lines (several findings), each line is prefixed.
func (e *DocumentError) Error() string {
	// Every line: a joined error holds one finding per line.
	return prefixLines(documentLabel(e.Index, e.Kind, e.Namespace, e.Name), e.Err.Error())
}

// documentLabel names a document in messages: its index, then its kind and
// name when it has them (`document 2 (deployment "shop/web")`).
func documentLabel(index int, kind, namespace, name string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "document %d", index)
	if kind != "" || name != "" {
		b.WriteString(" (")
		if kind != "" {
			b.WriteString(strings.ToLower(kind))
		} else {
			b.WriteString("object")
		}
		if name != "" {
			if namespace != "" {
				name = namespace + "/" + name
			}
			fmt.Fprintf(&b, " %q", name)
		}
		b.WriteString(")")
	}
	return b.String()
}

// Unwrap returns the document's own error.
func (e *DocumentError) Unwrap() error { return e.Err }

// Is reports whether target is ErrBadDocument.
func (e *DocumentError) Is(target error) bool { return target == ErrBadDocument }

// InjectManifests injects every pod template of a multi-document YAML stream,
// the way istioctl kube-inject does. Pod, Deployment, StatefulSet, DaemonSet,
// ReplicaSet, ReplicationController, Job, CronJob, OpenShift DeploymentConfig
// and List (recursively) are injected; every other document is copied
// unchanged. Document order is kept.
//
// A document that cannot be decoded or injected stops the stream with a
// *DocumentError (matching ErrBadDocument), unless opts.KeepGoing is set; then
// the bad document is copied unchanged, the rest of the stream is injected,
// and the error lists the first MaxListed bad documents.
//
// With an error the result is returned too, and Output says exactly how far
// the stream got. In fail-fast mode it holds the documents before the one
// that stopped the stream, each followed by "---\n", and nothing of that
// one: a caller that must not emit a partial stream (kube-inject writing to
// standard output) discards Output whenever the error is not nil. The
// counts include the bad document (Failed is 1) and Warnings its warnings.
// In keep-going mode Output is the whole stream, bad documents copied as
// they were. When ctx is done first, Output holds the documents finished
// before.
func (i *Injector) InjectManifests(ctx context.Context, in []byte, opts ManifestOptions) (*ManifestResult, error) {
	var out bytes.Buffer
	out.Grow(len(in) * 4)
	res, err := i.InjectManifestStream(ctx, bytes.NewReader(in), &out, opts)
	if res != nil {
		res.Output = out.Bytes()
	}
	return res, err
}

// InjectManifestStream is InjectManifests over a reader and a writer: it
// reads one document at a time and writes each as soon as it is injected,
// so memory stays bounded by the largest document, whatever the number of
// documents (see ManifestOptions.OnDocument for each document's result).
// The result's Output is nil; w has received what InjectManifests' Output
// would hold, on error too (in fail-fast mode: the documents before the bad
// one, complete). Once ctx is done the stream stops before the next
// document with an error matching ctx.Err().
//
// Documents are split as istioctl splits them, except that line endings
// are kept ("\r\n" stays) and an invalid separator ("--- apiVersion: v1")
// makes only the document it starts bad.
func (i *Injector) InjectManifestStream(ctx context.Context, r io.Reader, w io.Writer, opts ManifestOptions) (*ManifestResult, error) {
	if i == nil {
		return nil, errors.New("inject: InjectManifests called on a nil *Injector")
	}
	return injectManifestStream(ctx, i, r, w, opts)
}

// injecter is what the manifest stream and admission need of an injector:
// *Injector for one revision, *Mesh for a cluster's revisions.
type injecter interface {
	InjectPod(ctx context.Context, req PodRequest) (*Result, error)
	// manifestRelease is the release whose manual-injection output format
	// the stream follows.
	manifestRelease() policy.Release
}

func (i *Injector) manifestRelease() policy.Release { return i.cfg.Release }

func injectManifestStream(ctx context.Context, i injecter, r io.Reader, w io.Writer, opts ManifestOptions) (*ManifestResult, error) {
	if n := opts.workers(); n > 1 {
		return injectManifestStreamParallel(ctx, i, r, w, &opts, n)
	}
	reader := newDocReader(r)
	st := &streamState{w: w, opts: &opts, res: &ManifestResult{}}
	for index := 0; ; index++ {
		if err := ctx.Err(); err != nil {
			return st.stop(fmt.Errorf("document %d: %w", index, err))
		}
		raw, badSep, err := reader.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return st.stop(&DocumentError{Index: index, Err: fmt.Errorf("reading YAML stream: %w", err)})
		}
		var out []byte
		var doc DocumentResult
		if badSep != nil {
			doc = badSeparator(index, badSep)
		} else {
			out, doc = injectDocument(ctx, i, raw, index, &opts)
		}
		if done, err := st.finish(raw, out, doc); done {
			return st.res, err
		}
	}
	return st.end()
}

// badSeparator is the result of a document that starts with an invalid
// separator: as istioctl, refuse it; unlike istioctl, only this document.
func badSeparator(index int, sep []byte) DocumentResult {
	return DocumentResult{Index: index, Err: &DocumentError{Index: index,
		Err: fmt.Errorf("invalid YAML document separator %q: only blanks or a comment may follow \"---\"", sep)}}
}

// streamState is what a stream's injection keeps across documents.
type streamState struct {
	w    io.Writer
	opts *ManifestOptions
	res  *ManifestResult
	errs []error // the first MaxListed document errors
}

// stop ends the stream on err.
func (st *streamState) stop(err error) (*ManifestResult, error) {
	return st.res, errors.Join(append(st.errs, err)...)
}

// finish counts one injected document (raw as read, out as injected) and
// writes it; done reports the end of the stream (a bad document in
// fail-fast mode, or a write error), with the error to return.
func (st *streamState) finish(raw, out []byte, doc DocumentResult) (done bool, err error) {
	res := st.res
	res.Documents++
	res.Injected += doc.Injected
	res.Skipped += doc.Skipped
	for _, w := range doc.Warnings {
		if res.WarningCount++; len(res.Warnings) < MaxListed {
			res.Warnings = append(res.Warnings, doc.Label()+": "+w)
		}
	}
	if doc.Err != nil {
		res.Failed++
		if !st.opts.KeepGoing {
			if st.opts.OnDocument != nil {
				st.opts.OnDocument(doc)
			}
			return true, doc.Err
		}
		if len(st.errs) < MaxListed {
			st.errs = append(st.errs, doc.Err)
		}
		out = raw
	}
	if _, err := st.w.Write(out); err != nil {
		_, err = st.stop(fmt.Errorf("writing document %d: %w", doc.Index, err))
		return true, err
	}
	if _, err := io.WriteString(st.w, "---\n"); err != nil {
		_, err = st.stop(fmt.Errorf("writing document %d: %w", doc.Index, err))
		return true, err
	}
	if st.opts.OnDocument != nil {
		st.opts.OnDocument(doc)
	}
	return false, nil
}

// end is the result of a stream read to its end.
func (st *streamState) end() (*ManifestResult, error) {
	if st.res.Failed > len(st.errs) {
		st.errs = append(st.errs, fmt.Errorf("%w: %d more bad documents (OnDocument sees each)", ErrBadDocument, st.res.Failed-len(st.errs)))
	}
	return st.res, errors.Join(st.errs...)
}

// Label names the document in messages, as DocumentError does:
// `document 2 (deployment "shop/web")`.
func (d *DocumentResult) Label() string {
	return documentLabel(d.Index, d.Kind, d.Namespace, d.Name)
}

// injectDocument injects one document of a stream. It returns the bytes to
// write (without the trailing separator) and the document's description;
// doc.Err is a *DocumentError.
func injectDocument(ctx context.Context, i injecter, raw []byte, index int, opts *ManifestOptions) ([]byte, DocumentResult) {
	doc := DocumentResult{Index: index}
	fail := func(err error) ([]byte, DocumentResult) {
		doc.Err = &DocumentError{Index: index, Kind: doc.Kind, Name: doc.Name, Namespace: doc.Namespace, Err: err}
		return nil, doc
	}
	obj, kind, tree, err := decodeDocument(raw, &doc)
	if err != nil {
		return fail(err)
	}
	if kind == nil {
		return raw, doc
	}
	nullTimestamps := printsNullCreationTimestamp(i.manifestRelease())
	if kind.list {
		out, err := injectList(ctx, i, raw, tree, &doc, opts, nullTimestamps)
		if err != nil {
			return fail(err)
		}
		return out, doc
	}
	if err := injectObject(ctx, i, obj, &doc, opts, nil); err != nil {
		return fail(err)
	}
	out, err := marshalObject(obj, nullTimestamps)
	if err != nil {
		return fail(fmt.Errorf("encoding %s: %w", doc.Kind, err))
	}
	return out, doc
}

// decodeDocument decodes one YAML document. For a kind InjectManifests
// injects it returns the typed object, or for a List the tree of a JSON
// document (nil for YAML, which injectList decodes itself); otherwise obj
// and kind are nil and the document is copied as it is.
//
// A JSON document is read with encoding/json (jsonDocument). Any other is
// converted to JSON once, strictly (a duplicate key is an error there);
// the head is read from it. With a duplicate key the lenient conversion is
// used, as Istio's decoding does (the later value wins), and each
// duplicate is named in a warning.
func decodeDocument(raw []byte, doc *DocumentResult) (runtime.Object, *manifestKind, any, error) {
	if tree, duplicates, ok := jsonDocument(raw); ok {
		head, err := treeHead(tree.(map[string]any))
		if err != nil {
			return nil, nil, nil, fmt.Errorf("decoding: %w", err)
		}
		setHead(doc, &head)
		kind, ok := lookupKind(head.APIVersion, head.Kind)
		if !ok {
			if w := unservedWarning(head.APIVersion, head.Kind); w != "" {
				doc.Warnings = append(doc.Warnings, w)
			}
			return nil, nil, nil, nil
		}
		doc.Warnings = append(doc.Warnings, duplicates...)
		if kind.list {
			return nil, &kind, tree, nil
		}
		j := raw
		if len(duplicates) > 0 {
			j = nil
		}
		obj, warnings, err := decodeTyped(raw, j, kind)
		if err != nil {
			return nil, nil, nil, err
		}
		doc.Warnings = append(doc.Warnings, warnings...)
		return obj, &kind, nil, nil
	}
	if obj, kind, ok := yamlDocument(raw, doc); ok {
		return obj, kind, nil, nil
	}
	return decodeYAMLDocument(raw, doc)
}

// decodeYAMLDocument is decodeDocument for a YAML document, through
// sigs.k8s.io/yaml: the reference of yamlDocument.
func decodeYAMLDocument(raw []byte, doc *DocumentResult) (runtime.Object, *manifestKind, any, error) {
	j, err := yaml.YAMLToJSONStrict(raw)
	strict := err == nil
	var duplicates []string
	if !strict {
		var ok bool
		if duplicates, ok = duplicateKeys(err); !ok {
			return nil, nil, nil, fmt.Errorf("decoding: %w", cleanYAMLError(err))
		}
		if j, err = yaml.YAMLToJSON(raw); err != nil {
			return nil, nil, nil, fmt.Errorf("decoding: %w", cleanYAMLError(err))
		}
	}
	head, err := documentHead(j)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("decoding: %w", err)
	}
	setHead(doc, &head)
	kind, ok := lookupKind(head.APIVersion, head.Kind)
	if !ok {
		if w := unservedWarning(head.APIVersion, head.Kind); w != "" {
			doc.Warnings = append(doc.Warnings, w)
		}
		return nil, nil, nil, nil
	}
	doc.Warnings = append(doc.Warnings, duplicates...)
	if kind.list {
		return nil, &kind, nil, nil
	}
	if !strict {
		j = nil // not what the typed decoding of the YAML would see
	}
	obj, warnings, err := decodeTyped(raw, j, kind)
	if err != nil {
		return nil, nil, nil, err
	}
	doc.Warnings = append(doc.Warnings, warnings...)
	return obj, &kind, nil, nil
}

// decodeStrictJSON is decodeTyped's fast path: j, raw's strict JSON,
// decoded strictly (codec.DecodeJSON, else encoding/json with unknown
// fields disallowed), taken (true) when that succeeds (no
// unknown field, no conversion needed), where it gives what
// sigs.k8s.io/yaml's decoding of raw (the reference) gives. It declines
// when j is nil and with the kinject_reference build tag.
func decodeStrictJSON(j []byte, kind manifestKind) (runtime.Object, bool) {
	if !codec.Fast || j == nil {
		return nil, false
	}
	obj := kind.new()
	if codec.DecodeJSON(j, obj) {
		// Every key matched a member exactly: the strict decoder below
		// gives the same object.
		return obj, true
	}
	obj = kind.new()
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.DisallowUnknownFields()
	if dec.Decode(obj) != nil {
		return nil, false
	}
	return obj, true
}

// decodeTyped decodes a document (raw YAML or JSON) into kind's typed
// object as Istio does: leniently, through sigs.k8s.io/yaml, which turns a
// YAML number or boolean into a string for a string field, drops unknown
// fields and matches field names without regard to case. j, when not nil,
// is raw's strict JSON: if it decodes strictly as JSON (no unknown field,
// no conversion needed), that is the same object, quicker. The warnings
// name each field dropped or read under another name, and each quantity
// Kubernetes clamps (quantity.go).
func decodeTyped(raw, j []byte, kind manifestKind) (runtime.Object, []string, error) {
	if obj, ok := decodeStrictJSON(j, kind); ok {
		return obj, clampWarnings(obj), nil
	}
	obj := kind.new()
	if err := yaml.Unmarshal(raw, obj); err != nil {
		return nil, nil, fmt.Errorf("decoding %s: %w", kind.name, cleanYAMLError(err))
	}
	if j == nil {
		var err error
		if j, err = yaml.YAMLToJSON(raw); err != nil {
			return nil, nil, fmt.Errorf("decoding %s: %w", kind.name, cleanYAMLError(err))
		}
	}
	tree, err := jsonTree(j)
	if err != nil {
		return nil, nil, fmt.Errorf("decoding %s: %w", kind.name, err)
	}
	return obj, append(fieldWarnings(reflect.TypeOf(obj), tree), clampWarnings(obj)...), nil
}

// documentHead reads what InjectManifests needs of every document from its
// JSON, as istioctl reads it (sigs.k8s.io/yaml into a TypeMeta: a number or
// boolean becomes its text). A document that is not an object is an
// error, except an empty one (null), which is copied.
func documentHead(j []byte) (objectHead, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(j, &m); err != nil {
		var v any
		if json.Unmarshal(j, &v) == nil {
			return objectHead{}, fmt.Errorf("the document is %s, not an object", jsonKindOf(treeValue(v)))
		}
		return objectHead{}, err
	}
	if m == nil {
		return objectHead{}, nil
	}
	head := map[string]any{}
	for _, k := range []string{"apiVersion", "kind", "metadata"} {
		if r, ok := m[k]; ok {
			v, err := jsonTree(r)
			if err != nil {
				return objectHead{}, err
			}
			head[k] = v
		}
	}
	if md, ok := head["metadata"]; ok && md != nil {
		if _, ok := md.(map[string]any); !ok {
			return objectHead{}, fmt.Errorf("metadata: want an object, got %s", jsonKindOf(md))
		}
	}
	return treeHead(head)
}

// treeValue gives a value decoded without UseNumber its tree form.
func treeValue(v any) any {
	if f, ok := v.(float64); ok {
		return json.Number(strconv.FormatFloat(f, 'g', -1, 64))
	}
	return v
}

func setHead(doc *DocumentResult, head *objectHead) {
	doc.APIVersion, doc.Kind = head.APIVersion, head.Kind
	doc.Name, doc.Namespace = head.Metadata.Name, head.Metadata.Namespace
}

// objectHead is what InjectManifests reads of every document before deciding
// whether it is an injectable kind.
type objectHead struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
}

// injectObject injects the pod template of a decoded workload in place.
// where locates a List item in messages (nil for a document).
func injectObject(ctx context.Context, i injecter, obj runtime.Object, doc *DocumentResult, opts *ManifestOptions, where *location) error {
	t, err := podTemplateOf(obj)
	if err != nil {
		return itemError(where, err)
	}
	if t.meta == nil {
		return nil
	}
	if t.owner != nil {
		// The workload's own names reach the templates as DeploymentMeta;
		// they are checked here so the error names the object's field.
		if err := template.ValidateNames(&template.Data{ObjectMeta: *t.owner}); err != nil {
			return itemError(where, err)
		}
	}
	pod := &corev1.Pod{ObjectMeta: *t.meta, Spec: *t.spec}
	res, err := i.InjectPod(ctx, PodRequest{
		Pod:                  pod,
		TypeMeta:             t.typeMeta,
		DeploymentMeta:       t.deployMeta,
		NamespaceLabels:      opts.NamespaceLabels,
		NamespaceAnnotations: opts.NamespaceAnnotations,
		Manual:               true,
		podOnly:              true,
	})
	if err != nil {
		return itemError(where, err)
	}
	for _, w := range res.Warnings {
		doc.Warnings = append(doc.Warnings, where.prefix()+w)
	}
	if !res.Decision.Inject {
		doc.Skipped++
		doc.Warnings = append(doc.Warnings, where.prefix()+skipWarning(t, pod, res.Decision.Reason))
		return nil
	}
	doc.Injected++
	if w := ignoredPodOptOut(t); w != "" {
		doc.Warnings = append(doc.Warnings, where.prefix()+w)
	}
	*t.meta = res.Pod.ObjectMeta
	*t.spec = res.Pod.Spec
	return nil
}

// itemError puts a List item's location (nil for a document) in front of
// every line of err.
func itemError(where *location, err error) error {
	if where == nil {
		return err
	}
	return prefixError(strings.TrimSuffix(where.prefix(), ": "), err)
}

// skipWarning words a policy skip the way istioctl does for host networking.
func skipWarning(t podTemplate, pod *corev1.Pod, reason string) string {
	name := pod.Name
	if name == "" {
		name = t.deployMeta.Name
	}
	if t.deployMeta.Namespace != "" {
		name = t.deployMeta.Namespace + "/" + name
	}
	subject := fmt.Sprintf("%q", name)
	if t.typeMeta.Kind != "" {
		subject = t.typeMeta.Kind + " " + subject
	}
	if pod.Spec.HostNetwork {
		return fmt.Sprintf("===> Skipping injection because %s has host networking enabled", subject)
	}
	if reason == "" {
		return fmt.Sprintf("===> Skipping injection of %s", subject)
	}
	return fmt.Sprintf("===> Skipping injection of %s: %s", subject, reason)
}

// Name returns the object's name.
func (h *objectHead) Name() string { return h.Metadata.Name }

// podTemplate points into a decoded workload: the metadata and spec that are
// injected, and what the template language sees of the workload.
type podTemplate struct {
	meta       *metav1.ObjectMeta
	spec       *corev1.PodSpec
	typeMeta   metav1.TypeMeta
	deployMeta types.NamespacedName
	// podMeta is a CronJob's pod template metadata, which manual
	// injection does not read (manifest_cronjob.go).
	podMeta *metav1.ObjectMeta
	owner   *metav1.ObjectMeta // the workload's metadata; nil for a Pod
}

// podTemplateOf finds the pod template of a workload. A workload without
// one (a ReplicationController with no template) is an error, as in Istio.
func podTemplateOf(obj runtime.Object) (podTemplate, error) {
	own := func(tm metav1.TypeMeta, om *metav1.ObjectMeta, pt *corev1.PodTemplateSpec) podTemplate {
		return podTemplate{
			meta:       &pt.ObjectMeta,
			spec:       &pt.Spec,
			typeMeta:   tm,
			deployMeta: types.NamespacedName{Namespace: om.Namespace, Name: om.Name},
			owner:      om,
		}
	}
	switch o := obj.(type) {
	case *corev1.Pod:
		// The pod's own owner references name its workload; InjectPod
		// derives DeploymentMeta from them when it is left zero.
		return podTemplate{meta: &o.ObjectMeta, spec: &o.Spec, typeMeta: o.TypeMeta}, nil
	case *appsv1.Deployment:
		return own(o.TypeMeta, &o.ObjectMeta, &o.Spec.Template), nil
	case *appsv1.StatefulSet:
		return own(o.TypeMeta, &o.ObjectMeta, &o.Spec.Template), nil
	case *appsv1.DaemonSet:
		return own(o.TypeMeta, &o.ObjectMeta, &o.Spec.Template), nil
	case *appsv1.ReplicaSet:
		return own(o.TypeMeta, &o.ObjectMeta, &o.Spec.Template), nil
	case *batchv1.Job:
		return own(o.TypeMeta, &o.ObjectMeta, &o.Spec.Template), nil
	case *corev1.ReplicationController:
		if o.Spec.Template == nil {
			return podTemplate{}, errors.New("spec.template is required")
		}
		return own(o.TypeMeta, &o.ObjectMeta, o.Spec.Template), nil
	case *deploymentConfig:
		if o.Spec.Template == nil {
			return podTemplate{}, errors.New("spec.template is required")
		}
		return own(o.TypeMeta, &o.ObjectMeta, o.Spec.Template), nil
	case *batchv1.CronJob:
		// Istio injects a CronJob into its job template's metadata and the
		// pod template's spec: the sidecar annotations and labels land on
		// each Job. kinject follows it so manifests match istioctl's.
		return podTemplate{
			meta:       &o.Spec.JobTemplate.ObjectMeta,
			spec:       &o.Spec.JobTemplate.Spec.Template.Spec,
			typeMeta:   o.TypeMeta,
			deployMeta: types.NamespacedName{Namespace: o.Namespace, Name: o.Name},
			podMeta:    &o.Spec.JobTemplate.Spec.Template.ObjectMeta,
			owner:      &o.ObjectMeta,
		}, nil
	}
	return podTemplate{}, nil
}

// manifestKind is one injectable kind.
type manifestKind struct {
	new  func() runtime.Object
	name string // Kind, for messages
	list bool   // v1 List, injected as a tree (manifest_list.go)
}

// listKind is v1 List.
var listKind = manifestKind{new: func() runtime.Object { return &corev1.List{} }, name: "List", list: true}

// lookupKind reports whether apiVersion/kind is a kind InjectManifests
// decodes, and how to make one.
func lookupKind(apiVersion, kind string) (manifestKind, bool) {
	var f func() runtime.Object
	switch apiVersion + "/" + kind {
	case "v1/Pod":
		f = func() runtime.Object { return &corev1.Pod{} }
	case "v1/ReplicationController":
		f = func() runtime.Object { return &corev1.ReplicationController{} }
	case "v1/List":
		return listKind, true
	case "apps/v1/Deployment":
		f = func() runtime.Object { return &appsv1.Deployment{} }
	case "apps/v1/StatefulSet":
		f = func() runtime.Object { return &appsv1.StatefulSet{} }
	case "apps/v1/DaemonSet":
		f = func() runtime.Object { return &appsv1.DaemonSet{} }
	case "apps/v1/ReplicaSet":
		f = func() runtime.Object { return &appsv1.ReplicaSet{} }
	case "batch/v1/Job":
		f = func() runtime.Object { return &batchv1.Job{} }
	case "batch/v1/CronJob":
		f = func() runtime.Object { return &batchv1.CronJob{} }
	case "apps.openshift.io/v1/DeploymentConfig", "v1/DeploymentConfig":
		// OpenShift also serves DeploymentConfig in its legacy, group-less v1.
		f = func() runtime.Object { return &deploymentConfig{} }
	default:
		return manifestKind{}, false
	}
	return manifestKind{new: f, name: kind}, true
}

// unservedWarning names workload kinds in API versions that Kubernetes no
// longer serves: they are passed through uninjected, which a user would not
// notice otherwise.
func unservedWarning(apiVersion, kind string) string {
	switch kind {
	case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob":
	default:
		return ""
	}
	switch apiVersion {
	case "extensions/v1beta1", "apps/v1beta1", "apps/v1beta2", "batch/v1beta1", "batch/v2alpha1":
		return fmt.Sprintf("%s %s is not served by current Kubernetes; passed through without injection (use apps/v1 or batch/v1)", apiVersion, kind)
	}
	return ""
}

// marshalObject encodes a decoded object as istioctl kube-inject does: JSON
// through sigs.k8s.io/yaml. A zero creationTimestamp, which apimachinery
// before v0.34 encodes as null and later releases omit, is printed as null
// when nullTimestamps is set (the Istio release followed was built with the
// older apimachinery) and left out otherwise, whichever apimachinery
// kinject is built with.
func marshalObject(obj any, nullTimestamps bool) ([]byte, error) {
	if !nullTimestamps {
		// The JSON is only read by the YAML conversion, which copies what
		// it keeps: it is written into a buffer reused by the next object.
		bp := jsonBufs.Get().(*[]byte)
		defer jsonBufs.Put(bp)
		if j, ok := codec.AppendJSON((*bp)[:0], obj); ok {
			*bp = j[:0]
			return jsonToYAML(codec.DropNullCreationTimestamps(j))
		}
	}
	j, err := typedJSON(obj, nullTimestamps)
	if err != nil {
		return nil, err
	}
	return jsonToYAML(j)
}

// jsonBufs are marshalObject's JSON buffers.
var jsonBufs = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

// typedJSON is the JSON of a decoded object as marshalObject prints it.
func typedJSON(obj any, nullTimestamps bool) ([]byte, error) {
	if nullTimestamps {
		return marshalWithNullTimestamps(obj)
	}
	j, err := jsonMarshal(obj)
	if err != nil {
		return nil, err
	}
	return codec.DropNullCreationTimestamps(j), nil
}

// jsonToYAML gives the bytes of sigs.k8s.io/yaml.JSONToYAML for an
// object's JSON (see package yamlout: written straight from the JSON text,
// yaml.v2 itself as the reference). TestJSONToYAMLMatchesSigs checks the
// equivalence.
func jsonToYAML(j []byte) ([]byte, error) { return yamlout.JSONToYAML(j) }

// yamlNumbers replaces every json.Number in v, in place, as the YAML parser
// resolves a plain scalar (yamlout.Numbers).
func yamlNumbers(v any) any { return yamlout.Numbers(v) }
