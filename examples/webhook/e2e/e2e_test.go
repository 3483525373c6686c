package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"

	"github.com/kinject/kinject/examples/webhook/e2e/internal/kubebin"
)

func TestServerVersion(t *testing.T) {
	// The builder stamps the version with -ldflags; a server reporting
	// v0.0.0 would mean the stamp (and so the cache key) is wrong.
	needCluster(t)
	v, err := the.client.Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	if v.GitVersion != kubebin.KubeVersion {
		t.Errorf("server version %q, want %q", v.GitVersion, kubebin.KubeVersion)
	}
}

func TestNamespaceLabelFlow(t *testing.T) {
	// The seed's first flow: label a namespace, pods get a sidecar; remove
	// the label, new pods get none.
	w := startWebhook(t, webhookConfig{})
	w.install(t, admissionregistrationv1.Fail)
	ns := namespace(t, map[string]string{"istio-injection": "enabled"})

	p := createPod(t, ns, podFor("web"))
	assertInjected(t, p, false)
	if got := p.Annotations["istio.io/rev"]; got != "default" {
		t.Errorf("istio.io/rev annotation %q, want default", got)
	}
	if c := container(p, "istio-proxy"); c != nil && !strings.Contains(c.Image, "proxyv2") {
		t.Errorf("istio-proxy image %q, want the proxyv2 image from values", c.Image)
	}
	if c := container(p, "app"); c == nil || c.Image != "registry.example/app:1.0" {
		t.Errorf("the application container was changed or lost: %+v", c)
	}

	setNamespaceLabels(t, ns, nil)
	// The API server sees namespace labels through an informer; wait until
	// the change reaches the webhook's namespaceSelector.
	waitUntil(t, 30*time.Second, "label removal seen", func(ctx context.Context) (bool, error) {
		got, err := dryRunPod(ctx, ns)
		return err == nil && !hasContainer(got, "istio-proxy"), err
	})
	assertNotInjected(t, createPod(t, ns, podFor("web")))
}

func TestEmbeddedDefaultConfig(t *testing.T) {
	// The webhook as a user first runs it: only address and certificate,
	// kinject's embedded default configuration. The API server must accept
	// what it injects.
	w := startWebhook(t, webhookConfig{Embedded: true})
	w.install(t, admissionregistrationv1.Fail)
	ns := namespace(t, map[string]string{"istio-injection": "enabled"})
	tests := []struct {
		name, reason string
		annotations  map[string]string
		native       bool
	}{
		{"sidecar", "the default: istio-proxy as a regular container", nil, false},
		{"native sidecar", "the pod asks for a native sidecar",
			map[string]string{"sidecar.istio.io/nativeSidecar": "true"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod := podFor("embedded")
			pod.Annotations = tt.annotations
			got := createPod(t, ns, pod)
			assertInjected(t, got, tt.native)
			if c := container(got, "istio-proxy"); c != nil && c.Image == "" {
				t.Errorf("istio-proxy has no image (%s)", tt.reason)
			}
		})
	}
}

