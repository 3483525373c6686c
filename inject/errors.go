package inject

import (
	"errors"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/kinject/kinject/template"
)

// prefixedError is err with a location (a pod, a document, a List item)
// in front of every line of its message: a joined error holds one finding
// per line, and each must say where it is.
type prefixedError struct {
	prefix string
	err    error
}

func prefixError(prefix string, err error) error { return &prefixedError{prefix, err} }

func (e *prefixedError) Error() string { return prefixLines(e.prefix, e.err.Error()) }

func (e *prefixedError) Unwrap() error { return e.err }

// prefixLines writes "prefix: " before every line of msg.
func prefixLines(prefix, msg string) string {
	if !strings.Contains(msg, "\n") {
		return prefix + ": " + msg
	}
	lines := strings.Split(msg, "\n")
	for k, l := range lines {
		lines[k] = prefix + ": " + l
	}
	return strings.Join(lines, "\n")
}

// resourceAnnotations returns the annotations Istio's sidecar template turns
// into the proxy's request and limit of a resource.
func resourceAnnotations(resource string) (request, limit string) {
	switch resource {
	case "cpu":
		return "sidecar.istio.io/proxyCPU", "sidecar.istio.io/proxyCPULimit"
	case "memory":
		return "sidecar.istio.io/proxyMemory", "sidecar.istio.io/proxyMemoryLimit"
	}
	return "", ""
}

// attributeResources fills RequestFrom and LimitFrom of every
// *template.ResourceError in err that is about a container the templates
// added (injected holds what they rendered) with the pod's resource
// annotation that gave that quantity, so that the user reads what they
// wrote (`sidecar.istio.io/proxyCPU: "2"`) and not only the container it
// landed in. A quantity that no annotation equals (it came from the values
// or the pod's own istio-proxy container) is left unnamed.
func attributeResources(err error, annotations map[string]string, injected *corev1.Pod) {
	if err == nil || len(annotations) == 0 {
		return
	}
	for _, e := range leafErrors(err) {
		var re *template.ResourceError
		if !errors.As(e, &re) || findContainer(&injected.Spec, re.Container) == nil {
			continue
		}
		reqKey, limKey := resourceAnnotations(re.Resource)
		re.RequestFrom = annotationWithQuantity(annotations, reqKey, re.Request)
		re.LimitFrom = annotationWithQuantity(annotations, limKey, re.Limit)
	}
}

// annotationWithQuantity returns `key: "value"` when the annotation key is
// set to a quantity equal to q, else "".
func annotationWithQuantity(annotations map[string]string, key, q string) string {
	v, ok := annotations[key]
	if !ok || key == "" {
		return ""
	}
	a, err1 := resource.ParseQuantity(v)
	b, err2 := resource.ParseQuantity(q)
	if err1 != nil || err2 != nil || a.Cmp(b) != 0 {
		return ""
	}
	return fmt.Sprintf("%s: %q", key, v)
}

// leafErrors flattens joined errors.
func leafErrors(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, leafErrors(e)...)
		}
		return out
	}
	return []error{err}
}
