package template

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kinject/kinject/internal/codec"
	"github.com/kinject/kinject/template/meshconfig"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

const testdataDir = "../testdata/template"

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./template -update to create it)", err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, d)
	}
}

// ownSet parses testdata/template/templates.yaml, kinject's own test
// templates.
func ownSet(t testing.TB) (*Set, injectConfig) {
	t.Helper()
	cfg := readInjectConfig(t, filepath.Join(testdataDir, "templates.yaml"))
	s, err := Parse(cfg.Templates, Options{Aliases: cfg.Aliases, Env: map[string]string{"MESH_CLUSTER": "east"}})
	if err != nil {
		t.Fatal(err)
	}
	return s, cfg
}

// ownData is the data the golden tests render with.
func ownData(pod *corev1.Pod) *Data {
	pc := meshconfig.DefaultProxyConfig()
	pc.ProxyMetadata = map[string]string{"DNS_CAPTURE": "true", "B_FLAG": "x: y"}
	return &Data{
		TypeMeta:       metav1.TypeMeta{Kind: "Deployment", APIVersion: "apps/v1"},
		DeploymentMeta: types.NamespacedName{Name: strings.TrimSuffix(pod.Name, "-abc"), Namespace: "shop"},
		ObjectMeta:     pod.ObjectMeta,
		Spec:           pod.Spec,
		Values: map[string]any{"proxy": map[string]any{"resources": map[string]any{
			"requests": map[string]any{"cpu": "100m", "memory": "128Mi"},
			"limits":   map[string]any{"cpu": "2", "memory": "1Gi", "ephemeral-storage": nil},
		}}},
		ProxyImage:     "registry.example/mesh/proxy:1.0",
		ProxyInitImage: "registry.example/mesh/init:1.0",
		MeshConfig:     &meshconfig.MeshConfig{TrustDomain: "cluster.local"},
		ProxyConfig:    pc,
	}
}

// TestGolden applies kinject's own templates to each pod under
// testdata/template/pods and compares the merged pod, the overrides and the
// resource findings with testdata/template/golden/<pod>.<templates>.yaml.
func TestGolden(t *testing.T) {
	s, _ := ownSet(t)
	pods, err := filepath.Glob(filepath.Join(testdataDir, "pods", "*.yaml"))
	if err != nil || len(pods) == 0 {
		t.Fatalf("no pods: %v", err)
	}
	sort.Strings(pods)
	if err := os.MkdirAll(filepath.Join(testdataDir, "golden"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, path := range pods {
		for _, use := range []string{"sidecar", "full"} {
			name := strings.TrimSuffix(filepath.Base(path), ".yaml") + "." + use
			t.Run(name, func(t *testing.T) {
				b, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				pod := mustPod(t, string(b))
				var out bytes.Buffer
				res, err := s.Apply(pod, []string{use}, ownData(pod), ApplyOptions{})
				if err != nil {
					t.Fatal(err)
				}
				final, ov := res.Pod, res.Overrides
				warnings, verr := ValidateResources(final)
				fmt.Fprintf(&out, "# templates: %s\n# warnings: %q\n# resource errors: %v\n", use, warnings, verr)
				if ov != nil {
					ovb, err := yaml.Marshal(ov)
					if err != nil {
						t.Fatal(err)
					}
					out.WriteString("# overrides:\n# " + strings.ReplaceAll(strings.TrimSpace(string(ovb)), "\n", "\n# ") + "\n")
				}
				out.WriteString(goldenPodYAML(t, final))
				golden(t, filepath.Join(testdataDir, "golden", name+".yaml"), out.Bytes())
			})
		}
	}
}

// goldenPodYAML prints p as sigs.k8s.io/yaml does with the newest
// k8s.io/apimachinery, which leaves a zero creationTimestamp out (v0.33
// prints null): the goldens hold for every supported release.
func goldenPodYAML(t testing.TB, p *corev1.Pod) string {
	t.Helper()
	j, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	b, err := yaml.JSONToYAML(codec.DropNullCreationTimestamps(j))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
