package template

import (
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kinject/kinject/internal/fieldpaths"
)

// issueName is the name as issue 10 quotes it (up to its "...").
const issueName = "hello\n  - name: evil\n    image: evil.io/x\n    securityContext:\n      privileged: true"

// privilegedName is issue 10's Deployment name, completed so that it works
// against Istio's sidecar template: it ends ISTIO_META_OWNER's env entry,
// adds a privileged container, and opens a second one that takes the rest
// of istio-proxy's fields so the output still parses.
const privilegedName = "hello\n  - name: evil\n    image: evil.io/x\n    securityContext:\n      privileged: true\n" +
	"  - name: sink\n    env:\n    - name: SINK\n      value: sink"

func TestValidateNames(t *testing.T) {
	long := strings.Repeat("a", 63)
	cases := []struct {
		name   string
		data   Data
		fields []string // the fields the error names; none for a valid Data
		reason string
	}{
		{"zero", Data{}, nil, "empty names are not checked (a pod of a ReplicaSet has no name yet)"},
		{"valid", Data{
			TypeMeta:       metav1.TypeMeta{Kind: "StatefulSet", APIVersion: "apps/v1"},
			DeploymentMeta: types.NamespacedName{Name: "web.v2-" + long, Namespace: "shop"},
			ObjectMeta: metav1.ObjectMeta{Name: "web-0", GenerateName: "web-", Namespace: "shop",
				OwnerReferences: []metav1.OwnerReference{{Name: "web", Kind: "StatefulSet", APIVersion: "apps/v1"}, {Name: "x", Kind: "MyKind", APIVersion: "example.com/v1beta1"}}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: long}}, InitContainers: []corev1.Container{{Name: "init-1"}}, ServiceAccountName: "sa.web"},
		}, nil, "every kind of name at its limits: 63-character labels, dotted subdomains, a trailing dash in a prefix, a custom kind"},
		{"privileged workload", Data{DeploymentMeta: types.NamespacedName{Name: privilegedName}}, []string{"DeploymentMeta.Name"}, "issue 10: the name that adds a privileged container with Istio's template"},
		{"owner reference", Data{ObjectMeta: metav1.ObjectMeta{OwnerReferences: []metav1.OwnerReference{{Name: privilegedName + "-5d4f8", Kind: "ReplicaSet", APIVersion: "apps/v1"}}}},
			[]string{"metadata.ownerReferences[0].name"}, "the webhook's vector: the API server does not check an owner reference's name"},
		{"owner kind and version", Data{ObjectMeta: metav1.ObjectMeta{OwnerReferences: []metav1.OwnerReference{{Name: "r", Kind: "Replica\nSet", APIVersion: "apps/v1\n- x"}}}},
			[]string{"metadata.ownerReferences[0].kind", "metadata.ownerReferences[0].apiVersion"}, "ISTIO_META_OWNER writes the kind and API version unquoted too"},
		{"namespace", Data{ObjectMeta: metav1.ObjectMeta{Namespace: "Shop_1"}}, []string{"metadata.namespace"}, "a namespace is a DNS-1123 label: no underscore"},
		{"capitals", Data{ObjectMeta: metav1.ObjectMeta{Namespace: "Shop", Name: "web-True"}, DeploymentMeta: types.NamespacedName{Name: "statusPort"}}, nil,
			"capitals cannot leave a scalar and istioctl prints such objects (Istio's test data and the release probes use them): the API server refuses them, not kinject"},
		{"namespace dot", Data{DeploymentMeta: types.NamespacedName{Namespace: "a.b"}}, []string{"DeploymentMeta.Namespace"}, "a label has no dots"},
		{"same value once", Data{ObjectMeta: metav1.ObjectMeta{Namespace: "a b"}, DeploymentMeta: types.NamespacedName{Namespace: "a b"}}, []string{"metadata.namespace"}, "the workload's namespace is usually the pod's: reported once"},
		{"pod name", Data{ObjectMeta: metav1.ObjectMeta{Name: "web\"x"}}, []string{"metadata.name"}, "a quote ends a hand-quoted scalar"},
		{"generate name", Data{ObjectMeta: metav1.ObjectMeta{GenerateName: "web\n- x-"}}, []string{"metadata.generateName"}, "a prefix is checked with its trailing dash allowed"},
		{"container", Data{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app"}, {Name: "a,b"}}}}, []string{"spec.containers[1].name"}, "ISTIO_META_APP_CONTAINERS joins the names with commas"},
		{"init container", Data{Spec: corev1.PodSpec{InitContainers: []corev1.Container{{Name: "init_1"}}}}, []string{"spec.initContainers[0].name"}, "init containers are named like containers"},
		{"long container", Data{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: long + "b"}}}}, []string{"spec.containers[0].name"}, "a label is at most 63 characters"},
		{"service account", Data{Spec: corev1.PodSpec{ServiceAccountName: "sa\n    evil: x", DeprecatedServiceAccount: "sa}}"}}, []string{"spec.serviceAccountName", "spec.serviceAccount"}, "istio.<service account> is written unquoted as a secret name"},
		{"kind", Data{TypeMeta: metav1.TypeMeta{Kind: "Deploy ment"}}, []string{"TypeMeta.Kind"}, "the workload's kind"},
		{"other pod names", Data{ObjectMeta: metav1.ObjectMeta{Finalizers: []string{"example.com/ok", "a\nb"}},
			Spec: corev1.PodSpec{Volumes: []corev1.Volume{{Name: "v.1"}}, Containers: []corev1.Container{{Name: "app", Ports: []corev1.ContainerPort{{Name: "http"}, {Name: "a'b"}}}},
				ImagePullSecrets: []corev1.LocalObjectReference{{Name: "s\"x"}}, Hostname: "h_1", NodeName: "n\n"}},
			[]string{"metadata.finalizers[1]", "spec.volumes[0].name", "spec.containers[0].ports[1].name", "spec.imagePullSecrets[0].name", "spec.hostname", "spec.nodeName"},
			"names the shipped templates do not write, which a template may"},
		{"api version", Data{TypeMeta: metav1.TypeMeta{APIVersion: "a/b/c"}}, []string{"TypeMeta.APIVersion"}, "one slash at most"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := ValidateNames(&c.data)
			if len(c.fields) == 0 {
				if err != nil {
					t.Errorf("ValidateNames: %v (%s)", err, c.reason)
				}
				return
			}
			if !errors.Is(err, ErrInvalidName) {
				t.Fatalf("error %v does not wrap ErrInvalidName (%s)", err, c.reason)
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(c.fields) {
				t.Errorf("%d findings, want %d: %v (%s)", len(lines), len(c.fields), err, c.reason)
			}
			for k, f := range c.fields {
				if k < len(lines) && !strings.HasPrefix(lines[k], f+": invalid name ") {
					t.Errorf("finding %q does not start with %q (%s)", lines[k], f, c.reason)
				}
			}
		})
	}
}