func TestInjectionDecision(t *testing.T) {
	w := startWebhook(t, webhookConfig{})
	w.install(t, admissionregistrationv1.Fail)
	tests := []struct {
		name, reason  string
		nsLabels      map[string]string
		podLabels     map[string]string
		podAnnotation map[string]string
		want          bool
		wantWarning   string // substring of an admission warning the client must receive
	}{
		{"namespace enabled", "the namespace label alone injects",
			map[string]string{"istio-injection": "enabled"}, nil, nil, true, ""},
		{"pod label false", "a pod opts out with the label; the webhook is not even called",
			map[string]string{"istio-injection": "enabled"}, map[string]string{"sidecar.istio.io/inject": "false"}, nil, false, ""},
		{"pod annotation false", "the deprecated annotation still opts out, decided inside the injector",
			map[string]string{"istio-injection": "enabled"}, nil, map[string]string{"sidecar.istio.io/inject": "false"}, false,
			"sidecar.istio.io/inject"},
		{"pod label true", "a pod opts in through object.sidecar-injector in an unlabelled namespace",
			nil, map[string]string{"sidecar.istio.io/inject": "true"}, nil, true, ""},
		{"namespace disabled wins", "istio-injection=disabled beats a pod's opt-in",
			map[string]string{"istio-injection": "disabled"}, map[string]string{"sidecar.istio.io/inject": "true"}, nil, false, ""},
		{"nothing", "no label anywhere and enableNamespacesByDefault off",
			nil, nil, nil, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns := namespace(t, tt.nsLabels)
			pod := podFor("app")
			for k, v := range tt.podLabels {
				pod.Labels[k] = v
			}
			pod.Annotations = tt.podAnnotation
			the.warnings.take()
			got := createPod(t, ns, pod)
			if tt.want {
				assertInjected(t, got, false)
			} else {
				assertNotInjected(t, got)
			}
			warnings := the.warnings.take()
			if tt.wantWarning != "" && !strings.Contains(strings.Join(warnings, "\n"), tt.wantWarning) {
				t.Errorf("admission warnings %q, want one mentioning %q", warnings, tt.wantWarning)
			}
			if t.Failed() {
				t.Logf("reason for this case: %s", tt.reason)
			}
		})
	}
}

func TestRevisions(t *testing.T) {
	// Two revisions installed side by side, as during a canary upgrade:
	// every pod must be injected by exactly the revision it selects. The
	// proxy image tag and the istio.io/rev annotation say which one did.
	def := startWebhook(t, webhookConfig{Tag: "1.0-default"})
	canary := startWebhook(t, webhookConfig{Revision: "canary", Tag: "1.0-canary"})
	def.install(t, admissionregistrationv1.Fail)
	canary.install(t, admissionregistrationv1.Fail)
	tests := []struct {
		name, reason string
		nsLabels     map[string]string
		podLabels    map[string]string
		wantRev      string // "" means not injected
	}{
		{"namespace rev canary", "rev.namespace webhook of canary",
			map[string]string{"istio.io/rev": "canary"}, nil, "canary"},
		{"namespace istio-injection", "the default injector's namespace webhook",
			map[string]string{"istio-injection": "enabled"}, nil, "default"},
		{"namespace rev default", "istio.io/rev=default selects the revisionless install",
			map[string]string{"istio.io/rev": "default"}, nil, "default"},
		{"pod rev canary", "rev.object webhook of canary in an unlabelled namespace",
			nil, map[string]string{"istio.io/rev": "canary"}, "canary"},
		{"istio-injection beats pod rev", "if both are present the namespace's istio-injection wins",
			map[string]string{"istio-injection": "enabled"}, map[string]string{"istio.io/rev": "canary"}, "default"},
		{"namespace rev canary, pod opts out", "the pod label false excludes it from every webhook",
			map[string]string{"istio.io/rev": "canary"}, map[string]string{"sidecar.istio.io/inject": "false"}, ""},
		{"unknown revision", "no installed revision is called stable",
			map[string]string{"istio.io/rev": "stable"}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns := namespace(t, tt.nsLabels)
			pod := podFor("app")
			for k, v := range tt.podLabels {
				pod.Labels[k] = v
			}
			got := createPod(t, ns, pod)
			if tt.wantRev == "" {
				assertNotInjected(t, got)
				return
			}
			assertInjected(t, got, false)
			if rev := got.Annotations["istio.io/rev"]; rev != tt.wantRev {
				t.Errorf("istio.io/rev annotation %q, want %q (%s)", rev, tt.wantRev, tt.reason)
			}
			wantTag := ":1.0-" + tt.wantRev
			for _, name := range []string{"istio-proxy", "istio-init"} {
				if c := container(got, name); c != nil && !strings.HasSuffix(c.Image, wantTag) {
					t.Errorf("%s image %q, want tag %s (%s)", name, c.Image, wantTag, tt.reason)
				}
			}
		})
	}
}

