package cluster

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/kinject/kinject/inject"
	"github.com/kinject/kinject/policy"
)

// State is a cluster's injection state, as Load reads it from kubectl's
// output. It is a plain value: every slice is sorted (revisions by name,
// namespaced objects by namespace then name), so the same dumps give the
// same State whatever their order. Treat it as read-only once loaded.
type State struct {
	// Revisions are the installed revisions, from the istio-sidecar-injector
	// ConfigMaps and from the revisions the webhooks call.
	Revisions []Revision
	// Webhooks are Istio's sidecar injection MutatingWebhookConfigurations
	// (see policy.IsInjectionConfiguration), by name.
	Webhooks []admissionregistrationv1.MutatingWebhookConfiguration
	// Namespaces are the cluster's namespaces.
	Namespaces []corev1.Namespace
	// Pods are the dumps' pods.
	Pods []corev1.Pod
	// ReplicaSets are the dumps' ReplicaSets.
	ReplicaSets []appsv1.ReplicaSet
	// Deployments are the dumps' Deployments.
	Deployments []appsv1.Deployment
	// StatefulSets are the dumps' StatefulSets.
	StatefulSets []appsv1.StatefulSet
	// DaemonSets are the dumps' DaemonSets.
	DaemonSets []appsv1.DaemonSet
	// Jobs are the dumps' Jobs.
	Jobs []batchv1.Job
	// CronJobs are the dumps' CronJobs.
	CronJobs []batchv1.CronJob
	// Skipped counts the objects of other kinds (Services, Secrets, other
	// ConfigMaps and webhooks) that Load does not need.
	Skipped int
	// Warnings are findings that lose nothing but deserve a look: a mesh
	// ConfigMap without its injector ConfigMap, a revision that only a
	// webhook names, a values.revision that disagrees with its ConfigMap's
	// name.
	Warnings []string
}

// Revision is one installed control plane as the dumps show it.
type Revision struct {
	// Name is the revision ("" for the revisionless install, whose
	// ConfigMaps are istio-sidecar-injector and istio).
	Name string
	// Config is the injector's configuration, loaded from data.config and
	// data.values of ConfigMap istio-sidecar-injector[-<name>] and
	// data.mesh of ConfigMap istio[-<name>] with inject.LoadConfig; Tags,
	// Revision and Release are set. Nil when the dumps hold no injector
	// ConfigMap for the revision (it is known only from a webhook) or when
	// the ConfigMap could not be loaded (Load's error names it).
	Config *inject.Config
	// InjectorConfigMap and MeshConfigMap are namespace/name of the
	// ConfigMaps it was loaded from ("" when absent).
	InjectorConfigMap, MeshConfigMap string
	// Tags are the revision tags whose webhooks call this revision, sorted.
	Tags []string
	// Release is the Istio release the revision runs, as its Config
	// reads it (inject.ReleaseFromValues: the proxy image tag); the zero
	// Release (the newest behaviour) when the tag names no release.
	Release policy.Release
}

// ErrObject is matched (errors.Is) by every error about one object of the
// dumps.
var ErrObject = errors.New("bad object")

// ObjectError is a malformed object in the dumps: it names where it is and
// what it is, as far as it could be read.
type ObjectError struct {
	// Input is the index of the dump among Load's arguments, Document the
	// YAML document within it, Item the position in a List (-1 when the
	// object is not a List item), all from 0.
	Input, Document, Item int
	// Line is where the object starts in its dump, from 1 (0 when not
	// known, as inside a JSON List).
	Line int
	// Kind, Namespace and Name identify the object when they could be read.
	Kind, Namespace, Name string
	// Err is what is wrong.
	Err error
}

// Error names the object first: `pod "shop/web-1" (input 1, document 0,
// item 3): spec.containers: ...`.
func (e *ObjectError) Error() string {
	var b strings.Builder
	if e.Kind != "" {
		b.WriteString(strings.ToLower(e.Kind))
	} else {
		b.WriteString("object")
	}
	if e.Name != "" {
		name := e.Name
		if e.Namespace != "" {
			name = e.Namespace + "/" + name
		}
		fmt.Fprintf(&b, " %q", name)
	}
	fmt.Fprintf(&b, " (input %d, document %d", e.Input, e.Document)
	if e.Item >= 0 {
		fmt.Fprintf(&b, ", item %d", e.Item)
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, ", line %d", e.Line)
	}
	b.WriteString("): ")
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns the object's own error.
func (e *ObjectError) Unwrap() error { return e.Err }

// Is reports whether target is ErrObject.
func (e *ObjectError) Is(target error) bool { return target == ErrObject }