// TestNameBreakoutWithoutValidation shows what ValidateNames prevents:
// rendered without it, issue 10's name adds a privileged container with
// Istio's template. (If this stops holding, the hostile-name tests below
// need a stronger seed.)
func TestNameBreakoutWithoutValidation(t *testing.T) {
	ft := corpusSidecarTarget(t)
	d := ft.data(t, ft.pod)
	d.DeploymentMeta.Name = privilegedName
	applied, err := ft.set.Apply(ft.pod, ft.names, d, ApplyOptions{})
	if err != nil {
		t.Fatalf("the hostile name no longer renders (%v): find a seed that does", err)
	}
	evil := findByName(applied.Pod.Spec.InitContainers, "evil")
	if evil == nil {
		evil = findByName(applied.Pod.Spec.Containers, "evil")
	}
	if evil == nil || evil.SecurityContext == nil || evil.SecurityContext.Privileged == nil || !*evil.SecurityContext.Privileged {
		t.Fatalf("no privileged container evil: the seed no longer breaks out")
	}
	if err := ValidateNames(d); !errors.Is(err, ErrInvalidName) || !strings.HasPrefix(err.Error(), "DeploymentMeta.Name: ") {
		t.Errorf("ValidateNames = %v, want the workload name refused", err)
	}
}

func findByName(cs []corev1.Container, name string) *corev1.Container {
	for k := range cs {
		if cs[k].Name == name {
			return &cs[k]
		}
	}
	return nil
}

// nameField is one name the templates see: how to set it and the paths
// (prefixes, see fieldpaths) a new value may change.
type nameField struct {
	field   string // as ValidateNames names it
	benign  string
	set     func(pod *corev1.Pod, d *Data, v string) // d is nil for pod fields, set before the data is built
	allowed func(v string) []string
}

// proxyEnv is the proxy's env in both targets (Istio's native sidecar,
// kinject's own mesh-proxy), where the templates write names.
var proxyEnv = []string{proxyPath + ".env", "spec.containers[istio-proxy].env", "spec.containers[mesh-proxy].env"}

func withProxyEnv(paths ...string) []string { return append(paths, proxyEnv...) }

