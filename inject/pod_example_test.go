package inject_test

import (
	"context"
	"fmt"
	"log"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kinject/kinject/inject"
)

// LoadConfig reads the three dumps of a running Istio (any may be nil); the
// settings Istio takes from its environment are plain fields.
func ExampleLoadConfig() {
	injectConfig := []byte(`
policy: enabled
neverInjectSelector:
- matchLabels: {batch: "true"}
templates:
  sidecar: |
    spec:
      containers:
      - name: istio-proxy
        image: {{ .ProxyImage }}
`)
	values := []byte(`{"revision": "canary", "global": {"hub": "example.com/istio", "tag": "1.27.1"}}`)
	mesh := []byte("defaultConfig:\n  holdApplicationUntilProxyStarts: true\n")
	cfg, err := inject.LoadConfig(injectConfig, values, mesh)
	if err != nil {
		log.Fatal(err)
	}
	cfg.NativeSidecars = false // Istio's ENABLE_NATIVE_SIDECARS
	fmt.Println("revision:", cfg.Revision)
	fmt.Println("hold:", cfg.Mesh.DefaultConfig.HoldApplicationUntilProxyStarts.GetValue())
	fmt.Println("status port (Istio default):", cfg.Mesh.DefaultConfig.StatusPort)

	_, err = inject.LoadConfig([]byte("polcy: enabled\n"), nil, nil)
	fmt.Println(err)
	// Output:
	// revision: canary
	// hold: true
	// status port (Istio default): 15020
	// invalid injector configuration: inject config: unknown field "polcy"
}

// Uninject returns an injected pod to what its author wrote; CheckStale
// tells whether a running pod's sidecar is out of date.
func ExampleUninject() {
	inj, err := inject.New(inject.DefaultConfig())
	if err != nil {
		log.Fatal(err)
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx:1.27"}}},
	}
	res, err := inj.InjectPod(context.Background(), inject.PodRequest{Pod: pod})
	if err != nil {
		log.Fatal(err)
	}
	st, err := inj.CheckStale(context.Background(), inject.PodRequest{Pod: res.Pod})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("stale:", st.Stale, "-", st.Reason)

	back, err := inject.Uninject(res.Pod)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("containers:", len(back.Spec.Containers), back.Spec.Containers[0].Name)
	fmt.Println("init containers:", len(back.Spec.InitContainers), "annotations:", len(back.Annotations))
	// Output:
	// stale: false - the sidecar is what revision "default" injects now
	// containers: 1 web
	// init containers: 0 annotations: 0
}