// Load reads a cluster's injection state from what these commands print
// (YAML or JSON, a List or a stream of documents, any order and any mix;
// pass each dump as one argument):
//
//	kubectl get configmap -n istio-system -o yaml
//	kubectl get mutatingwebhookconfigurations -o yaml
//	kubectl get namespaces -o yaml
//	kubectl get pods,replicasets,deployments,statefulsets,daemonsets,jobs,cronjobs -A -o yaml
//
// It keeps the istio-sidecar-injector[-<rev>] and istio[-<rev>]
// ConfigMaps, Istio's injection webhooks, namespaces and those workload
// kinds, and counts everything else as skipped. A malformed object is an
// *ObjectError (matching ErrObject) naming its kind, namespace and name;
// Load keeps going, so the returned State holds every good object and the
// error joins all bad ones. Only a nil State comes with no usable result
// (it never does today: even unreadable input gives an empty State).
func Load(dumps ...[]byte) (*State, error) {
	l := loader{state: &State{}, injectors: map[string]*configMapData{}, meshes: map[string]*configMapData{}}
	for i, dump := range dumps {
		l.input(i, dump)
	}
	l.finish()
	return l.state, errors.Join(l.errs...)
}

type loader struct {
	state     *State
	errs      []error
	injectors map[string]*configMapData // by revision
	meshes    map[string]*configMapData // by revision
}

type configMapData struct {
	id   string // namespace/name
	data map[string]string
	at   *ObjectError // where it was, for errors
}

// head is what every object says about itself.
type head struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
	Items []json.RawMessage `json:"items"`
}

func (l *loader) fail(at ObjectError, err error) {
	at.Err = err
	e := at
	l.errs = append(l.errs, &e)
}

func (l *loader) input(index int, dump []byte) {
	for doc, d := range splitDocuments(dump) {
		at := ObjectError{Input: index, Document: doc, Item: -1, Line: d.line}
		l.document(at, d.text)
	}
}

// document reads one YAML or JSON document. A kubectl List in YAML is
// split into its items before conversion, so a syntax error in one item
// costs only that item.
func (l *loader) document(at ObjectError, raw []byte) {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || isComments(trimmed) {
		return
	}
	if trimmed[0] != '{' {
		if items, ok := splitYAMLList(raw); ok {
			for k, item := range items {
				it := at
				it.Item, it.Line = k, at.Line+item.line
				js, err := yaml.YAMLToJSON(item.text)
				if err != nil {
					it.Kind, it.Namespace, it.Name = guessIdentity(item.text)
					l.fail(it, fmt.Errorf("YAML: %w", err))
					continue
				}
				l.object(it, js)
			}
			return
		}
	}
	js, err := yaml.YAMLToJSON(raw)
	if err != nil {
		at.Kind, at.Namespace, at.Name = guessIdentity(raw)
		l.fail(at, fmt.Errorf("YAML: %w", err))
		return
	}
	l.object(at, js)
}

func isComments(doc []byte) bool {
	for _, line := range bytes.Split(doc, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) > 0 && line[0] != '#' {
			return false
		}
	}
	return true
}

