package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	"github.com/kinject/kinject/policy"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

const (
	dir = "../../testdata/policy/check-inject/"
	e2e = "../../testdata/cluster/e2e/"
)

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./examples/check-inject/ -update to create it)", err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, d)
	}
}

// dumps are the e2e cluster's dumps with the namespaces file given.
func dumps(namespaces string) []string {
	return []string{"-f", e2e + "configmaps.yaml", "-f", e2e + "webhooks.yaml", "-f", e2e + namespaces, "-f", e2e + "workloads.yaml"}
}

func TestGolden(t *testing.T) {
	var stdout, stderr bytes.Buffer
	// The manifests hold lint errors (an ignored value, an annotation
	// opt-in): exit 1.
	if code := run([]string{"-f", dir + "manifests.yaml", "--mesh", dir + "mesh.yaml"}, nil, &stdout, &stderr); code != 1 {
		t.Fatalf("exit %d, want 1: %s", code, stderr.String())
	}
	golden(t, dir+"output.golden", stdout.Bytes())
}

// TestGoldenCluster runs every mode on the e2e suite's dumps of a real API
// server (two revisions, five namespaces, every workload kind).
func TestGoldenCluster(t *testing.T) {
	for _, tc := range []struct {
		name, why string
		args      []string
		code      int
	}{
		{"target-deployment.txt", "istioctl's rows for a Deployment, then kinject's verdict and its pods' staleness",
			append(dumps("namespaces-before.yaml"), "deployment/web.stable-shop"), 0},
		{"target-pod.txt", "a bare pod by name and -n, after its namespace moved: its pod is stale (exit 1)",
			append(dumps("namespaces.yaml"), "-n", "stable-shop", "debug"), 1},
		{"target-labels.txt", "istioctl's -n NS -l labels for a pod that does not exist yet",
			append(dumps("namespaces.yaml"), "-n", "plain-shop", "-l", "app=web,version=v1"), 0},
		{"report.txt", "every workload with its pods' staleness and the lint; stale pods exit 1",
			dumps("namespaces.yaml"), 1},
		{"plan-relabel.txt", "the guides' migration: relabel onto the canary, restart, recreate the bare pod",
			append(dumps("namespaces-before.yaml"), "--plan", "kubectl", "label", "namespace", "stable-shop", "istio-injection-", "istio.io/rev=1-31", "--overwrite"), 1},
		{"plan-tag.txt", "moving the default tag to the canary",
			append(dumps("namespaces-before.yaml"), "--plan", "istioctl", "tag", "set", "default", "--revision", "1-31", "--overwrite"), 1},
		{"plan-now.txt", "no change: what is due now, in one namespace",
			append(dumps("namespaces.yaml"), "-n", "plain-shop", "--plan"), 1},
		{"plan-up-to-date.txt", "nothing to do: exit 0", append(dumps("namespaces-before.yaml"), "-n", "canary-shop", "--plan"), 0},
		{"verify.txt", "the 2/2 check after the relabelling, before any restart",
			append(dumps("namespaces.yaml"), "--verify"), 1},
		{"plan-relabel.json", "-o json: the documented, stable document",
			append(dumps("namespaces-before.yaml"), "-o", "json", "-n", "stable-shop", "--plan", "label", "ns", "stable-shop", "istio-injection-", "istio.io/rev=1-31", "--overwrite"), 1},
		{"target-deployment.yaml", "-o yaml", append(dumps("namespaces-before.yaml"), "-o", "yaml", "deployment/web.stable-shop"), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(tc.args, nil, &stdout, &stderr); code != tc.code {
				t.Errorf("%s: exit %d, want %d\n%s%s", tc.why, code, tc.code, stdout.String(), stderr.String())
			}
			if stderr.Len() > 0 {
				t.Errorf("%s: stderr: %s", tc.why, stderr.String())
			}
			golden(t, filepath.Join("..", "..", "testdata", "cluster", "check-inject", tc.name), stdout.Bytes())
		})
	}
}

