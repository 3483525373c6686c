package inject

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"

	"github.com/kinject/kinject/internal/fieldpaths"
)

// The hostile-name tests do for object names what the hostile-value tests
// do for annotations: set one name a template sees to a value an attacker
// chose and inject through InjectPod, Review and InjectManifests, with the
// embedded configuration and Istio's. Either the injection is refused with
// an error wrapping ErrInvalidName that names the field, or the injected
// pod differs from the one injected with a benign name only in what that
// name drives.

// issueName is the name as issue 10 quotes it (up to its "...").
const issueName = "hello\n  - name: evil\n    image: evil.io/x\n    securityContext:\n      privileged: true"

// privilegedName is issue 10's Deployment name, completed so that it adds a
// privileged container through Istio's sidecar template when names are not
// checked (template.TestNameBreakoutWithoutValidation shows it does).
const privilegedName = "hello\n  - name: evil\n    image: evil.io/x\n    securityContext:\n      privileged: true\n" +
	"  - name: sink\n    env:\n    - name: SINK\n      value: sink"

// hostileName is one name of the pod a template sees.
type hostileName struct {
	field   string // as the error names it
	benign  string
	set     func(pod *corev1.Pod, v string)
	allowed func(v string) []string
}

// proxyEnvPaths are the proxy's env in either place.
var proxyEnvPaths = proxyPaths(".env")

func withEnv(paths ...string) []string { return append(paths, proxyEnvPaths...) }

var hostileNames = []hostileName{
	{field: "metadata.namespace", benign: "shop", set: func(p *corev1.Pod, v string) { p.Namespace = v },
		allowed: func(string) []string { return withEnv("metadata.namespace") }},
	{field: "metadata.name", benign: "web-0", set: func(p *corev1.Pod, v string) { p.Name, p.GenerateName, p.OwnerReferences = v, "", nil },
		// Without an owner the pod is its own workload.
		allowed: func(string) []string { return withEnv("metadata.name", "metadata.labels") }},
	{field: "metadata.generateName", benign: "web-", set: func(p *corev1.Pod, v string) { p.Name, p.GenerateName = "", v },
		allowed: func(string) []string { return withEnv("metadata.generateName", "metadata.name", "metadata.labels") }},
	{field: "metadata.ownerReferences[0].name", benign: "web", set: func(p *corev1.Pod, v string) {
		// A ReplicaSet's pod: the webhook's vector, since the API server
		// does not check an owner reference's name.
		p.Name, p.GenerateName = "", "web-5d4f8-"
		if p.Labels == nil {
			p.Labels = map[string]string{}
		}
		p.Labels["pod-template-hash"] = "5d4f8"
		yes := true
		p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: v + "-5d4f8", UID: "u", Controller: &yes}}
	}, allowed: func(string) []string { return withEnv("metadata.ownerReferences", "metadata.labels") }},
	{field: "spec.containers[0].name", benign: "app", set: func(p *corev1.Pod, v string) { p.Spec.Containers[0].Name = v },
		allowed: func(v string) []string {
			return withEnv("spec.containers[app]", "spec.containers["+v+"]", "metadata.annotations[kubectl.kubernetes.io/default-container]", "metadata.annotations[kubectl.kubernetes.io/default-logs-container]")
		}},
	{field: "spec.initContainers[0].name", benign: "setup", set: func(p *corev1.Pod, v string) {
		p.Spec.InitContainers = []corev1.Container{{Name: v, Image: "setup"}}
	}, allowed: func(v string) []string { return withEnv("spec.initContainers[setup]", "spec.initContainers["+v+"]") }},
	{field: "spec.serviceAccountName", benign: "web", set: func(p *corev1.Pod, v string) { p.Spec.ServiceAccountName = v },
		allowed: func(string) []string { return []string{"spec.serviceAccountName", "spec.volumes"} }},
}

// hostileNameSeeds: issue 10's name, the annotation seeds, and valid names
// at their limits, which must be injected and change only their fields.
var hostileNameSeeds = append([]string{
	privilegedName, issueName, "web\n  - name: evil", `web"`, "web: x", "Web", "web_x", "-web", "a.b", "0", strings.Repeat("a", 63),
}, hostileSeeds...)

