package inject_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kinject/kinject/inject"
)

// The whole library in a few lines: the embedded default configuration, one
// pod, the injected result.
func Example() {
	inj, err := inject.New(inject.DefaultConfig())
	if err != nil {
		log.Fatal(err)
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop", Labels: map[string]string{"app": "web"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx:1.27"}}},
	}
	res, err := inj.InjectPod(context.Background(), inject.PodRequest{Pod: pod, TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("injected:", res.Decision.Inject)
	for _, c := range res.Pod.Spec.InitContainers {
		fmt.Println("init container:", c.Name)
	}
	for _, c := range res.Pod.Spec.Containers {
		fmt.Println("container:", c.Name, c.Image)
	}
	// Output:
	// injected: true
	// init container: istio-init
	// container: web nginx:1.27
	// container: istio-proxy docker.io/istio/proxyv2:1.27.1
}

// InjectManifests is istioctl kube-inject as a function: a YAML stream in,
// the injected stream out, every other document untouched.
func ExampleInjector_InjectManifests() {
	inj, err := inject.New(inject.DefaultConfig())
	if err != nil {
		log.Fatal(err)
	}
	manifest := `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {ports: [{port: 80}]}
`
	// OnDocument sees each document as soon as it is written.
	opts := inject.ManifestOptions{OnDocument: func(d inject.DocumentResult) {
		fmt.Printf("document %d: %s %s, %d pod template(s) injected\n", d.Index, d.Kind, d.Name, d.Injected)
	}}
	res, err := inj.InjectManifests(context.Background(), []byte(manifest), opts)
	if err != nil {
		log.Fatal(err)
	}
	// The Service is copied byte for byte, then the separator.
	out := string(res.Output)
	fmt.Print(out[strings.Index(out, "apiVersion: v1\nkind: Service"):])
	// Output:
	// document 0: Deployment web, 1 pod template(s) injected
	// document 1: Service web, 0 pod template(s) injected
	// apiVersion: v1
	// kind: Service
	// metadata: {name: web}
	// spec: {ports: [{port: 80}]}
	// ---
}

// With KeepGoing a bad document does not stop the stream: it is copied
// unchanged, and the error names it.
func ExampleInjector_InjectManifests_keepGoing() {
	inj, err := inject.New(inject.DefaultConfig())
	if err != nil {
		log.Fatal(err)
	}
	stream := `apiVersion: v1
kind: Pod
metadata: {name: good}
spec: {containers: [{name: app, image: app}]}
---
apiVersion: v1
kind: Pod
metadata: {name: bad}
spec: {containers: "not a list"}
`
	res, err := inj.InjectManifests(context.Background(), []byte(stream), inject.ManifestOptions{KeepGoing: true})
	fmt.Println("documents:", res.Documents, "bad:", res.Failed, "pod templates injected:", res.Injected)
	fmt.Println(err)
	// Output:
	// documents: 2 bad: 1 pod templates injected: 1
	// document 1 (pod "bad"): decoding Pod: spec.containers: want a list, got a string
}

// Review is a mutating admission webhook's whole job: an AdmissionReview
// in, the response out. Serve it from any HTTP server (see
// examples/webhook).
func ExampleInjector_Review() {
	inj, err := inject.New(inject.DefaultConfig())
	if err != nil {
		log.Fatal(err)
	}
	body := []byte(`{
	  "apiVersion": "admission.k8s.io/v1",
	  "kind": "AdmissionReview",
	  "request": {
	    "uid": "3f9d1c2e",
	    "kind": {"group": "", "version": "v1", "kind": "Pod"},
	    "resource": {"group": "", "version": "v1", "resource": "pods"},
	    "namespace": "shop",
	    "operation": "CREATE",
	    "object": {"metadata": {"generateName": "web-"}, "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}
	  }
	}`)
	out, err := inj.Review(context.Background(), body)
	if err != nil {
		log.Fatal(err) // not an AdmissionReview: answer HTTP 400
	}
	var review struct {
		Response struct {
			UID       string `json:"uid"`
			Allowed   bool   `json:"allowed"`
			PatchType string `json:"patchType"`
			Patch     []byte `json:"patch"`
		} `json:"response"`
	}
	if err := json.Unmarshal(out, &review); err != nil {
		log.Fatal(err)
	}
	r := review.Response
	fmt.Println(r.UID, r.Allowed, r.PatchType, len(r.Patch) > 0)
	// Output:
	// 3f9d1c2e true JSONPatch true
}

// DefaultConfig is a plain value: change it before New.
func ExampleDefaultConfig() {
	cfg := inject.DefaultConfig()
	cfg.Revision = "canary"
	cfg.NativeSidecars = true
	inj, err := inject.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "job"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "job", Image: "busybox"}}},
	}
	res, err := inj.InjectPod(context.Background(), inject.PodRequest{Pod: pod, TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Pod.Annotations["istio.io/rev"])
	for _, c := range res.Pod.Spec.InitContainers {
		native := c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
		fmt.Println("init container:", c.Name, "restartable:", native)
	}
	// Output:
	// canary
	// init container: istio-init restartable: false
	// init container: istio-proxy restartable: true
}

// A webhook server keeps one Reviewer: replicas of a workload arrive as the
// same pod, and the Reviewer answers them from memory.
func ExampleReviewer() {
	inj, err := inject.New(inject.DefaultConfig())
	if err != nil {
		log.Fatal(err)
	}
	rv := inject.NewReviewer(inj, inject.ReviewerOptions{CacheBytes: 64 << 20})
	review := func(uid string) []byte {
		return []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"` + uid + `",` +
			`"kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},` +
			`"namespace":"shop","operation":"CREATE",` +
			`"object":{"metadata":{"generateName":"web-7c9f-"},"spec":{"containers":[{"name":"web","image":"nginx:1.27"}]}}}}`)
	}
	first, err := rv.Review(context.Background(), review("replica-1"))
	if err != nil {
		log.Fatal(err)
	}
	second, err := rv.Review(context.Background(), review("replica-2"))
	if err != nil {
		log.Fatal(err)
	}
	// Same answer, each for its own request.
	fmt.Println(strings.Replace(string(first), "replica-1", "replica-2", 1) == string(second))
	// Output:
	// true
}