func TestProxyOverrides(t *testing.T) {
	// A pod may carry its own istio-proxy container; its fields override the
	// template's (strategic merge by container name), the rest is injected.
	w := startWebhook(t, webhookConfig{})
	w.install(t, admissionregistrationv1.Fail)
	ns := namespace(t, map[string]string{"istio-injection": "enabled"})
	pod := podFor("override")
	pod.Spec.Volumes = []corev1.Volume{{Name: "extra", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
	wantResources := corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("300m"), corev1.ResourceMemory: resource.MustParse("200Mi")},
		Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse("1Gi")},
	}
	preStop := &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: []string{"sleep", "17"}}}
	pod.Spec.Containers = append(pod.Spec.Containers, corev1.Container{
		Name:         "istio-proxy",
		Image:        "auto",
		Resources:    wantResources,
		VolumeMounts: []corev1.VolumeMount{{Name: "extra", MountPath: "/etc/extra"}},
		Lifecycle:    &corev1.Lifecycle{PreStop: preStop},
	})
	got := createPod(t, ns, pod)
	assertInjected(t, got, false)
	proxy := container(got, "istio-proxy")
	if proxy == nil {
		t.Fatal("no istio-proxy")
	}
	if proxy.Image == "auto" || !strings.Contains(proxy.Image, "proxyv2") {
		t.Errorf("image %q, want image: auto replaced by the proxy image", proxy.Image)
	}
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		have, want := proxy.Resources.Requests[r], wantResources.Requests[r]
		if have.Cmp(want) != 0 {
			t.Errorf("requests.%s = %s, want the pod's %s", r, have.String(), want.String())
		}
		have, want = proxy.Resources.Limits[r], wantResources.Limits[r]
		if have.Cmp(want) != 0 {
			t.Errorf("limits.%s = %s, want the pod's %s", r, have.String(), want.String())
		}
	}
	var mounts []string
	for _, m := range proxy.VolumeMounts {
		mounts = append(mounts, m.MountPath)
	}
	if !containsString(mounts, "/etc/extra") {
		t.Errorf("volumeMounts %v lack the pod's /etc/extra", mounts)
	}
	if len(mounts) < 2 {
		t.Errorf("volumeMounts %v: the template's own mounts were lost", mounts)
	}
	if proxy.Lifecycle == nil || proxy.Lifecycle.PreStop == nil || proxy.Lifecycle.PreStop.Exec == nil ||
		strings.Join(proxy.Lifecycle.PreStop.Exec.Command, " ") != "sleep 17" {
		t.Errorf("preStop %+v, want the pod's exec sleep 17", proxy.Lifecycle)
	}
	if len(proxy.Env) == 0 || len(proxy.Args) == 0 {
		t.Errorf("istio-proxy has no env or args: the template was not merged in")
	}
}