// object reads one object (a List's items recursively).
func (l *loader) object(at ObjectError, js []byte) {
	if t := bytes.TrimSpace(js); bytes.Equal(t, []byte("null")) || len(t) == 0 {
		return
	}
	var h head
	if err := decode(js, &h); err != nil {
		l.fail(at, fmt.Errorf("not a Kubernetes object: %w", err))
		return
	}
	at.Kind, at.Namespace, at.Name = h.Kind, h.Metadata.Namespace, h.Metadata.Name
	if strings.HasSuffix(h.Kind, "List") && h.Items != nil {
		if at.Item >= 0 {
			l.fail(at, errors.New("a List inside a List"))
			return
		}
		for k, item := range h.Items {
			it := at
			it.Item, it.Kind, it.Namespace, it.Name, it.Line = k, "", "", "", 0
			l.object(it, item)
		}
		return
	}
	group := h.APIVersion
	if slash := strings.IndexByte(group, '/'); slash >= 0 {
		group = group[:slash]
	} else {
		group = ""
	}
	if h.APIVersion == "" {
		// A hand-written manifest may leave apiVersion out; the kind
		// alone then says what it is.
		group = map[string]string{
			"MutatingWebhookConfiguration": "admissionregistration.k8s.io",
			"ReplicaSet":                   "apps", "Deployment": "apps", "StatefulSet": "apps", "DaemonSet": "apps",
			"Job": "batch", "CronJob": "batch",
		}[h.Kind]
	} else if group == "extensions" && (h.Kind == "Deployment" || h.Kind == "DaemonSet" || h.Kind == "ReplicaSet") {
		group = "apps" // the old extensions/v1beta1 shapes decode the same way
	}
	s := l.state
	var err error
	switch {
	case h.Kind == "ConfigMap" && group == "":
		l.configMap(at, js)
		return
	case h.Kind == "MutatingWebhookConfiguration" && group == "admissionregistration.k8s.io":
		var c admissionregistrationv1.MutatingWebhookConfiguration
		if err = decode(js, &c); err == nil {
			if policy.IsInjectionConfiguration(&c) {
				s.Webhooks = append(s.Webhooks, c)
			} else {
				s.Skipped++
			}
		}
	case h.Kind == "Namespace" && group == "":
		err = appendDecoded(js, &s.Namespaces)
	case h.Kind == "Pod" && group == "":
		err = appendDecoded(js, &s.Pods)
	case h.Kind == "ReplicaSet" && group == "apps":
		err = appendDecoded(js, &s.ReplicaSets)
	case h.Kind == "Deployment" && group == "apps":
		err = appendDecoded(js, &s.Deployments)
	case h.Kind == "StatefulSet" && group == "apps":
		err = appendDecoded(js, &s.StatefulSets)
	case h.Kind == "DaemonSet" && group == "apps":
		err = appendDecoded(js, &s.DaemonSets)
	case h.Kind == "Job" && group == "batch":
		err = appendDecoded(js, &s.Jobs)
	case h.Kind == "CronJob" && group == "batch":
		err = appendDecoded(js, &s.CronJobs)
	case h.Kind == "":
		err = errors.New("no kind")
	default:
		s.Skipped++
	}
	if err != nil {
		l.fail(at, err)
	}
}

// decode reads an object leniently (fields a newer API server added are
// ignored, as kubectl ignores them) but refuses wrong types, naming the
// field in the document's terms ("spec.containers: want a list, got
// string"), never Go's type names.
func decode(js []byte, v any) error {
	err := json.Unmarshal(js, v)
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) {
		return err
	}
	want := "an object"
	switch te.Type.Kind() {
	case reflect.Slice:
		want = "a list"
	case reflect.String:
		want = "a string"
	case reflect.Bool:
		want = "true or false"
	case reflect.Int, reflect.Int32, reflect.Int64, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		want = "a whole number"
	case reflect.Float32, reflect.Float64:
		want = "a number"
	}
	if te.Field == "" {
		return fmt.Errorf("want %s, got %s", want, te.Value)
	}
	return fmt.Errorf("%s: want %s, got %s", te.Field, want, te.Value)
}

func appendDecoded[T any](js []byte, list *[]T) error {
	var v T
	if err := decode(js, &v); err != nil {
		return err
	}
	*list = append(*list, v)
	return nil
}

// The ConfigMaps of a revision: istio-sidecar-injector[-<rev>] holds the
// injector's config and values, istio[-<rev>] the mesh config.
const (
	injectorConfigMap = "istio-sidecar-injector"
	meshConfigMap     = "istio"
)

func (l *loader) configMap(at ObjectError, js []byte) {
	var cm corev1.ConfigMap
	if err := decode(js, &cm); err != nil {
		l.fail(at, err)
		return
	}
	id := cm.Namespace + "/" + cm.Name
	d := &configMapData{id: id, data: cm.Data}
	a := at
	d.at = &a
	var table map[string]*configMapData
	var rev string
	switch {
	case cm.Name == injectorConfigMap:
		table = l.injectors
	case strings.HasPrefix(cm.Name, injectorConfigMap+"-"):
		table, rev = l.injectors, strings.TrimPrefix(cm.Name, injectorConfigMap+"-")
	case cm.Name == meshConfigMap && hasKey(cm.Data, "mesh"):
		table = l.meshes
	case strings.HasPrefix(cm.Name, meshConfigMap+"-") && hasKey(cm.Data, "mesh"):
		table, rev = l.meshes, strings.TrimPrefix(cm.Name, meshConfigMap+"-")
	default:
		l.state.Skipped++
		return
	}
	if prev, dup := table[rev]; dup {
		l.fail(at, fmt.Errorf("a second ConfigMap for revision %q (the first is %s)", revLabel(rev), prev.id))
		return
	}
	table[rev] = d
}

func hasKey(m map[string]string, k string) bool { _, ok := m[k]; return ok }

func revLabel(name string) string {
	if name == "" {
		return "default"
	}
	return name
}