var nameFields = []nameField{
	{field: "DeploymentMeta.Name", benign: "web", set: func(_ *corev1.Pod, d *Data, v string) {
		if d != nil {
			d.DeploymentMeta.Name = v
		}
	}, allowed: func(string) []string { return withProxyEnv("metadata.labels") }},
	{field: "DeploymentMeta.Namespace", benign: "shop", set: func(_ *corev1.Pod, d *Data, v string) {
		if d != nil {
			d.DeploymentMeta.Namespace = v
		}
	}, allowed: func(string) []string { return withProxyEnv() }},
	{field: "metadata.namespace", benign: "shop", set: func(p *corev1.Pod, d *Data, v string) {
		if d == nil {
			p.Namespace = v
		}
	}, allowed: func(string) []string { return withProxyEnv("metadata.namespace") }},
	{field: "metadata.name", benign: "web-0", set: func(p *corev1.Pod, d *Data, v string) {
		if d == nil {
			p.Name = v
		}
	}, // kinject's own test data derives the workload from the pod's name
		allowed: func(string) []string { return withProxyEnv("metadata.name", "metadata.labels") }},
	{field: "metadata.generateName", benign: "web-", set: func(p *corev1.Pod, d *Data, v string) {
		if d == nil {
			p.GenerateName = v
		}
	}, allowed: func(string) []string { return []string{"metadata.generateName"} }},
	{field: "spec.containers[0].name", benign: "app", set: func(p *corev1.Pod, d *Data, v string) {
		if d == nil && len(p.Spec.Containers) > 0 {
			p.Spec.Containers[0].Name = v
		}
	}, allowed: func(v string) []string {
		return withProxyEnv("spec.containers[app]", "spec.containers["+v+"]", "metadata.annotations")
	}},
	{field: "spec.serviceAccountName", benign: "web", set: func(p *corev1.Pod, d *Data, v string) {
		if d == nil {
			p.Spec.ServiceAccountName = v
		}
	}, allowed: func(string) []string { return []string{"spec.serviceAccountName", "spec.volumes"} }},
}

// hostileNames are the seeds: issue 10's name, the annotation seeds, and
// valid names at their limits (those must render and change only their
// own fields).
var hostileNames = append([]string{
	privilegedName, issueName, "web\n  - name: evil", "web\"", "web'", "web: x", "a.b", "a-b", "0", strings.Repeat("a", 63), strings.Repeat("a.", 126) + "a",
	"Web", "web-", "-web", "web.", "web_x", "web,x", "web x",
}, hostileValues...)

// injectName sets the field to v and returns the templates' output, or
// false when ValidateNames refuses the value (its error must name the
// field).
func (ft fuzzTarget) injectName(t testing.TB, f nameField, v string) (map[string]string, bool) {
	pod := ft.pod.DeepCopy()
	f.set(pod, nil, v)
	d := ft.data(t, pod)
	f.set(pod, d, v)
	if err := ValidateNames(d); err != nil {
		if !errors.Is(err, ErrInvalidName) || !strings.Contains(err.Error(), f.field+": invalid name") {
			t.Errorf("%s=%q: error %v does not name the field", f.field, short(v), err)
		}
		return nil, false
	}
	applied, err := ft.set.Apply(pod, ft.names, d, ApplyOptions{})
	if err != nil {
		t.Fatalf("%s=%q passed ValidateNames but Apply failed: %v", f.field, short(v), err)
	}
	return flatten(t, applied.Pod), true
}

func (ft fuzzTarget) checkName(t testing.TB, which uint8, v string) {
	f := nameFields[int(which)%len(nameFields)]
	base, ok := ft.injectName(t, f, f.benign)
	if !ok {
		t.Fatalf("benign %s=%q refused", f.field, f.benign)
	}
	got, ok := ft.injectName(t, f, v)
	if !ok {
		return
	}
	if bad := fieldpaths.ChangedOutside(base, got, f.allowed(v)); len(bad) > 0 {
		t.Errorf("%s=%q changed fields it does not drive: %v", f.field, short(v), bad)
	}
}

// TestHostileNames sends every seed through every name, with Istio's
// sidecar template (skipped without the corpus) and kinject's own
// templates: a name is refused with an error naming its field, or it
// changes only what it drives.
func TestHostileNames(t *testing.T) {
	for _, target := range []struct {
		name string
		get  func(testing.TB) fuzzTarget
	}{{"corpus-sidecar", corpusSidecarTarget}, {"own", ownTarget}} {
		t.Run(target.name, func(t *testing.T) {
			ft := target.get(t)
			for i := range nameFields {
				for _, v := range hostileNames {
					ft.checkName(t, uint8(i), v)
				}
			}
		})
	}
}

func FuzzSidecarName(f *testing.F) {
	for i := range nameFields {
		for _, v := range hostileNames[:12] {
			f.Add(uint8(i), v)
		}
	}
	ft := corpusSidecarTarget(f)
	f.Fuzz(func(t *testing.T, which uint8, v string) { ft.checkName(t, which, v) })
}
