package policy_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/kinject/kinject/policy"
)

// corpusDir is Istio's injection test suite as data, in ../shared beside
// the checkout (see its README.md); KINJECT_ISTIO_CORPUS overrides it.
func corpusDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("KINJECT_ISTIO_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "istio-corpus")
	}
	if _, err := os.Stat(filepath.Join(dir, "CASES.tsv")); err != nil {
		t.Skipf("Istio corpus not found at %s (set KINJECT_ISTIO_CORPUS): %v", dir, err)
	}
	return dir
}

// TestRequiredMatchesIstioWebhook runs stage B on every pod Istio's own
// webhook test injected or let through, with the injector config the case
// used, and expects the same verdict: a patch means injected.
func TestRequiredMatchesIstioWebhook(t *testing.T) {
	dir := corpusDir(t)
	caseFiles, err := filepath.Glob(filepath.Join(dir, "cases", "*", "case.yaml"))
	if err != nil || len(caseFiles) == 0 {
		t.Fatalf("no cases under %s: %v", dir, err)
	}
	parts, skipped := 0, 0
	revisions := map[string]policy.Revision{} // by inject-config file: only 3 distinct
	for _, path := range caseFiles {
		caseDir := filepath.Dir(path)
		var c struct {
			Webhook struct {
				Run   bool `json:"run"`
				Parts []struct {
					Index              int    `json:"index"`
					AdmissionNamespace string `json:"admission_namespace"`
					Pod                string `json:"pod"`
					Result             string `json:"result"`
				} `json:"parts"`
			} `json:"webhook"`
		}
		readYAML(t, path, &c)
		if !c.Webhook.Run {
			continue
		}
		configPath := corpusLink(t, filepath.Join(caseDir, "inject-config.yaml"))
		rev, ok := revisions[configPath]
		if !ok {
			var cfg struct {
				Policy               string                 `json:"policy"`
				AlwaysInjectSelector []metav1.LabelSelector `json:"alwaysInjectSelector"`
				NeverInjectSelector  []metav1.LabelSelector `json:"neverInjectSelector"`
			}
			readYAML(t, configPath, &cfg)
			rev = policy.Revision{Policy: cfg.Policy, AlwaysInjectSelector: cfg.AlwaysInjectSelector, NeverInjectSelector: cfg.NeverInjectSelector}
			revisions[configPath] = rev
		}
		for _, p := range c.Webhook.Parts {
			if p.Result != "patch" && p.Result != "no-patch" {
				skipped++
				continue
			}
			data, err := os.ReadFile(filepath.Join(caseDir, p.Pod))
			if err != nil {
				t.Fatal(err)
			}
			var pod corev1.Pod
			if err := json.Unmarshal(data, &pod); err != nil {
				t.Fatalf("%s: %v", p.Pod, err)
			}
			namespace := pod.Namespace
			if namespace == "" {
				namespace = p.AdmissionNamespace
			}
			tg := policy.Target{Namespace: namespace, Labels: pod.Labels, Annotations: pod.Annotations, HostNetwork: pod.Spec.HostNetwork}
			d := rev.Required(tg)
			if c := rev.CompileRequired()(tg); !reflect.DeepEqual(c, d) {
				t.Errorf("%s part %d: CompileRequired answers %+v, Required %+v", filepath.Base(caseDir), p.Index, c, d)
			}
			if want := p.Result == "patch"; d.Inject != want {
				t.Errorf("%s part %d: Inject = %v, Istio's webhook %s\nreason: %s", filepath.Base(caseDir), p.Index, d.Inject, p.Result, d.Reason)
			}
			parts++
		}
	}
	if parts == 0 {
		t.Fatal("no webhook parts found in the corpus")
	}
	t.Logf("%d webhook pods agree with Istio (%d parts without a verdict skipped)", parts, skipped)
}

// corpusLink follows a symlink that was copied as a text file holding its
// relative target.
func corpusLink(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if target := strings.TrimSpace(string(data)); len(data) < 256 && strings.HasPrefix(target, "../") && !strings.Contains(target, "\n") {
		return filepath.Join(filepath.Dir(path), target)
	}
	return path
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
