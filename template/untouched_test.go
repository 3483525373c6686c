package template

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
)

func podJSONString(t *testing.T, p *corev1.Pod) string {
	t.Helper()
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestUntouchedContainersMatch applies every sidecar template of every
// corpus case to every pod of its input, and to the pods with a big
// container and a second application container added, with the untouched
// containers stubbed and without: the merged and injected pods must be the
// same JSON.
func TestUntouchedContainersMatch(t *testing.T) {
	stubbed := 0
	for _, c := range corpusCases(t) {
		t.Run(c.name, func(t *testing.T) {
			if c.wantErr != "" {
				return
			}
			s, err := Parse(c.config.Templates, Options{Aliases: c.config.Aliases})
			if err != nil {
				t.Fatal(err)
			}
			for i, p := range c.pods {
				big := p.pod.DeepCopy()
				if len(big.Spec.Containers) > 0 {
					for k := range 300 {
						big.Spec.Containers[0].Env = append(big.Spec.Containers[0].Env, corev1.EnvVar{Name: fmt.Sprintf("V%d", k), Value: "x"})
					}
				}
				big.Spec.Containers = append(big.Spec.Containers, corev1.Container{Name: "second", Image: "img", Args: []string{"a"}})
				for _, pod := range []*corev1.Pod{p.pod, big} {
					d := c.data(t, corpusPod{pod: pod, typeMeta: p.typeMeta, owner: p.owner})
					for _, name := range s.Names() {
						if gatewayControllerTemplates[name] {
							continue
						}
						wm, wi, werr := s.applyTemplates(pod, []string{name}, d, new(metadataWrites), applyPaths{})
						gm, gi, gerr := s.applyTemplates(pod, []string{name}, d, new(metadataWrites), applyPaths{untouched: true})
						if (werr == nil) != (gerr == nil) {
							t.Fatalf("pod %d %s: errors differ: %v / %v", i, name, werr, gerr)
						}
						if werr != nil {
							continue
						}
						if _, k := stubUntouched(pod, nil, nil); k != nil {
							stubbed++
						}
						if d := cmp.Diff(podJSONString(t, wm), podJSONString(t, gm)); d != "" {
							t.Errorf("pod %d %s: merged pod differs (-whole +stubbed):\n%s", i, name, d)
						}
						if d := cmp.Diff(podJSONString(t, wi), podJSONString(t, gi)); d != "" {
							t.Errorf("pod %d %s: injected pod differs (-whole +stubbed):\n%s", i, name, d)
						}
					}
				}
			}
		})
	}
	if stubbed == 0 {
		t.Error("no pod had a container to stub")
	}
}
