package inject_test

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kinject/kinject/inject"
	"github.com/kinject/kinject/policy"
)

// Config.Release picks the Istio release whose rules apply around the
// templates. Istio 1.24 refuses sidecar.istio.io/enableCoreDump: "yes";
// from 1.25 it is injected as it is.
func ExampleConfig_release() {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop",
			Annotations: map[string]string{"sidecar.istio.io/enableCoreDump": "yes"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "app"}}},
	}
	for _, v := range []string{"1.24.6", "1.25.0", "newest"} {
		cfg := inject.DefaultConfig()
		cfg.Release, _ = policy.ParseRelease(v)
		inj, err := inject.New(cfg)
		if err != nil {
			panic(err)
		}
		res, err := inj.InjectPod(context.Background(), inject.PodRequest{Pod: pod})
		if err != nil {
			fmt.Println(v+":", err)
			continue
		}
		fmt.Println(v+":", "injected", len(res.Pod.Spec.Containers), "containers")
	}
	// Output:
	// 1.24.6: pod "shop/web": invalid annotation sidecar.istio.io/enableCoreDump="yes": want true or false
	// 1.25.0: injected 2 containers
	// newest: injected 2 containers
}

// ReleaseFromValues reads the release a dump's values name; LoadConfig
// fills Config.Release with it. A tag that names no release is an error a
// program can print as a note, and the newest behaviour applies.
func ExampleReleaseFromValues() {
	for _, values := range []map[string]any{
		{"global": map[string]any{"tag": "1.23.3-asm.2"}},
		{"global": map[string]any{"tag": "latest"}},
		{"global": map[string]any{"tag": "master-latest-daily"}},
	} {
		r, err := inject.ReleaseFromValues(values)
		fmt.Println(r, err)
	}
	// Output:
	// 1.23.3 <nil>
	// newest <nil>
	// newest values.global.tag: not an Istio release: "master-latest-daily" (want MAJOR.MINOR[.PATCH], for example 1.23.6)
}