func TestResourceAnnotations(t *testing.T) {
	w := startWebhook(t, webhookConfig{})
	w.install(t, admissionregistrationv1.Fail)
	ns := namespace(t, map[string]string{"istio-injection": "enabled"})
	tests := []struct {
		name, reason string
		annotations  map[string]string
		requests     map[corev1.ResourceName]string
		limits       map[corev1.ResourceName]string
	}{
		{"all four", "every resource annotation lands in the proxy's resources",
			map[string]string{
				"sidecar.istio.io/proxyCPU": "250m", "sidecar.istio.io/proxyMemory": "96Mi",
				"sidecar.istio.io/proxyCPULimit": "750m", "sidecar.istio.io/proxyMemoryLimit": "384Mi",
			},
			map[corev1.ResourceName]string{corev1.ResourceCPU: "250m", corev1.ResourceMemory: "96Mi"},
			map[corev1.ResourceName]string{corev1.ResourceCPU: "750m", corev1.ResourceMemory: "384Mi"}},
		{"none", "without annotations the values.yaml defaults apply",
			nil,
			map[corev1.ResourceName]string{corev1.ResourceCPU: "100m", corev1.ResourceMemory: "128Mi"},
			map[corev1.ResourceName]string{corev1.ResourceCPU: "2", corev1.ResourceMemory: "1Gi"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod := podFor("res")
			pod.Annotations = tt.annotations
			got := createPod(t, ns, pod)
			assertInjected(t, got, false)
			proxy := container(got, "istio-proxy")
			if proxy == nil {
				t.Fatal("no istio-proxy")
			}
			check := func(kind string, have corev1.ResourceList, want map[corev1.ResourceName]string) {
				for r, v := range want {
					q := have[r]
					if q.Cmp(resource.MustParse(v)) != 0 {
						t.Errorf("%s.%s = %s, want %s (%s)", kind, r, q.String(), v, tt.reason)
					}
				}
			}
			check("requests", proxy.Resources.Requests, tt.requests)
			check("limits", proxy.Resources.Limits, tt.limits)
		})
	}
}

func TestAnnotationValuesAreData(t *testing.T) {
	// Annotation values reach Istio's template, but only as data: quotes,
	// newlines and template delimiters must neither add fields (here, a
	// privileged proxy) nor run as template code. The webhook either
	// stores the value literally or refuses the pod, naming what is wrong.
	w := startWebhook(t, webhookConfig{})
	w.install(t, admissionregistrationv1.Fail)
	ns := namespace(t, map[string]string{"istio-injection": "enabled"})
	tests := []struct {
		name, reason string
		annotations  map[string]string
		wantImage    string // the proxy image stored literally; "" means refused
		wantErr      string // substring of the refusal
	}{
		{"quotes and newlines in an image", "a YAML break-out attempt stays one string",
			map[string]string{"sidecar.istio.io/proxyImage": "reg.example/evil\"\n        securityContext: {privileged: true}\n        x: \""},
			"reg.example/evil\"\n        securityContext: {privileged: true}\n        x: \"", ""},
		{"template code in an image", "{{ }} in a value is not executed",
			map[string]string{"sidecar.istio.io/proxyImage": "reg.example/{{ .Values }}:1"},
			"reg.example/{{ .Values }}:1", ""},
		{"break-out in a quantity", "a resource annotation that is not a quantity is refused",
			map[string]string{"sidecar.istio.io/proxyCPU": "100m\"\n    privileged: true\n#"},
			"", "sidecar.istio.io/proxyCPU"},
		{"template code in an enum", "an interception mode that is not one of Istio's is refused",
			map[string]string{"sidecar.istio.io/interceptionMode": "REDIRECT }}{{ printf \"x\" }}"},
			"", "sidecar.istio.io/interceptionMode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod := podFor("data")
			pod.Annotations = tt.annotations
			got, err := the.client.CoreV1().Pods(ns).Create(context.Background(), pod, metav1.CreateOptions{})
			if tt.wantImage == "" {
				if err == nil || !strings.Contains(err.Error(), "denied the request") || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want the webhook to deny the pod naming %q (%s)", err, tt.wantErr, tt.reason)
				}
				return
			}
			if err != nil {
				t.Fatalf("create: %v (%s)", err, tt.reason)
			}
			assertInjected(t, got, false)
			if n := len(got.Spec.Containers); n != 2 {
				t.Errorf("%d containers (%s), want app and istio-proxy", n, describe(got))
			}
			proxy := container(got, "istio-proxy")
			if proxy == nil {
				t.Fatal("no istio-proxy")
			}
			if proxy.Image != tt.wantImage {
				t.Errorf("image %q, want the annotation's value literally %q (%s)", proxy.Image, tt.wantImage, tt.reason)
			}
			if sc := proxy.SecurityContext; sc != nil && sc.Privileged != nil && *sc.Privileged {
				t.Errorf("istio-proxy became privileged: the annotation added a field (%s)", tt.reason)
			}
		})
	}
}

