package inject

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kinject/kinject/template"
)

// BenchmarkInjectChecks measures the checks InjectPod adds around
// rendering for every pod it has not seen: annotation and label validation
// before, and the choice of the containers that get resource warnings
// after.
func BenchmarkInjectChecks(b *testing.B) {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: "web-6d8f7b9c5-x2x9k", Namespace: "shop",
			Labels: map[string]string{
				"app": "web", "version": "v1", "pod-template-hash": "6d8f7b9c5",
				"service.istio.io/canonical-name": "web", "security.istio.io/tlsMode": "istio",
			},
			Annotations: map[string]string{
				"sidecar.istio.io/proxyCPU":                    "200m",
				"traffic.sidecar.istio.io/excludeInboundPorts": "9090",
				"kubectl.kubernetes.io/default-container":      "web",
				"prometheus.io/scrape":                         "true",
			},
		},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "web"}}},
	}
	res, err := newTestInjector(b, nil).InjectPod(context.Background(), PodRequest{Pod: pod})
	if err != nil {
		b.Fatal(err)
	}
	injected := &corev1.Pod{Spec: corev1.PodSpec{
		InitContainers: []corev1.Container{{Name: "istio-init"}},
		Containers:     []corev1.Container{{Name: "istio-proxy"}},
	}}
	b.Run("annotations+labels", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if err := template.ValidateAnnotations(pod.Annotations); err != nil {
				b.Fatal(err)
			}
			if err := template.ValidateLabels(pod.Labels); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("warning-scope", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := template.ValidateResourcesFor(res.Pod, touchedContainers(pod, injected, res.Pod)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("all-containers", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := template.ValidateResources(res.Pod); err != nil {
				b.Fatal(err)
			}
		}
	})
}