// withName returns a copy of the target's pod with the name set.
func (ht hostileTarget) withName(n hostileName, v string) *corev1.Pod {
	pod := ht.pod.DeepCopy()
	if len(pod.Spec.Containers) > 0 {
		pod.Spec.Containers[0].Name = "app"
	}
	if pod.Namespace == "" {
		pod.Namespace = "shop"
	}
	n.set(pod, v)
	return pod
}

func (ht hostileTarget) checkName(t testing.TB, n hostileName, v, path string) {
	t.Helper()
	run := ht.viaInjectPod
	if path == "review" {
		run = ht.viaReview
	}
	base, err := run(t, ht.withName(n, n.benign))
	if err != nil {
		t.Fatalf("%s: benign %s=%q refused: %v", path, n.field, n.benign, err)
	}
	got, err := run(t, ht.withName(n, v))
	if err != nil {
		// Review denials carry only the message.
		if (path == "pod" && !errors.Is(err, ErrInvalidName)) || !strings.Contains(err.Error(), n.field+": "+ErrInvalidName.Error()) {
			t.Errorf("%s: %s=%q: error %q does not wrap %q naming the field", path, n.field, shortValue(v), err, ErrInvalidName)
		}
		return
	}
	if bad := fieldpaths.ChangedOutside(base, got, n.allowed(v)); len(bad) > 0 {
		t.Errorf("%s: %s=%q changed fields it does not drive: %v", path, n.field, shortValue(v), bad)
	}
}

// TestHostileNames sends every seed through every name, both paths, with
// the embedded configuration and Istio's.
func TestHostileNames(t *testing.T) {
	targets := []struct {
		name, reason string
		get          func(testing.TB) hostileTarget
	}{
		{"embedded", "DefaultConfig, what most users run", embeddedTarget},
		{"corpus", "Istio's shipped sidecar template, which writes names unquoted (skipped without the corpus)", corpusTarget},
	}
	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			ht := tg.get(t)
			seeds := hostileNameSeeds
			if testing.Short() {
				seeds = seeds[:10]
			}
			for _, n := range hostileNames {
				for _, path := range []string{"pod", "review"} {
					for _, v := range seeds {
						ht.checkName(t, n, v, path)
					}
				}
			}
		})
	}
}

