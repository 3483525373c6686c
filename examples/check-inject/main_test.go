package main

import (
	"bytes"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

const dir = "../../testdata/policy/check-inject/"

func TestGolden(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-f", dir + "manifests.yaml", "--mesh", dir + "mesh.yaml"}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	path := dir + "output.golden"
	if *update {
		if err := os.WriteFile(path, stdout.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./examples/check-inject/ -update to create it)", err)
	}
	if d := cmp.Diff(string(want), stdout.String()); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, d)
	}
}

func TestRun(t *testing.T) {
	tests := []struct {
		name   string
		why    string
		args   []string
		stdin  string
		code   int
		stdout []string // substrings
		stderr []string // substrings
	}{
		{"stdin", "-f - reads standard input with the default mesh", []string{"-f", "-"},
			"kind: Namespace\nmetadata: {name: a, labels: {istio-injection: enabled}}\n---\nkind: Pod\nmetadata: {name: p, namespace: a}\n",
			0, []string{"NAMESPACE  WORKLOAD  RESULT  REVISION  WEBHOOK    REASON\na          pod/p     INJECT  default   namespace  "}, nil},
		{"namespace after pod", "namespaces apply wherever they appear in the stream", []string{"-f", "-"},
			"kind: Pod\nmetadata: {name: p, namespace: a}\n---\nkind: Namespace\nmetadata: {name: a, labels: {istio-injection: enabled}}\n",
			0, []string{"INJECT"}, nil},
		{"bad yaml", "a broken document is named by its number and first line, counting only non-empty documents", []string{"-f", "-"},
			"---\n# comment only\n---\nkind: Pod\nmetadata: {name: p}\n---\nkind: Pod\nmetadata: {name: [\n",
			1, nil, []string{"check-inject: standard input: document 2 (line 7): "}},
		{"bad field type", "a well-formed document of the wrong shape names the object", []string{"-f", "-"},
			"kind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    metadata:\n      labels: {version: [1]}\n",
			1, nil, []string{"document 1 (line 1): deployment/web: spec.template: "}},
		{"list document", "a document that is a YAML list is named in the document's terms, not Go's (issue 10: main.object)", []string{"-f", "-"},
			"- a\n- b\n", 1, nil, []string{"document 1 (line 1): want an object, got array"}},
		{"field type words", "a field of the wrong JSON type says what it wants", []string{"-f", "-"},
			"kind: Pod\nmetadata: {name: p, labels: [a]}\n", 1, nil, []string{"metadata.labels: want an object, got array"}},
		{"cronjob pod opt-out", "the webhook skips the pods, kube-inject (as istioctl) injects the CronJob: both programs say so", []string{"-f", "-"},
			"kind: Namespace\nmetadata: {name: a, labels: {istio-injection: enabled}}\n---\n" +
				"kind: CronJob\nmetadata: {name: backup, namespace: a}\nspec:\n  jobTemplate:\n    spec:\n      template:\n        metadata:\n          labels: {sidecar.istio.io/inject: \"false\"}\n",
			0, []string{"cronjob/backup  SKIP", `a cronjob/backup: sidecar.istio.io/inject: "false" in spec.jobTemplate.spec.template.metadata.labels skips the pods in the webhook, but kube-inject (manual injection, as istioctl) reads spec.jobTemplate.metadata and injects this CronJob; set it in spec.jobTemplate.metadata.labels too`}, nil},
		{"cronjob job opt-out", "an opt-out in both places: nothing to note", []string{"-f", "-"},
			"kind: CronJob\nmetadata: {name: backup}\nspec:\n  jobTemplate:\n    metadata:\n      labels: {sidecar.istio.io/inject: \"false\"}\n    spec:\n      template:\n        metadata:\n          labels: {sidecar.istio.io/inject: \"false\"}\n",
			0, []string{"cronjob/backup  SKIP"}, nil},
		{"list item", "errors inside a List name the item", []string{"-f", "-"},
			"kind: List\nitems:\n- kind: Pod\n  metadata: {name: ok}\n- kind: Pod\n  metadata: {name: bad}\n  spec: {hostNetwork: maybe}\n",
			1, nil, []string{"document 1 (line 1): list/(unnamed): items[1]: pod/bad: spec: "}},
		{"hostile names", "names with newlines are quoted so they cannot add table rows", []string{"-f", "-"},
			"kind: Pod\nmetadata: {name: \"p\\nfake INJECT\", namespace: a}\n",
			0, []string{`"pod/p\nfake INJECT"`}, nil},
		{"istio 1.26 reads False", "--istio-version 1.26.8: the injector lower-cases the value and the pod opts out", []string{"-f", "-", "--istio-version", "1.26.8"},
			"kind: Namespace\nmetadata: {name: a, labels: {istio-injection: enabled}}\n---\nkind: Pod\nmetadata: {name: p, namespace: a, labels: {sidecar.istio.io/inject: \"False\"}}\n",
			0, []string{"pod/p     SKIP", "Istio 1.26.8 lower-cases the value"}, nil},
		{"newest ignores False", "without --istio-version the newest release ignores False and the policy injects", []string{"-f", "-"},
			"kind: Namespace\nmetadata: {name: a, labels: {istio-injection: enabled}}\n---\nkind: Pod\nmetadata: {name: p, namespace: a, labels: {sidecar.istio.io/inject: \"False\"}}\n",
			0, []string{"pod/p     INJECT"}, nil},
		{"bad istio version", "a release that is not one is a usage error", []string{"-f", "-", "--istio-version", "asm-1233-2"}, "", 2, nil,
			[]string{`not an Istio release: "asm-1233-2"`}},
		{"nothing to check", "a stream without workloads says so", []string{"-f", "-"},
			"kind: Service\nmetadata: {name: s}\n", 0, []string{"no pod-bearing workloads in the input"}, nil},
		{"missing -f", "the manifests are required", nil, "", 2, nil, []string{"usage: check-inject -f"}},
		{"unknown flag", "flag errors are usage errors", []string{"-x"}, "", 2, nil, []string{"flag provided but not defined: -x"}},
		{"missing file", "an unreadable file is reported", []string{"-f", dir + "nope.yaml"}, "", 1, nil, []string{"nope.yaml: no such file"}},
		{"bad mesh", "an invalid mesh names the file and the field", []string{"-f", "-", "--mesh", dir + "manifests.yaml"}, "", 1, nil,
			[]string{"manifests.yaml: ", "unknown field"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tc.args, strings.NewReader(tc.stdin), &stdout, &stderr)
			if code != tc.code {
				t.Errorf("%s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", tc.why, code, tc.code, stdout.String(), stderr.String())
			}
			for _, s := range tc.stdout {
				if !strings.Contains(stdout.String(), s) {
					t.Errorf("%s: stdout lacks %q:\n%s", tc.why, s, stdout.String())
				}
			}
			for _, s := range tc.stderr {
				if !strings.Contains(stderr.String(), s) {
					t.Errorf("%s: stderr lacks %q:\n%s", tc.why, s, stderr.String())
				}
			}
		})
	}
}

func TestInvalidMesh(t *testing.T) {
	mesh := t.TempDir() + "/mesh.yaml"
	if err := os.WriteFile(mesh, []byte("revisions:\n- revision: default\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-f", "-", "--mesh", mesh}, strings.NewReader(""), &stdout, &stderr); code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if want := `mesh.yaml: policy: invalid mesh: revisions[0] revision "default": revision: "default" is reserved`; !strings.Contains(stderr.String(), want) {
		t.Errorf("a mesh that fails Validate is reported with the file and field; stderr lacks %q:\n%s", want, stderr.String())
	}
}
