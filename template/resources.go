package template

import (
	"errors"
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// ErrNegativeResource is returned (wrapped, naming the container and the
// resource) for a negative request or limit.
var ErrNegativeResource = errors.New("negative quantity")

// ResourceError reports a container whose request for a resource exceeds
// its limit; Kubernetes would reject the pod.
type ResourceError struct {
	Container string // container name
	Resource  string // resource name, e.g. "cpu"
	Request   string // the request as written, e.g. "2"
	Limit     string // the limit as written, e.g. "1"
	// RequestFrom and LimitFrom name what set the request and the limit
	// when the caller knows (an injector fills them for the annotations
	// its templates read), e.g. `sidecar.istio.io/proxyCPU: "2"`; empty
	// otherwise. ValidateResources leaves them empty.
	RequestFrom, LimitFrom string
}

// Error reads like: container "istio-proxy": cpu request 2 exceeds limit
// 1, followed, when RequestFrom or LimitFrom is set, by what the user
// wrote: (sidecar.istio.io/proxyCPU: "2" exceeds
// sidecar.istio.io/proxyCPULimit: "1").
func (e *ResourceError) Error() string {
	msg := fmt.Sprintf("container %q: %s request %s exceeds limit %s", e.Container, e.Resource, e.Request, e.Limit)
	if e.RequestFrom == "" && e.LimitFrom == "" {
		return msg
	}
	req, lim := e.RequestFrom, e.LimitFrom
	if req == "" {
		req = "request " + e.Request
	}
	if lim == "" {
		lim = "limit " + e.Limit
	}
	return msg + " (" + req + " exceeds " + lim + ")"
}

// ValidateResources checks the resources of every container and init
// container of pod. A request above its limit is a *ResourceError and a
// negative quantity wraps ErrNegativeResource; all of them are returned
// together (errors.Join), in container order then resource name order.
// Warnings, which do not stop injection, name a request whose limit is
// unbounded ("if you set proxyCPU, set proxyCPULimit explicitly") and a
// limit without a request (Kubernetes then requests the limit).
func ValidateResources(pod *corev1.Pod) (warnings []string, err error) {
	return ValidateResourcesFor(pod, nil)
}

// ValidateResourcesFor is ValidateResources with the warnings limited to
// the containers warnFor accepts (all of them when warnFor is nil); errors
// are still reported for every container. An injector passes the
// containers it added or changed, so that an application container the
// user left without limits does not draw a warning on every pod.
func ValidateResourcesFor(pod *corev1.Pod, warnFor func(container string) bool) (warnings []string, err error) {
	if pod == nil {
		return nil, nil
	}
	var errs []error
	check := func(c *corev1.Container) {
		warn := warnFor == nil || warnFor(c.Name)
		names := map[corev1.ResourceName]bool{}
		for n := range c.Resources.Requests {
			names[n] = true
		}
		for n := range c.Resources.Limits {
			names[n] = true
		}
		sorted := make([]string, 0, len(names))
		for n := range names {
			sorted = append(sorted, string(n))
		}
		sort.Strings(sorted)
		for _, n := range sorted {
			req, hasReq := c.Resources.Requests[corev1.ResourceName(n)]
			lim, hasLim := c.Resources.Limits[corev1.ResourceName(n)]
			if hasReq && req.Sign() < 0 {
				errs = append(errs, fmt.Errorf("container %q: %s request %s: %w", c.Name, n, req.String(), ErrNegativeResource))
			}
			if hasLim && lim.Sign() < 0 {
				errs = append(errs, fmt.Errorf("container %q: %s limit %s: %w", c.Name, n, lim.String(), ErrNegativeResource))
			}
			switch {
			case hasReq && hasLim:
				if req.Cmp(lim) > 0 {
					errs = append(errs, &ResourceError{Container: c.Name, Resource: n, Request: req.String(), Limit: lim.String()})
				}
			case hasReq && warn:
				warnings = append(warnings, fmt.Sprintf("container %q: %s request %s has no limit, so its %s limit is unbounded; set the limit explicitly", c.Name, n, req.String(), n))
			case hasLim && warn:
				warnings = append(warnings, fmt.Sprintf("container %q: %s limit %s has no request; Kubernetes will request %s", c.Name, n, lim.String(), lim.String()))
			}
		}
	}
	for i := range pod.Spec.InitContainers {
		check(&pod.Spec.InitContainers[i])
	}
	for i := range pod.Spec.Containers {
		check(&pod.Spec.Containers[i])
	}
	return warnings, errors.Join(errs...)
}

// quantityOK reports whether s parses as a Kubernetes quantity.
func quantityOK(s string) error {
	_, err := resource.ParseQuantity(s)
	return err
}