func TestNativeSidecar(t *testing.T) {
	// sidecar.istio.io/nativeSidecar=true turns istio-proxy into a
	// restartable init container, which the API server validates.
	w := startWebhook(t, webhookConfig{})
	w.install(t, admissionregistrationv1.Fail)
	ns := namespace(t, map[string]string{"istio-injection": "enabled"})
	pod := podFor("native")
	pod.Annotations = map[string]string{"sidecar.istio.io/nativeSidecar": "true"}
	got := createPod(t, ns, pod)
	assertInjected(t, got, true)
	for _, c := range got.Spec.InitContainers {
		if c.Name == "istio-proxy" && (c.RestartPolicy == nil || *c.RestartPolicy != corev1.ContainerRestartPolicyAlways) {
			t.Errorf("native istio-proxy restartPolicy %v, want Always", c.RestartPolicy)
		}
	}
	if got := names(got.Spec.Containers); len(got) != 1 || got[0] != "app" {
		t.Errorf("containers %v, want only app", got)
	}
	if n := names(got.Spec.InitContainers); len(n) < 2 || n[0] != "istio-init" {
		t.Errorf("initContainers %v, want istio-init first (it must run before the proxy)", n)
	}
}

func TestUnknownFieldSurvives(t *testing.T) {
	// spec.hostnameOverride is a Kubernetes 1.34 field (feature gate
	// HostnameOverride, enabled on this API server) that the library's
	// k8s.io/api v0.33 does not know, and neither does this module's
	// client-go, so the pod is sent and read back as raw JSON. A webhook
	// that computed its patch from typed structs would remove the field.
	w := startWebhook(t, webhookConfig{})
	w.install(t, admissionregistrationv1.Fail)
	tests := []struct {
		name, reason string
		nsLabels     map[string]string
		injected     bool
	}{
		{"control", "proves the API server itself keeps the field",
			nil, false},
		{"injected", "the webhook's patch must leave the field alone",
			map[string]string{"istio-injection": "enabled"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns := namespace(t, tt.nsLabels)
			body := `{"apiVersion":"v1","kind":"Pod",
				"metadata":{"generateName":"unknown-","labels":{"app":"unknown"}},
				"spec":{"hostnameOverride":"custom-host",
					"containers":[{"name":"app","image":"registry.example/app:1.0"}]}}`
			created := rawJSON(t, http.MethodPost, "/api/v1/namespaces/"+ns+"/pods", body)
			var meta struct {
				Metadata struct{ Name string } `json:"metadata"`
			}
			if err := json.Unmarshal(created, &meta); err != nil {
				t.Fatal(err)
			}
			stored := rawJSON(t, http.MethodGet, "/api/v1/namespaces/"+ns+"/pods/"+meta.Metadata.Name, "")
			var raw struct {
				Spec struct {
					HostnameOverride *string `json:"hostnameOverride"`
				} `json:"spec"`
			}
			var pod corev1.Pod
			if err := json.Unmarshal(stored, &raw); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(stored, &pod); err != nil {
				t.Fatal(err)
			}
			if tt.injected {
				assertInjected(t, &pod, false)
			} else {
				assertNotInjected(t, &pod)
			}
			if raw.Spec.HostnameOverride == nil || *raw.Spec.HostnameOverride != "custom-host" {
				t.Errorf("spec.hostnameOverride = %v, want custom-host (%s)", raw.Spec.HostnameOverride, tt.reason)
			}
		})
	}
}

// rawJSON sends a JSON request to the API server and returns the body of a
// 2xx response.
func rawJSON(t testing.TB, method, path, body string) []byte {
	t.Helper()
	hc, err := the.cl.HTTPClient()
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(method, the.cl.Host+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+the.cl.Token)
	req.Header.Set("Accept", "application/json")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s: %s: %s", method, path, resp.Status, out)
	}
	return out
}