// finish pairs the ConfigMaps into revisions, attaches tags from the
// webhooks and sorts everything.
func (l *loader) finish() {
	s := l.state
	byName := map[string]*Revision{}
	get := func(name string) *Revision {
		if r, ok := byName[name]; ok {
			return r
		}
		r := &Revision{Name: name}
		byName[name] = r
		return r
	}
	for rev, inj := range l.injectors {
		r := get(rev)
		r.InjectorConfigMap = inj.id
		var mesh []byte
		if m, ok := l.meshes[rev]; ok {
			r.MeshConfigMap = m.id
			mesh = []byte(m.data["mesh"])
		}
		cfg, err := inject.LoadConfig([]byte(inj.data["config"]), []byte(inj.data["values"]), mesh)
		if err != nil {
			at := *inj.at
			if r.MeshConfigMap != "" && strings.Contains(err.Error(), "mesh") {
				err = fmt.Errorf("%w (with mesh config from %s)", err, r.MeshConfigMap)
			}
			l.fail(at, err)
			continue
		}
		if cfg.Revision != rev && !(rev == "" && cfg.Revision == "default") {
			s.Warnings = append(s.Warnings, fmt.Sprintf("ConfigMap %s: values.revision is %q, its name says %q; the name is used",
				inj.id, cfg.Revision, revLabel(rev)))
		}
		cfg.Revision = rev
		if _, err := inject.ReleaseFromValues(cfg.Values); err != nil {
			s.Warnings = append(s.Warnings, fmt.Sprintf("ConfigMap %s: %v: the newest release's rules apply", inj.id, err))
		}
		r.Release = cfg.Release
		r.Config = cfg
	}
	for rev, m := range l.meshes {
		if _, ok := l.injectors[rev]; !ok {
			s.Warnings = append(s.Warnings, fmt.Sprintf("ConfigMap %s has mesh config but there is no ConfigMap %s for revision %q: ignored",
				m.id, injectorName(rev), revLabel(rev)))
		}
	}
	sort.Slice(s.Webhooks, func(a, b int) bool { return s.Webhooks[a].Name < s.Webhooks[b].Name })
	for k := range s.Webhooks {
		c := &s.Webhooks[k]
		rev, ok := policy.ConfigurationRevision(c)
		if !ok {
			s.Warnings = append(s.Warnings, fmt.Sprintf("MutatingWebhookConfiguration %s: the revision it calls is unknown (no istio.io/rev label, no istiod service)", c.Name))
			continue
		}
		r, known := byName[rev]
		if !known {
			r = get(rev)
			s.Warnings = append(s.Warnings, fmt.Sprintf("MutatingWebhookConfiguration %s calls revision %q, which has no %s ConfigMap in the dumps",
				c.Name, revLabel(rev), injectorName(rev)))
		}
		if tag := policy.ConfigurationTag(c); tag != "" && !contains(r.Tags, tag) {
			r.Tags = append(r.Tags, tag)
		}
	}
	for _, r := range byName {
		sort.Strings(r.Tags)
		if r.Config != nil {
			r.Config.Tags = r.Tags
		}
		s.Revisions = append(s.Revisions, *r)
	}
	sort.Slice(s.Revisions, func(a, b int) bool { return s.Revisions[a].Name < s.Revisions[b].Name })
	sort.Strings(s.Warnings)
	sortObjects(s.Namespaces, func(o *corev1.Namespace) (string, string) { return "", o.Name })
	sortObjects(s.Pods, func(o *corev1.Pod) (string, string) { return o.Namespace, o.Name })
	sortObjects(s.ReplicaSets, func(o *appsv1.ReplicaSet) (string, string) { return o.Namespace, o.Name })
	sortObjects(s.Deployments, func(o *appsv1.Deployment) (string, string) { return o.Namespace, o.Name })
	sortObjects(s.StatefulSets, func(o *appsv1.StatefulSet) (string, string) { return o.Namespace, o.Name })
	sortObjects(s.DaemonSets, func(o *appsv1.DaemonSet) (string, string) { return o.Namespace, o.Name })
	sortObjects(s.Jobs, func(o *batchv1.Job) (string, string) { return o.Namespace, o.Name })
	sortObjects(s.CronJobs, func(o *batchv1.CronJob) (string, string) { return o.Namespace, o.Name })
}

func injectorName(rev string) string {
	if rev == "" {
		return injectorConfigMap
	}
	return injectorConfigMap + "-" + rev
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func sortObjects[T any](list []T, key func(*T) (string, string)) {
	sort.SliceStable(list, func(a, b int) bool {
		na, ma := key(&list[a])
		nb, mb := key(&list[b])
		if na != nb {
			return na < nb
		}
		return ma < mb
	})
}
