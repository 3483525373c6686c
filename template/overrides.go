package template

import (
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"
)

// Annotation keys Apply reads for the overrides.
const (
	// AnnotationOverrides holds the containers' overrides recorded at a
	// previous injection (Istio's proxy.istio.io/overrides).
	AnnotationOverrides = "proxy.istio.io/overrides"
	// AnnotationStatus marks an injected pod and names what was injected
	// (Istio's sidecar.istio.io/status).
	AnnotationStatus = "sidecar.istio.io/status"
)

// AutoImage is the image a user writes on an overriding container to keep
// the template's image.
const AutoImage = "auto"

// Overrides are the user's own versions of injected containers, re-applied
// on top of the templates' output. Marshalled as JSON it is the value of the
// proxy.istio.io/overrides annotation.
type Overrides struct {
	// Containers are the user's versions of injected containers, matched
	// by name and strategic-merged over the templates' output.
	Containers []corev1.Container `json:"containers,omitempty"`
	// InitContainers are the same for injected init containers.
	InitContainers []corev1.Container `json:"initContainers,omitempty"`
}

// injectedNames is the part of the sidecar.istio.io/status annotation
// Apply reads for the overrides.
type injectedNames struct {
	Containers     []string `json:"containers"`
	InitContainers []string `json:"initContainers"`
}

// applyOverrides merges back on top of merged every container of original
// (in containers or initContainers) whose name matches a container of
// injected (Apply's doc tells the rules). It returns the pod and the
// overrides it applied, nil when original was already injected. No argument
// is modified; when no container has an override, the returned pod is
// merged itself (not a copy).
func applyOverrides(merged, original, injected *corev1.Pod) (*corev1.Pod, *Overrides, error) {
	if merged == nil || original == nil || injected == nil {
		return nil, nil, fmt.Errorf("applyOverrides: nil pod")
	}
	var existing Overrides
	if v, ok := original.Annotations[AnnotationOverrides]; ok {
		if err := json.Unmarshal([]byte(v), &existing); err != nil {
			return nil, nil, fmt.Errorf("annotation %s: %w", AnnotationOverrides, err)
		}
	}
	var status injectedNames
	v, already := original.Annotations[AnnotationStatus]
	if already {
		// Istio ignores a status it cannot parse; so do we.
		_ = json.Unmarshal([]byte(v), &status)
	}
	applied := &Overrides{}
	var target map[string]any
	apply := func(c corev1.Container, field string) error {
		if target == nil {
			var err error
			if target, err = toMap(merged); err != nil {
				return err
			}
		}
		if c.Image == AutoImage {
			c.Image = ""
		}
		cm, err := toMap(c)
		if err != nil {
			return err
		}
		patch := map[string]any{"spec": map[string]any{field: []any{cm}}}
		if m, ok := fastMerge(target, patch); ok {
			target = m
		} else if target, err = strategicMerge(target, patch); err != nil {
			return fmt.Errorf("container %q: strategic merge: %w", c.Name, err)
		}
		if field == "containers" {
			applied.Containers = append(applied.Containers, c)
		} else {
			applied.InitContainers = append(applied.InitContainers, c)
		}
		return nil
	}
	for _, c := range injected.Spec.Containers {
		if contains1(status.Containers, c.Name) {
			continue
		}
		m := findContainer(c.Name, existing.Containers)
		if m == nil {
			m = findInPod(c.Name, original)
		}
		if m == nil {
			continue
		}
		if err := apply(*m.DeepCopy(), "containers"); err != nil {
			return nil, nil, err
		}
	}
	for _, c := range injected.Spec.InitContainers {
		if contains1(status.InitContainers, c.Name) {
			continue
		}
		m := findContainer(c.Name, existing.InitContainers)
		if m == nil {
			m = findInPod(c.Name, original)
		}
		if m == nil {
			continue
		}
		if err := apply(*m.DeepCopy(), "initContainers"); err != nil {
			return nil, nil, err
		}
	}
	if target == nil {
		// Nothing to merge back: merged is the answer as it stands.
		return merged, nil, nil
	}
	out, err := fromMap(target)
	if err != nil {
		return nil, nil, err
	}
	if already {
		applied = nil
	}
	return out, applied, nil
}

func contains1(names []string, n string) bool {
	for _, x := range names {
		if x == n {
			return true
		}
	}
	return false
}

func findContainer(name string, cs []corev1.Container) *corev1.Container {
	for i := range cs {
		if cs[i].Name == name {
			return &cs[i]
		}
	}
	return nil
}

func findInPod(name string, p *corev1.Pod) *corev1.Container {
	if c := findContainer(name, p.Spec.Containers); c != nil {
		return c
	}
	return findContainer(name, p.Spec.InitContainers)
}
