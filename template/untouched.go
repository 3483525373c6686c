package template

import (
	"github.com/kinject/kinject/internal/codec"
	corev1 "k8s.io/api/core/v1"
)

// The pod's own containers that no template names are not changed by the
// merge: a strategic merge of a list keyed by name reads only the name of
// an element the patch does not mention, and keeps it where the order of
// the merged list puts it. So they need not make the trip from typed pod to
// tree and back, which for a big container (thousands of env vars) is most
// of Apply: each is merged as a stub holding only its name and put back,
// as the pod has it, in the stub's place. It is a fast path: the reference
// merges the whole pod (applyTemplates with untouched false), and
// TestUntouchedContainersMatch holds the two equal on every corpus pod. It
// declines (stubs nothing) when a patch holds a $-directive, or the pod
// repeats or leaves out a container name.

// keptContainers are the containers stubbed out, by list and name.
type keptContainers struct {
	containers, inits map[string]*corev1.Container
}

// stubUntouched returns pod with its untouched containers stubbed (a copy;
// pod is not modified), or pod itself and nil when nothing is stubbed.
// fx are the facts of the remembered entries the patches hold (facts.go).
func stubUntouched(pod *corev1.Pod, patches []map[string]any, fx applyFacts) (*corev1.Pod, *keptContainers) {
	named := map[string]bool{}
	for _, p := range patches {
		if p == nil {
			continue
		}
		if dollar, _ := fx.scan(p); dollar {
			return pod, nil
		}
		spec, _ := p["spec"].(map[string]any)
		for _, field := range []string{"containers", "initContainers"} {
			list, _ := spec[field].([]any)
			for _, c := range list {
				named[containerName(c)] = true
			}
		}
	}
	k := &keptContainers{}
	var stubbed *corev1.Pod
	for _, list := range []struct {
		cs   []corev1.Container
		init bool
	}{{pod.Spec.Containers, false}, {pod.Spec.InitContainers, true}} {
		seen := map[string]bool{}
		for _, c := range list.cs {
			if c.Name == "" || seen[c.Name] {
				return pod, nil
			}
			seen[c.Name] = true
		}
		for i := range list.cs {
			c := &list.cs[i]
			if named[c.Name] || !codec.BigContainer(c) {
				continue
			}
			if stubbed == nil {
				cp := *pod
				cp.Spec.Containers = append([]corev1.Container(nil), pod.Spec.Containers...)
				cp.Spec.InitContainers = append([]corev1.Container(nil), pod.Spec.InitContainers...)
				stubbed = &cp
			}
			m := &k.containers
			dst := stubbed.Spec.Containers
			if list.init {
				m, dst = &k.inits, stubbed.Spec.InitContainers
			}
			if *m == nil {
				*m = map[string]*corev1.Container{}
			}
			(*m)[c.Name] = c
			dst[i] = corev1.Container{Name: c.Name}
		}
	}
	if stubbed == nil {
		return pod, nil
	}
	return stubbed, k
}

// restore puts the kept containers back in place of their stubs in the
// merged pod (copies: the merged pod is the caller's to change).
func (k *keptContainers) restore(merged *corev1.Pod) {
	if k == nil {
		return
	}
	for _, list := range []struct {
		cs   []corev1.Container
		kept map[string]*corev1.Container
	}{{merged.Spec.Containers, k.containers}, {merged.Spec.InitContainers, k.inits}} {
		for i := range list.cs {
			if c, ok := list.kept[list.cs[i].Name]; ok {
				list.cs[i] = *c.DeepCopy()
			}
		}
	}
}
