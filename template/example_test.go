package template_test

import (
	"errors"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kinject/kinject/template"
)

// A sidecar template, a pod that customises the sidecar, and the result.
func Example() {
	set, err := template.Parse(map[string]string{
		"sidecar": `
spec:
  containers:
  - name: proxy
    image: {{ .ProxyImage | quote }}
    args: [{{ annotation .ObjectMeta "example.com/logLevel" "info" | printf "--log=%s" | quote }}]
    resources:
      limits: {cpu: "1"}
      requests: {cpu: 100m}
`,
	}, template.Options{})
	if err != nil {
		panic(err)
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Annotations: map[string]string{"example.com/logLevel": "debug"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{
			{Name: "web", Image: "web:1"},
			// The user's own proxy entry: keep the template's image, raise the CPU limit.
			{Name: "proxy", Image: template.AutoImage, Resources: corev1.ResourceRequirements{
				Limits: corev1.ResourceList{corev1.ResourceCPU: resourceMust("2")},
			}},
		}},
	}
	data := &template.Data{ObjectMeta: pod.ObjectMeta, Spec: pod.Spec, ProxyImage: "proxy:1.0"}
	res, err := set.Apply(pod, []string{"sidecar"}, data, template.ApplyOptions{})
	if err != nil {
		panic(err)
	}
	for _, c := range res.Pod.Spec.Containers {
		fmt.Println(c.Name, c.Image, c.Args, c.Resources.Limits.Cpu(), c.Resources.Requests.Cpu())
	}
	fmt.Println("overrides recorded for:", res.Overrides.Containers[0].Name)
	// Output:
	// web web:1 [] 0 0
	// proxy proxy:1.0 [--log=debug] 2 100m
	// overrides recorded for: proxy
}

// Annotations are validated before rendering; each error names its key.
func ExampleValidateAnnotations() {
	err := template.ValidateAnnotations(map[string]string{
		"sidecar.istio.io/interceptionMode":          "tproxy",
		"traffic.sidecar.istio.io/excludeInterfaces": "eth0\", evil: true",
	})
	fmt.Println(errors.Is(err, template.ErrInvalidAnnotation))
	fmt.Println(err)
	// Output:
	// true
	// invalid annotation sidecar.istio.io/interceptionMode="tproxy": interception mode must be REDIRECT, TPROXY or NONE
	// invalid annotation traffic.sidecar.istio.io/excludeInterfaces="eth0\", evil: true": interface name "eth0\"" holds '"'
}

// A request above its limit is a *ResourceError; an unbounded limit a warning.
func ExampleValidateResources() {
	pod := &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{
		Name: "istio-proxy",
		Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resourceMust("2"), corev1.ResourceMemory: resourceMust("1Gi")},
			Limits:   corev1.ResourceList{corev1.ResourceCPU: resourceMust("1")},
		},
	}}}}
	warnings, err := template.ValidateResources(pod)
	var re *template.ResourceError
	fmt.Println(errors.As(err, &re), re.Resource, re.Request, re.Limit)
	fmt.Println(err)
	fmt.Println(strings.Join(warnings, "\n"))
	// Output:
	// true cpu 2 1
	// container "istio-proxy": cpu request 2 exceeds limit 1
	// container "istio-proxy": memory request 1Gi has no limit, so its memory limit is unbounded; set the limit explicitly
}

// A typo in a template is an error naming the template, field and line.
func ExampleSet_Apply_unknownField() {
	set, _ := template.Parse(map[string]string{"custom": "spec:\n  containers:\n  - name: x\n    imagePullPolicey: Always\n"}, template.Options{})
	_, err := set.Apply(&corev1.Pod{}, []string{"custom"}, &template.Data{}, template.ApplyOptions{})
	fmt.Println(errors.Is(err, template.ErrBadOutput))
	fmt.Println(err)
	// Output:
	// true
	// template "custom": template output is not a valid pod fragment: spec.containers[0].imagePullPolicey: unknown field (rendered line 4, template line 4)
}

func resourceMust(s string) resource.Quantity { return resource.MustParse(s) }

// A name is checked as Kubernetes checks it before a template sees it: a
// workload name holding a line break would add fields where a template
// writes it unquoted.
func ExampleValidateNames() {
	d := &template.Data{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web"}}},
	}
	d.DeploymentMeta.Name = "web\n  - name: evil"
	err := template.ValidateNames(d)
	fmt.Println(errors.Is(err, template.ErrInvalidName))
	field, rest, _ := strings.Cut(err.Error(), ": ")
	fmt.Println(field)
	fmt.Println(rest[:strings.Index(rest, `": `)+1])
	// Output:
	// true
	// DeploymentMeta.Name
	// invalid name "web\n  - name: evil"
}

// Istio 1.26 writes any excludeInterfaces value into the init container's
// arguments; the newest release checks the names. A value that could leave
// its quotes is refused either way.
func ExampleValidateAnnotationsFor() {
	v126 := template.AnnotationChecks{Release: "Istio 1.26.8", LaxInterfaces: true}
	for _, v := range []string{"eth0,bad iface!", "eth0\"\n  stdin: true"} {
		ann := map[string]string{"traffic.sidecar.istio.io/excludeInterfaces": v}
		fmt.Println("1.26:", template.ValidateAnnotationsFor(ann, v126))
		fmt.Println("newest:", template.ValidateAnnotations(ann))
	}
	// Output:
	// 1.26: <nil>
	// newest: invalid annotation traffic.sidecar.istio.io/excludeInterfaces="eth0,bad iface!": interface name "bad iface!" holds ' '
	// 1.26: invalid annotation traffic.sidecar.istio.io/excludeInterfaces="eth0\"\n  stdin: true": value holds a control character or line break, which could change other fields of the pod (Istio 1.26.8 would accept it; kinject refuses it)
	// newest: invalid annotation traffic.sidecar.istio.io/excludeInterfaces="eth0\"\n  stdin: true": interface name "eth0\"\n  stdin: true" is longer than 15 characters
}
