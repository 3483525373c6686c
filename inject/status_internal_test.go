package inject

import (
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// TestSidecarChangesShortcut: the equal-bytes shortcut of sidecarChanges
// answers as the field walk does, on the e2e suite's API-server pods and
// on changed copies of them.
func TestSidecarChangesShortcut(t *testing.T) {
	b, err := os.ReadFile("../testdata/cluster/e2e/workloads.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Items []corev1.Pod `json:"items"`
	}
	if err := yaml.Unmarshal(b, &list); err != nil {
		t.Fatal(err)
	}
	walk := func(a, b *corev1.Pod) []FieldChange {
		ja, _ := staleView(a)
		jb, _ := staleView(b)
		x, _ := staleTree(ja)
		y, _ := staleTree(jb)
		var out []FieldChange
		diffValues("", x, y, &out)
		return out
	}
	n := 0
	for i := range list.Items {
		p := &list.Items[i]
		if p.Kind != "Pod" {
			continue
		}
		n++
		changed := p.DeepCopy()
		changed.Labels["extra"] = "x"
		for _, pair := range [][2]*corev1.Pod{{p, p.DeepCopy()}, {p, changed}, {WithServerDefaults(p), p}} {
			got, err := sidecarChanges(pair[0], pair[1])
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(walk(pair[0], pair[1]), got); d != "" {
				t.Errorf("pod %s: the shortcut and the walk differ (-walk +shortcut):\n%s", p.Name, d)
			}
		}
	}
	if n < 10 {
		t.Fatalf("%d pods in the fixtures", n)
	}
}