// TestHostileNameErrors pins issue 10's attack through each entry point:
// the privileged-container name is refused with an error naming the
// object and the field, with the embedded configuration and Istio's.
func TestHostileNameErrors(t *testing.T) {
	quoted := fmt.Sprintf("%q", privilegedName)
	deployment := func(name, namespace string) string {
		b, err := yaml.Marshal(map[string]any{
			"apiVersion": "apps/v1", "kind": "Deployment",
			"metadata": map[string]any{"name": name, "namespace": namespace},
			"spec": map[string]any{"template": map[string]any{"spec": map[string]any{
				"containers": []any{map[string]any{"name": "hello", "image": "hello"}}}}},
		})
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	indent := func(s string) string { return "  " + strings.ReplaceAll(strings.TrimSpace(s), "\n", "\n  ") }
	manifests := []struct {
		name, in string
		want     []string
		reason   string
	}{
		{"deployment name", deployment(privilegedName, "shop"), []string{`document 0 (deployment "shop/` + privilegedName[:5], "metadata.name: invalid name " + quoted[:20]},
			"issue 10: kube-inject added a privileged container, exit 0"},
		{"deployment namespace", deployment("web", "shop\n  evil: x"), []string{"metadata.namespace: invalid name"}, "the namespace is written into ISTIO_META_OWNER too"},
		{"list item", "apiVersion: v1\nkind: List\nitems:\n-" + indent(deployment(privilegedName, ""))[1:] + "\n", []string{"document 0 (list)", "items[0] (deployment ", "metadata.name: invalid name"}, "a List item is checked like a document"},
		{"cronjob", "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: \"job\\\"x\"}\nspec: {schedule: '* * * * *', jobTemplate: {spec: {template: {spec: {containers: [{name: a, image: a}]}}}}}\n", []string{"metadata.name: invalid name"}, "a CronJob's name is its jobs' workload"},
		{"container", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: \"app\\n  - name: evil\", image: a}]}\n", []string{`pod "p": spec.containers[0].name: invalid name`}, "ISTIO_META_APP_CONTAINERS writes container names"},
		{"service account", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {serviceAccountName: \"sa\\n    evil: x\", containers: [{name: a, image: a}]}\n", []string{"spec.serviceAccountName: invalid name"}, "istio.<service account> is written unquoted"},
		{"pod owner", "apiVersion: v1\nkind: Pod\nmetadata: {generateName: p-, ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: \"r\\n- x\", uid: u, controller: true}]}\nspec: {containers: [{name: a, image: a}]}\n",
			[]string{"metadata.ownerReferences[0].name: invalid name"}, "kubectl get pod -o yaml keeps the owner references"},
	}
	injectors := []struct {
		name string
		get  func(testing.TB) *Injector
	}{
		{"embedded", func(t testing.TB) *Injector { return newTestInjector(t, nil) }},
		{"corpus", func(t testing.TB) *Injector { inj, _ := corpusInjector(t, "hello", 0); return inj }},
	}
	for _, ij := range injectors {
		t.Run(ij.name, func(t *testing.T) {
			inj := ij.get(t)
			for _, m := range manifests {
				res, err := inj.InjectManifests(context.Background(), []byte(m.in), ManifestOptions{})
				if !errors.Is(err, ErrInvalidName) || !errors.Is(err, ErrBadDocument) {
					t.Errorf("%s: error %v, want ErrInvalidName (%s)", m.name, err, m.reason)
					continue
				}
				for _, w := range m.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("%s: error %q does not contain %q (%s)", m.name, err, w, m.reason)
					}
				}
				if strings.Contains(string(res.Output), "evil") {
					t.Errorf("%s: the hostile name reached the output:\n%s", m.name, res.Output)
				}
			}

			// The webhook's vector: a ReplicaSet's pod whose controller is
			// named by the attacker.
			ht := hostileTarget{inj: inj, pod: &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "app"}}}}}
			ht.pod.Namespace = "shop"
			owner := hostileNames[3]
			_, err := ht.viaReview(t, ht.withName(owner, privilegedName))
			if err == nil || !strings.Contains(err.Error(), `pod "shop/web-5d4f8-*": metadata.ownerReferences[0].name: invalid name `+quoted[:20]) {
				t.Errorf("Review: %v, want a denial naming the owner reference", err)
			}
		})
	}
}

// TestHostileNameBeforeCache: the result cache leaves the pod's name and
// generateName out of its key, so a hostile generateName must be refused
// even when a pod differing only there was injected and cached before.
func TestHostileNameBeforeCache(t *testing.T) {
	inj := newTestInjector(t, nil)
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{GenerateName: "web-", Namespace: "shop"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "app"}}}}
	if _, err := inj.InjectPod(context.Background(), PodRequest{Pod: pod}); err != nil {
		t.Fatal(err)
	}
	bad := pod.DeepCopy()
	bad.GenerateName = "web\n  evil: x-"
	if _, err := inj.InjectPod(context.Background(), PodRequest{Pod: bad}); !errors.Is(err, ErrInvalidName) {
		t.Errorf("cached pod's replica with a hostile generateName: %v, want ErrInvalidName", err)
	}
	// A library caller's own DeploymentMeta is checked as the templates
	// see it.
	_, err := inj.InjectPod(context.Background(), PodRequest{Pod: pod, TypeMeta: metav1.TypeMeta{Kind: "Deployment", APIVersion: "apps/v1"},
		DeploymentMeta: types.NamespacedName{Name: privilegedName}})
	if !errors.Is(err, ErrInvalidName) || !strings.Contains(err.Error(), "DeploymentMeta.Name: invalid name") {
		t.Errorf("PodRequest.DeploymentMeta: %v, want ErrInvalidName naming DeploymentMeta.Name", err)
	}
}
