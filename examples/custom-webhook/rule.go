package main

import (
	"context"
	"fmt"
	"net/http"

	corev1 "k8s.io/api/core/v1"

	"github.com/kinject/kinject/inject"
)

// meshLabel marks the pods that got a sidecar.
const meshLabel = "platform.example/mesh"

// platformRule is the team's rule on top of Istio's injection. It reads the
// pod as its author wrote it (a.Original: the sidecar Istio adds has its own
// requests and must not hide a container without them) and changes the
// injected pod (a.Pod).
func platformRule(_ context.Context, a *inject.PodAdmission) error {
	lists := []struct {
		field      string
		containers []corev1.Container
	}{{"initContainers", a.Original.Spec.InitContainers}, {"containers", a.Original.Spec.Containers}}
	for _, list := range lists {
		for k, c := range list.containers {
			for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
				if _, ok := c.Resources.Requests[r]; !ok {
					return &inject.Denial{
						Code: http.StatusForbidden,
						Message: fmt.Sprintf("platform policy: container %q must request %s (spec.%s[%d].resources.requests.%s)",
							c.Name, r, list.field, k, r),
					}
				}
			}
		}
	}
	if a.Decision.Inject {
		if a.Pod.Labels == nil {
			a.Pod.Labels = map[string]string{}
		}
		a.Pod.Labels[meshLabel] = "istio"
	}
	return nil
}