// TestJSONIsStable decodes -o json into the documented shape, field by
// field, so a rename cannot slip through a golden refresh.
func TestJSONIsStable(t *testing.T) {
	var stdout, stderr bytes.Buffer
	run(append(dumps("namespaces-before.yaml"), "-o", "json", "--plan", "label", "ns", "stable-shop", "istio.io/rev=1-31", "--overwrite"), nil, &stdout, &stderr)
	var doc struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Plan       struct {
			Change    map[string]any `json:"change"`
			Workloads []struct {
				Kind, Namespace, Name, After, Action, Need, Reason string
				Pods, Stale                                        int
				Now                                                []string
			} `json:"workloads"`
			Commands []string `json:"commands"`
			Restarts int      `json:"restarts"`
		} `json:"plan"`
		Findings []struct{ Code, Severity, Object, Message, Fix string } `json:"findings"`
	}
	dec := json.NewDecoder(&stdout)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("the JSON document does not have the documented shape: %v", err)
	}
	if doc.APIVersion != "kinject.io/v1" || doc.Kind != "Plan" || doc.Plan.Restarts != 2 || len(doc.Plan.Commands) != 3 {
		t.Errorf("unexpected document: %+v", doc)
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
			0, []string{"NAMESPACE  WORKLOAD  RESULT  REVISION  WEBHOOK    PODS  REASON\na          pod/p     INJECT  default   namespace  -     "}, nil},
		{"namespace after pod", "namespaces apply wherever they appear in the stream", []string{"-f", "-"},
			"kind: Pod\nmetadata: {name: p, namespace: a}\n---\nkind: Namespace\nmetadata: {name: a, labels: {istio-injection: enabled}}\n",
			0, []string{"INJECT"}, nil},
		{"bad yaml", "a broken document is named by its input and line; the good ones are still checked", []string{"-f", "-"},
			"---\n# comment only\n---\nkind: Pod\nmetadata: {name: p}\n---\nkind: Pod\nmetadata:\n  name: q\nspec: [\n",
			1, []string{"pod/p"}, []string{`check-inject: standard input:7: pod "q": YAML: `}},
		{"bad field type", "a well-formed document of the wrong shape names the object and the field", []string{"-f", "-"},
			"kind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    metadata:\n      labels: {version: [1]}\n",
			1, nil, []string{`standard input:1: deployment "web": spec.template.metadata.labels: want a string, got array`}},
		{"list item", "errors inside a List name the item's line", []string{"-f", "-"},
			"kind: List\nitems:\n- kind: Pod\n  metadata: {name: ok}\n- kind: Pod\n  metadata: {name: bad}\n  spec: {hostNetwork: maybe}\n",
			1, []string{"pod/ok"}, []string{`standard input:5: pod "bad": spec.hostNetwork: want true or false, got string`}},
		{"list document", "a document that is a YAML list is named in the document's terms, not Go's", []string{"-f", "-"},
			"- a\n- b\n", 1, nil, []string{"standard input:1: object: not a Kubernetes object: want an object, got array"}},
		{"field type words", "a field of the wrong JSON type says what it wants", []string{"-f", "-"},
			"kind: Pod\nmetadata: {name: p, labels: [a]}\n", 1, nil, []string{"metadata.labels: want an object, got array"}},
		{"cronjob pod opt-out", "the webhook skips the pods, manual injection (as istioctl) injects the CronJob: the lint says so", []string{"-f", "-"},
			"kind: Namespace\nmetadata: {name: a, labels: {istio-injection: enabled}}\n---\n" +
				"kind: CronJob\nmetadata: {name: backup, namespace: a}\nspec:\n  jobTemplate:\n    spec:\n      template:\n        metadata:\n          labels: {sidecar.istio.io/inject: \"false\"}\n",
			0, []string{"cronjob/backup  SKIP", `warning ManualInjectionIgnoresOptOut cronjob/backup.a: sidecar.istio.io/inject="false" in spec.jobTemplate.spec.template.metadata.labels keeps the webhook away from its pods, but manual injection (istioctl kube-inject) reads spec.jobTemplate.metadata and injects it; set it there too`}, nil},
		{"cronjob job opt-out", "an opt-out in both places: nothing to note", []string{"-f", "-"},
			"kind: CronJob\nmetadata: {name: backup}\nspec:\n  jobTemplate:\n    metadata:\n      labels: {sidecar.istio.io/inject: \"false\"}\n    spec:\n      template:\n        metadata:\n          labels: {sidecar.istio.io/inject: \"false\"}\n",
			0, []string{"cronjob/backup  SKIP"}, nil},
		{"hostile names", "names with newlines are quoted so they cannot add table rows", []string{"-f", "-"},
			"kind: Pod\nmetadata: {name: \"p\\nfake INJECT\", namespace: a}\n",
			0, []string{`"pod/p\nfake INJECT"`}, nil},
		{"istio 1.26 reads False", "--istio-version 1.26.8: the injector lower-cases the value and the pod opts out", []string{"-f", "-", "--istio-version", "1.26.8"},
			"kind: Namespace\nmetadata: {name: a, labels: {istio-injection: enabled}}\n---\nkind: Pod\nmetadata: {name: p, namespace: a, labels: {sidecar.istio.io/inject: \"False\"}}\n",
			0, []string{"pod/p     SKIP", "Istio 1.26.8 lower-cases the value"}, nil},
		{"newest ignores False", "without --istio-version the newest release ignores False and the policy injects; the ignored value is a lint error", []string{"-f", "-"},
			"kind: Namespace\nmetadata: {name: a, labels: {istio-injection: enabled}}\n---\nkind: Pod\nmetadata: {name: p, namespace: a, labels: {sidecar.istio.io/inject: \"False\"}}\n",
			1, []string{"pod/p     INJECT"}, nil},
		{"bad istio version", "a release that is not one is a usage error", []string{"-f", "-", "--istio-version", "asm-1233-2"}, "", 2, nil,
			[]string{`not an Istio release: "asm-1233-2"`}},
		{"nothing to check", "a stream without workloads says so", []string{"-f", "-"},
			"kind: Service\nmetadata: {name: s}\n", 0, []string{"no pod-bearing workloads in the input"}, nil},
		{"lint error", "a namespace with both injection labels fails the run, so CI can gate on it", []string{"-f", "-"},
			"kind: Namespace\nmetadata: {name: a, labels: {istio-injection: enabled, istio.io/rev: canary}}\n", 1,
			[]string{"error BothNamespaceLabels namespace/a", "fix: kubectl label namespace a istio-injection-"}, nil},
		{"selector", "-l alone selects the workloads reported", append(dumps("namespaces.yaml"), "-l", "app=web"), "", 1,
			[]string{"stable-shop  deployment/web  INJECT"}, nil},
		{"namespace", "-n alone selects a namespace's workloads", append(dumps("namespaces.yaml"), "-n", "canary-shop"), "", 0,
			[]string{"canary-shop  cronjob/report", "canary-shop  deployment/cart", "canary-shop  job/migrate"}, nil},
		{"long flags", "kubectl's and istioctl's long flag names work as their short ones", []string{"--filename", e2e + "configmaps.yaml",
			"--filename", e2e + "webhooks.yaml", "--filename", e2e + "namespaces.yaml", "--filename", e2e + "workloads.yaml",
			"--namespace", "stable-shop", "--output", "yaml", "deploy/web"}, "", 1,
			[]string{"kind: CheckInject", "namespace: stable-shop"}, nil},
		{"labels flag", "istioctl's --labels is -l", append(dumps("namespaces.yaml"), "--namespace", "default-shop", "--labels", "app=api"), "", 0,
			[]string{"istio-revision-tag-default      1-30      ✔"}, nil},
		{"selector flag", "kubectl's --selector is -l", append(dumps("namespaces.yaml"), "--selector", "app=web"), "", 1,
			[]string{"stable-shop  deployment/web  INJECT"}, nil},
		{"owned replicaset", "a Deployment's ReplicaSet can be a target, as in istioctl", append(dumps("namespaces.yaml"), "rs/web-58d8585bd5.stable-shop"), "", 1,
			[]string{"kinject: pod web-58d8585bd5-abcde: RestartToUpdate", "kinject: pod web-58d8585bd5-bbcde: RestartToUpdate"}, nil},
		{"owned job", "a CronJob's Job can be a target", append(dumps("namespaces.yaml"), "-n", "canary-shop", "job/report-29000000"), "", 0,
			[]string{"kinject: pod report-29000000-q8w3z: up to date"}, nil},
		{"dotted name", "the namespace is after the last dot, as istioctl reads it: names may hold dots", []string{"-f", "-", "pod/web.v1.shop"},
			"kind: Namespace\nmetadata: {name: shop, labels: {istio-injection: enabled}}\n---\nkind: Pod\nmetadata: {name: web.v1, namespace: shop}\n", 0,
			[]string{"istio-sidecar-injector  default   ✔"}, nil},
		{"rule in json", "the decision carries policy's rule code, for CI to branch on", append(dumps("namespaces.yaml"), "-o", "json", "pod/tools.default-shop"), "", 0,
			[]string{`"rule": "LabelOptOut"`}, nil},
		{"rule in the report", "each workload's row carries its rule", append(dumps("namespaces.yaml"), "-o", "json", "-n", "default-shop"), "", 0,
			[]string{`"name": "node-exporter",`, `"rule": "HostNetwork"`, `"rule": "PolicyEnabled"`}, nil},
		{"target not found", "a target missing from the input is an error", append(dumps("namespaces.yaml"), "deployment/nope.shop"), "", 1,
			nil, []string{`deployment "nope" not found in namespace "shop"`}},
		{"unknown type", "only pod-bearing kinds can be targets", append(dumps("namespaces.yaml"), "service/web"), "", 1,
			nil, []string{`unknown resource type "service"`}},
		{"bad change", "a plan needs the guides' commands", append(dumps("namespaces.yaml"), "--plan", "kubectl", "delete", "ns", "x"), "", 1,
			nil, []string{"not a change kinject can plan"}},
		{"change refused", "a change kubectl would refuse is refused", append(dumps("namespaces.yaml"), "--plan", "label", "ns", "stable-shop", "istio.io/rev=1-30"), "", 1,
			nil, []string{`"istio.io/rev" already has a value (prod-canary), and --overwrite is false`}},
		{"plan without configmaps", "planning needs the revisions' ConfigMaps", []string{"-f", e2e + "webhooks.yaml", "--plan"}, "", 1,
			nil, []string{"--plan needs the revisions' ConfigMaps"}},
		{"mesh and dumps", "--mesh with Istio's dumps is ambiguous", append(dumps("namespaces.yaml"), "--mesh", dir+"mesh.yaml"), "", 1,
			nil, []string{"use one or the other"}},
		{"missing -f", "an input is required", nil, "", 2, nil, []string{"at least one -f is required"}},
		{"two targets", "one target at most", append(dumps("namespaces.yaml"), "a", "b"), "", 2, nil, []string{"one target at most"}},
		{"target and plan", "a target is its own mode", append(dumps("namespaces.yaml"), "pod/a", "--plan"), "", 2, nil, []string{"cannot be combined"}},
		{"bad output", "-o takes table, json or yaml", append(dumps("namespaces.yaml"), "-o", "wide"), "", 2, nil, []string{`-o "wide"`}},
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