func TestDryRun(t *testing.T) {
	// A dry-run create is injected in the response but nothing is stored
	// (Istio's webhook declares sideEffects None, so the API server calls it).
	w := startWebhook(t, webhookConfig{})
	w.install(t, admissionregistrationv1.Fail)
	ns := namespace(t, map[string]string{"istio-injection": "enabled"})
	got, err := dryRunPod(context.Background(), ns)
	if err != nil {
		t.Fatal(err)
	}
	assertInjected(t, got, false)
	list, err := the.client.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 0 {
		t.Errorf("dry run stored %d pods, want 0", len(list.Items))
	}
}

func TestWebhookDown(t *testing.T) {
	// With nothing listening at the webhook's URL, failurePolicy decides:
	// Fail refuses the pod, Ignore admits it without a sidecar.
	needWebhook(t)
	w := downWebhook(t, "")
	name := w.install(t, admissionregistrationv1.Fail) // waits until creates are refused
	enabled := namespace(t, map[string]string{"istio-injection": "enabled"})
	other := namespace(t, nil)
	ctx := context.Background()

	_, err := the.client.CoreV1().Pods(enabled).Create(ctx, podFor("down"), metav1.CreateOptions{})
	if err == nil || !strings.Contains(err.Error(), "failed calling webhook") {
		t.Errorf("create with the webhook down and failurePolicy Fail: err = %v, want a refusal naming the webhook", err)
	}
	// A namespace the selectors do not match never calls the webhook.
	assertNotInjected(t, createPod(t, other, podFor("down")))

	api := the.client.AdmissionregistrationV1().MutatingWebhookConfigurations()
	cfg, err := api.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ignore := admissionregistrationv1.Ignore
	for i := range cfg.Webhooks {
		cfg.Webhooks[i].FailurePolicy = &ignore
	}
	if _, err := api.Update(ctx, cfg, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 30*time.Second, "failurePolicy Ignore in effect", func(ctx context.Context) (bool, error) {
		_, err := dryRunPod(ctx, enabled)
		return err == nil, err
	})
	assertNotInjected(t, createPod(t, enabled, podFor("down")))
}

func TestConcurrentCreates(t *testing.T) {
	// 200 pods created at once: every one is injected exactly once (no
	// double injection, no pod let through uninjected under load).
	w := startWebhook(t, webhookConfig{})
	w.install(t, admissionregistrationv1.Fail)
	ns := namespace(t, map[string]string{"istio-injection": "enabled"})
	const pods, workers = 200, 50
	lat := make([]time.Duration, pods)
	errs := make([]error, pods)
	var wg sync.WaitGroup
	sem := make(chan struct{}, workers)
	start := time.Now()
	for i := range pods {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			t0 := time.Now()
			pod := podFor("concurrent")
			pod.Name = fmt.Sprintf("concurrent-%03d", i)
			pod.GenerateName = ""
			_, errs[i] = the.client.CoreV1().Pods(ns).Create(context.Background(), pod, metav1.CreateOptions{})
			lat[i] = time.Since(t0)
		}()
	}
	wg.Wait()
	wall := time.Since(start)
	for i, err := range errs {
		if err != nil {
			t.Errorf("pod %d: %v", i, err)
		}
	}
	list, err := the.client.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != pods {
		t.Errorf("%d pods stored, want %d", len(list.Items), pods)
	}
	for i := range list.Items {
		assertInjected(t, &list.Items[i], false)
	}
	p50, p99 := percentiles(lat)
	t.Logf("%d concurrent creates (%d at a time) through the webhook: wall %s, p50 %s, p99 %s",
		pods, workers, wall.Round(time.Millisecond), p50, p99)
}

