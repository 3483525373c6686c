package template

import (
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/kinject/kinject/template/meshconfig"
)

// TestOtelResourceAttributes covers every step of Istio's rule for
// OTEL_RESOURCE_ATTRIBUTES, one fallback per case.
func TestOtelResourceAttributes(t *testing.T) {
	on := map[string]any{"extensionProviders": []any{
		map[string]any{"name": "zipkin", "zipkin": map[string]any{"service": "z"}},
		map[string]any{"name": "otel", "opentelemetry": map[string]any{"service": "o", "serviceAttributeEnrichment": "OTEL_SEMANTIC_CONVENTIONS"}},
	}}
	plain := map[string]any{"extensionProviders": []any{map[string]any{"name": "otel", "opentelemetry": map[string]any{"service": "o"}}}}
	one := func(image string) []corev1.Container { return []corev1.Container{{Name: "app", Image: image}} }
	two := []corev1.Container{{Name: "app", Image: "app:1.0"}, {Name: "sidecar", Image: "side:2.0"}}
	const (
		ns  = "resource.opentelemetry.io/service.namespace"
		ver = "resource.opentelemetry.io/service.version"
		id  = "resource.opentelemetry.io/service.instance.id"
	)
	cases := []struct {
		name, reason string
		mesh         any
		annotations  map[string]string
		labels       map[string]string
		namespace    string
		containers   []corev1.Container
		want         string
	}{
		{"off", "no provider asks for the enrichment", plain, nil, nil, "shop", one("app:1.0"), ""},
		{"typed mesh off", "Istio's defaults ask for nothing", meshconfig.DefaultMeshConfig(), nil, nil, "shop", one("app:1.0"), ""},
		{"corpus hello-otel-semconv", "the version label, the Kubernetes namespace, the first container",
			on, nil, map[string]string{"app.kubernetes.io/version": "v1.2.3"}, "default", []corev1.Container{{Name: "hello", Image: "fake.docker.io/google-samples/hello-go-gke:1.0"}},
			"service.namespace=default,service.version=v1.2.3,service.instance.id=default.$(POD_NAME).hello"},
		{"annotations", "all three annotations win over everything", on,
			map[string]string{ns: "payments", ver: "2024.1", id: "pay-1"}, map[string]string{"app.kubernetes.io/version": "v9"}, "shop", one("app:1.0"),
			"service.namespace=payments,service.version=2024.1,service.instance.id=pay-1"},
		{"empty annotations", "an empty annotation counts as absent", on,
			map[string]string{ns: "", ver: "", id: ""}, nil, "shop", one("app:1.0"),
			"service.namespace=shop,service.version=1.0,service.instance.id=shop.$(POD_NAME).app"},
		{"namespace annotation", "the annotation's namespace is the service's, never the instance id's", on,
			map[string]string{ns: "payments"}, nil, "shop", one("app:1.0"),
			"service.namespace=payments,service.version=1.0,service.instance.id=shop.$(POD_NAME).app"},
		{"label", "the version label comes before the image", on, nil, map[string]string{"app.kubernetes.io/version": "v2"}, "shop", one("app:1.0"),
			"service.namespace=shop,service.version=v2,service.instance.id=shop.$(POD_NAME).app"},
		{"image tag", "one container: its image's tag", on, nil, nil, "shop", one("registry.example:5000/team/app:1.4.2"),
			"service.namespace=shop,service.version=1.4.2,service.instance.id=shop.$(POD_NAME).app"},
		{"image digest", "one container: its digest when it has no tag", on, nil, nil, "shop", one("registry.example:5000/app@sha256:abc"),
			"service.namespace=shop,service.version=sha256:abc,service.instance.id=shop.$(POD_NAME).app"},
		{"image tag and digest", "one container: TAG@DIGEST", on, nil, nil, "shop", one("app:1.0@sha256:abc"),
			"service.namespace=shop,service.version=1.0@sha256:abc,service.instance.id=shop.$(POD_NAME).app"},
		{"image without version", "no tag, no digest (a registry port is not a tag): no version", on, nil, nil, "shop", one("registry.example:5000/app"),
			"service.namespace=shop,service.instance.id=shop.$(POD_NAME).app"},
		{"two containers", "with more than one container the image says nothing", on, nil, nil, "shop", two,
			"service.namespace=shop,service.instance.id=shop.$(POD_NAME).app"},
		{"first container as given", "the first container's name, whatever it is (here the user's own istio-proxy)", on, nil, nil, "shop",
			[]corev1.Container{{Name: "istio-proxy", Image: "proxy:1"}, {Name: "app", Image: "app:1.0"}},
			"service.namespace=shop,service.instance.id=shop.$(POD_NAME).istio-proxy"},
		{"no containers", "no instance id without a container", on, nil, nil, "shop", nil, "service.namespace=shop"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := otelResourceAttributes(c.mesh, c.annotations, c.labels, c.namespace, c.containers); got != c.want {
				t.Errorf("got  %q\nwant %q (%s)", got, c.want, c.reason)
			}
		})
	}
}

func TestImageVersion(t *testing.T) {
	cases := []struct{ image, want, reason string }{
		{"nginx", "", "no tag, no digest"},
		{"nginx:1.27", "1.27", "a tag"},
		{"localhost:5000/nginx", "", "a registry port is not a tag"},
		{"localhost:5000/nginx:1.27", "1.27", "the tag after the last /"},
		{"nginx@sha256:0123", "sha256:0123", "the digest is what follows @"},
		{"localhost:5000/nginx@sha256:0123", "sha256:0123", "a port before a digest"},
		{"nginx:1.27@sha256:0123", "1.27@sha256:0123", "both: TAG@DIGEST"},
		{"", "", "no image"},
	}
	for _, c := range cases {
		if got := imageVersion(c.image); got != c.want {
			t.Errorf("imageVersion(%q) = %q, want %q (%s)", c.image, got, c.want, c.reason)
		}
	}
}
