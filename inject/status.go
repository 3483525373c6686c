package inject

import (
	"context"
	"encoding/json"
	"fmt"

	"k8s.io/apimachinery/pkg/api/equality"
)

// Staleness says whether a running pod's sidecar is out of date.
type Staleness struct {
	// Stale reports that the pod should be restarted to get the current
	// sidecar.
	Stale bool
	// Reason says why, in one sentence.
	Reason string
}

// CheckStale tells, without side effects, whether the sidecar of an
// injected pod is stale: injected by another revision than this
// Injector's, or different from what this Injector would inject now into
// the pod's original form (the question behind "restart the pods to update
// the sidecars"). A pod without the sidecar.istio.io/status annotation is
// not stale (it has no sidecar); req.Pod is the running pod.
func (i *Injector) CheckStale(ctx context.Context, req PodRequest) (Staleness, error) {
	if req.Pod == nil {
		return Staleness{}, fmt.Errorf("inject: CheckStale: nil pod")
	}
	v, ok := req.Pod.Annotations[annStatus]
	if !ok {
		return Staleness{Reason: "the pod has no sidecar (no " + annStatus + " annotation)"}, nil
	}
	var st sidecarStatus
	if err := json.Unmarshal([]byte(v), &st); err != nil {
		return Staleness{}, fmt.Errorf("%s: %w %s: %w", podLabel(req), ErrInvalidAnnotation, annStatus, err)
	}
	want := i.cfg.Revision
	if want == "" {
		want = "default"
	}
	if st.Revision != want {
		return Staleness{Stale: true, Reason: fmt.Sprintf("injected by revision %q, the injector is revision %q", st.Revision, want)}, nil
	}
	res, err := i.InjectPod(ctx, req)
	if err != nil {
		return Staleness{}, err
	}
	if !res.Decision.Inject {
		return Staleness{Stale: true, Reason: "the current policy would not inject this pod: " + res.Decision.Reason}, nil
	}
	if !equality.Semantic.DeepEqual(res.Pod, req.Pod) {
		return Staleness{Stale: true, Reason: "the current configuration injects a different sidecar"}, nil
	}
	return Staleness{Reason: "the sidecar matches the current configuration"}, nil
}