func TestDeploymentPods(t *testing.T) {
	// No controller-manager runs, so create what the Deployment and
	// ReplicaSet controllers would: a ReplicaSet named <deployment>-<hash>
	// owned by the Deployment, and pods owned by the ReplicaSet carrying
	// pod-template-hash. The injector derives the workload from them.
	w := startWebhook(t, webhookConfig{})
	w.install(t, admissionregistrationv1.Fail)
	ns := namespace(t, map[string]string{"istio-injection": "enabled"})
	ctx := context.Background()
	template := corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web", "version": "v1"}},
		Spec:       podFor("web").Spec,
	}
	replicas := int32(3)
	dep, err := the.client.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: template,
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if hasContainer(&corev1.Pod{Spec: dep.Spec.Template.Spec}, "istio-proxy") {
		t.Error("the Deployment's template was injected; the webhook must only see pods")
	}
	hash := podTemplateHash(t, template)
	rsTemplate := *template.DeepCopy()
	rsTemplate.Labels["pod-template-hash"] = hash
	yes := true
	rs, err := the.client.AppsV1().ReplicaSets(ns).Create(ctx, &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{
			Name:   "web-" + hash,
			Labels: rsTemplate.Labels,
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: "apps/v1", Kind: "Deployment", Name: dep.Name, UID: dep.UID,
				Controller: &yes, BlockOwnerDeletion: &yes,
			}},
		},
		Spec: appsv1.ReplicaSetSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web", "pod-template-hash": hash}},
			Template: rsTemplate,
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for range replicas {
		got := createPod(t, ns, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{
				GenerateName: rs.Name + "-",
				Labels:       rsTemplate.Labels,
				OwnerReferences: []metav1.OwnerReference{{
					APIVersion: "apps/v1", Kind: "ReplicaSet", Name: rs.Name, UID: rs.UID,
					Controller: &yes, BlockOwnerDeletion: &yes,
				}},
			},
			Spec: rsTemplate.Spec,
		})
		assertInjected(t, got, false)
		env := map[string]string{}
		if proxy := container(got, "istio-proxy"); proxy != nil {
			for _, e := range proxy.Env {
				env[e.Name] = e.Value
			}
		}
		if env["ISTIO_META_WORKLOAD_NAME"] != "web" {
			t.Errorf("ISTIO_META_WORKLOAD_NAME = %q, want the Deployment's name web", env["ISTIO_META_WORKLOAD_NAME"])
		}
		wantOwner := "kubernetes://apis/apps/v1/namespaces/" + ns + "/deployments/web"
		if env["ISTIO_META_OWNER"] != wantOwner {
			t.Errorf("ISTIO_META_OWNER = %q, want %q", env["ISTIO_META_OWNER"], wantOwner)
		}
		for k, want := range map[string]string{
			"service.istio.io/canonical-name": "web", "service.istio.io/canonical-revision": "v1", "pod-template-hash": hash,
		} {
			if got.Labels[k] != want {
				t.Errorf("label %s = %q, want %q", k, got.Labels[k], want)
			}
		}
		if len(got.OwnerReferences) != 1 || got.OwnerReferences[0].UID != rs.UID {
			t.Errorf("owner references %+v, want the ReplicaSet's only", got.OwnerReferences)
		}
	}
}

// podTemplateHash stands in for the ReplicaSet controller's hash of a pod
// template: a short, stable, DNS-safe string derived from the template. It
// is not bit-identical to controller.ComputeHash, which nothing here needs.
func podTemplateHash(t testing.TB, tmpl corev1.PodTemplateSpec) string {
	t.Helper()
	b, err := json.Marshal(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	h := fnv.New32a()
	h.Write(b)
	return rand.SafeEncodeString(fmt.Sprint(h.Sum32()))
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// percentiles returns the 50th and 99th percentiles (nearest rank).
func percentiles(d []time.Duration) (p50, p99 time.Duration) {
	if len(d) == 0 {
		return 0, 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	rank := func(p float64) time.Duration {
		i := int(p*float64(len(s))+0.999999) - 1
		return s[max(0, min(i, len(s)-1))]
	}
	return rank(0.50), rank(0.99)
}