// TestYAMLMatchesJSON: -o yaml is the same document as -o json.
func TestYAMLMatchesJSON(t *testing.T) {
	args := append(dumps("namespaces.yaml"), "deployment/web.stable-shop")
	var j, y, stderr bytes.Buffer
	run(append(args, "-o", "json"), nil, &j, &stderr)
	run(append(args, "-o", "yaml"), nil, &y, &stderr)
	fromYAML, err := yaml.YAMLToJSON(y.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	var a, b any
	if err := json.Unmarshal(j.Bytes(), &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(fromYAML, &b); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(a, b); d != "" {
		t.Errorf("-o yaml and -o json differ (-json +yaml):\n%s", d)
	}
}

// TestMultipleWebhooks: two injection configurations matching one pod
// print istioctl's error line, and the lint makes the run fail.
func TestMultipleWebhooks(t *testing.T) {
	var items []any
	for _, r := range []policy.Revision{{}, {Name: "canary", Tags: []string{"default"}}} {
		for _, c := range r.Configurations() {
			items = append(items, c)
		}
	}
	hooks, err := yaml.Marshal(map[string]any{"apiVersion": "v1", "kind": "List", "items": items})
	if err != nil {
		t.Fatal(err)
	}
	in := string(hooks) + "---\nkind: Namespace\nmetadata: {name: shop, labels: {istio-injection: enabled}}\n"
	var stdout, stderr bytes.Buffer
	code := run([]string{"-f", "-", "-n", "shop", "-l", "app=web"}, strings.NewReader(in), &stdout, &stderr)
	if code != 1 {
		t.Errorf("exit %d, want 1 (a lint error)\n%s%s", code, stdout.String(), stderr.String())
	}
	for _, want := range []string{"ERROR: multiple webhooks will inject", "error MultipleInjectors pod/app=web.shop",
		"istio-revision-tag-default     canary    ✔", "istio-sidecar-injector         default   ✔"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
		}
	}
}
