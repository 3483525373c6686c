package inject

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// golden compares got with the file at path, or rewrites the file with -update.
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
		t.Fatalf("%v (run go test ./inject -update to create it)", err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, d)
	}
}

// newTestInjector builds an Injector from the default configuration,
// changed by mutate.
func newTestInjector(t testing.TB, mutate func(*Config)) *Injector {
	t.Helper()
	cfg := DefaultConfig()
	if mutate != nil {
		mutate(cfg)
	}
	inj, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return inj
}

const manifestDir = "../testdata/inject/manifest"

// TestInjectManifestsGolden injects every manifest under
// testdata/inject/manifest with the default configuration and compares the
// output, and the warnings and errors, with golden files.
func TestInjectManifestsGolden(t *testing.T) {
	cases := []struct {
		name   string
		reason string
		cfg    func(*Config)
		opts   ManifestOptions
	}{
		{name: "pod", reason: "a bare Pod is injected in place; DeploymentMeta comes from the pod"},
		{name: "deployment", reason: "the README's kind, with comments and a commented separator before it"},
		{name: "statefulset", reason: "apps/v1 workload with spec.template"},
		{name: "daemonset", reason: "apps/v1 workload with spec.template"},
		{name: "replicaset", reason: "apps/v1 workload with spec.template"},
		{name: "replicationcontroller", reason: "core/v1 workload whose template is a pointer"},
		{name: "job", reason: "batch/v1 Job; a pod-template annotation sets the proxy CPU"},
		{name: "cronjob", reason: "labels and annotations go to spec.jobTemplate, as in Istio"},
		{name: "deploymentconfig", reason: "OpenShift's kind without its API module; rollingParams survive the round trip"},
		{name: "list", reason: "List items are injected recursively; other items stay as they were"},
		{name: "passthrough", reason: "non-injectable documents, comments and unknown kinds are copied byte for byte"},
		{name: "overrides", reason: "the pod's own istio-proxy fields win over the template's"},
		{name: "resource-annotations", reason: "the four sidecar.istio.io/proxy* resource annotations"},
		{name: "hold", reason: "holdApplicationUntilProxyStarts from proxy.istio.io/config puts the proxy first"},
		{name: "probes", reason: "HTTP, TCP and gRPC probes are rewritten to the status port"},
		{name: "prometheus", reason: "the app's prometheus.io annotations are merged behind the status port"},
		{name: "hostnetwork", reason: "host-network pods are skipped with istioctl's warning"},
		{name: "injection-values", reason: "annotation values with newlines, quotes and braces stay data"},
		{name: "native", reason: "native sidecars: istio-proxy is a restartable init container",
			cfg: func(c *Config) { c.NativeSidecars = true }},
		{name: "revision", reason: "a revision is recorded in istio.io/rev and the status annotation",
			cfg: func(c *Config) { c.Revision = "canary" }},
		{name: "bad-stream", reason: "fail-fast stops at the first bad document and names it"},
		{name: "bad-stream.keep-going", reason: "keep-going injects the good documents and reports every bad one",
			opts: ManifestOptions{KeepGoing: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			base, _, _ := strings.Cut(c.name, ".")
			if c.name == "native" || c.name == "revision" {
				base = "deployment"
			}
			in, err := os.ReadFile(filepath.Join(manifestDir, base+".yaml"))
			if err != nil {
				t.Fatal(err)
			}
			inj := newTestInjector(t, c.cfg)
			res, err := inj.InjectManifests(context.Background(), in, c.opts)
			var log bytes.Buffer
			var out []byte
			if res != nil {
				out = res.Output
				for _, w := range res.Warnings {
					fmt.Fprintf(&log, "warning: %s\n", w)
				}
			}
			if err != nil {
				fmt.Fprintf(&log, "error: %v\n", err)
				if !errors.Is(err, ErrBadDocument) {
					t.Errorf("error %v does not match ErrBadDocument", err)
				}
			}
			golden(t, filepath.Join(manifestDir, c.name+".golden.yaml"), out)
			golden(t, filepath.Join(manifestDir, c.name+".golden.log"), log.Bytes())

			if err != nil {
				return
			}
			// Injecting the output again changes nothing: re-injection
			// replaces the sidecar with the same one.
			again, err := inj.InjectManifests(context.Background(), out, c.opts)
			if err != nil {
				t.Fatalf("re-injecting the output: %v", err)
			}
			if d := cmp.Diff(string(out), string(again.Output)); d != "" {
				t.Errorf("Inject(Inject(x)) != Inject(x) (-once +twice):\n%s", d)
			}
		})
	}
}

// TestInjectManifestsStream checks stream handling that needs no golden file.
func TestInjectManifestsStream(t *testing.T) {
	inj := newTestInjector(t, nil)
	cases := []struct {
		name, in, want string
		reason         string
	}{
		{"empty", "", "", "no documents, no separators"},
		{"only separators", "---\n---\n", "---\n---\n", "a leading separator stays with its document, byte for byte as istioctl's reader does"},
		{"comment document", "# hello\n", "# hello\n---\n", "a comment-only document is copied"},
		{"crlf", "kind: Service\r\napiVersion: v1\r\n", "kind: Service\r\napiVersion: v1\r\n---\n", "a passed-through document keeps its CR bytes (istioctl's reader drops them)"},
		{"crlf separator", "a: 1\r\n---\r\nb: 2\r\n", "a: 1\r\n---\nb: 2\r\n---\n", "a separator line ending in CRLF is still a separator"},
		{"lone cr", "a: \"x\ry\"\n", "a: \"x\ry\"\n---\n", "a CR inside a line is content"},
		{"separator comment", "a: 1\n--- # next\nb: 2\n", "a: 1\n---\nb: 2\n---\n", "a comment may follow the separator"},
		{"long line", "a: " + strings.Repeat("x", 200<<10) + "\n", "a: " + strings.Repeat("x", 200<<10) + "\n---\n", "a line longer than the read buffer"},
		{"no final newline", "kind: ConfigMap\napiVersion: v1", "kind: ConfigMap\napiVersion: v1\n---\n", "the last line gets its newline"},
		{"two raw", "a: 1\n---\nb: 2\n", "a: 1\n---\nb: 2\n---\n", "order and bytes kept"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := inj.InjectManifests(context.Background(), []byte(c.in), ManifestOptions{})
			if err != nil {
				t.Fatalf("InjectManifests: %v (%s)", err, c.reason)
			}
			if d := cmp.Diff(c.want, string(res.Output)); d != "" {
				t.Errorf("output mismatch (-want +got), %s:\n%s", c.reason, d)
			}
		})
	}
}

// TestInjectManifestsErrors checks that bad documents are named by index,
// kind and name.
func TestInjectManifestsErrors(t *testing.T) {
	inj := newTestInjector(t, nil)
	cases := []struct {
		name, in string
		want     []string
		reason   string
	}{
		{"bad separator", "a: 1\n--- x\nb: 2\n", []string{"document 1:", `invalid YAML document separator "x"`}, "the document the bad separator starts is blamed, not the one before it"},
		{"bad separator first", "--- apiVersion: v1\nkind: Pod\n", []string{"document 0:", `separator "apiVersion: v1"`}, "a bad separator on the first line starts document 0"},
		{"not yaml", "kind: [\n", []string{"document 0", "decoding"}, "a syntax error names the document"},
		{"bad template", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {template: 3}\n", []string{`document 0 (deployment "web")`, "decoding Deployment"}, "a type error names kind and name"},
		{"rc without template", "apiVersion: v1\nkind: ReplicationController\nmetadata: {name: rc, namespace: ns}\nspec: {}\n", []string{`document 0 (replicationcontroller "ns/rc")`, "spec.template is required"}, "Istio refuses a workload without a template too"},
		{"quantity with yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    sidecar.istio.io/proxyCPU: \"100m\\\"\\n  limits: {cpu: 99}\"\nspec:\n  containers: [{name: a, image: a}]\n", []string{`document 0 (pod "p")`, "not a quantity"}, "an annotation value cannot smuggle YAML into the resources; it is refused as a quantity"},
		{"list item", "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ReplicationController\n  metadata: {name: rc}\n  spec: {}\n", []string{"document 0", `items[0] (replicationcontroller "rc")`, "spec.template is required"}, "an error inside a List names the item"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := inj.InjectManifests(context.Background(), []byte(c.in), ManifestOptions{})
			if err == nil {
				t.Fatalf("InjectManifests succeeded, want an error (%s)", c.reason)
			}
			var de *DocumentError
			if !errors.As(err, &de) || !errors.Is(err, ErrBadDocument) {
				t.Errorf("error %v is not a *DocumentError matching ErrBadDocument", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q (%s)", err, w, c.reason)
				}
			}
		})
	}
}

// TestJSONToYAMLMatchesSigs checks jsonToYAML against sigs.k8s.io/yaml's
// JSONToYAML on every golden output and on values chosen at the edges of
// the YAML resolver.
func TestJSONToYAMLMatchesSigs(t *testing.T) {
	docs := []string{
		`{"a":1,"b":-0,"c":1.5,"d":1e3,"e":9223372036854775807,"f":18446744073709551615,"g":1e400,"h":-1.0}`,
		`{"s":["1","true","yes","null","~","0x10","1_000","2001-12-14","","{x}","[y]"," lead","trail ","a: b","#c"]}`,
		`{"long":"` + strings.Repeat("word ", 40) + `","nl":"a\nb\n","uni":"\u2028\u00e9"}`,
		`{"empty":{},"list":[],"null":null,"nested":[[{"z":1,"a":2}]]}`,
	}
	files, _ := filepath.Glob(filepath.Join(manifestDir, "*.golden.yaml"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range strings.Split(string(b), "---\n") {
			j, err := yaml.YAMLToJSON([]byte(doc))
			if err != nil || len(strings.TrimSpace(doc)) == 0 || doc[0] == '#' {
				continue
			}
			docs = append(docs, string(j))
		}
	}
	for i, d := range docs {
		want, err := yaml.JSONToYAML([]byte(d))
		if err != nil {
			t.Fatalf("doc %d: %v", i, err)
		}
		got, err := jsonToYAML([]byte(d))
		if err != nil {
			t.Fatalf("doc %d: %v", i, err)
		}
		if d := cmp.Diff(string(want), string(got)); d != "" {
			t.Errorf("doc %d differs from sigs.k8s.io/yaml (-sigs +kinject):\n%s", i, d)
		}
	}
	if len(docs) < 20 {
		t.Errorf("only %d documents compared; golden files missing?", len(docs))
	}
}

func FuzzJSONToYAML(f *testing.F) {
	f.Add([]byte(`{"a":[1,"2",3.5,null,true,{"b":"c: d"}]}`))
	f.Add([]byte(`{"n":123456789012345678901234567890}`))
	f.Fuzz(func(t *testing.T, j []byte) {
		want, werr := yaml.JSONToYAML(j)
		if !json.Valid(j) || werr != nil {
			return
		}
		got, err := jsonToYAML(j)
		if err != nil {
			t.Fatalf("jsonToYAML(%q): %v", j, err)
		}
		if !bytes.Equal(want, got) {
			t.Fatalf("jsonToYAML(%q) = %q, sigs.k8s.io/yaml gives %q", j, got, want)
		}
	})
}

// TestInjectManifestsLenientScalars checks the slow decode path: YAML
// numbers and booleans in string fields become strings (as
// sigs.k8s.io/yaml, and so Istio, decodes them), and unknown or duplicate
// fields are dropped with a warning.
func TestInjectManifestsLenientScalars(t *testing.T) {
	inj := newTestInjector(t, nil)
	in := `apiVersion: v1
kind: Pod
metadata:
  name: p
  labels: {app: p, version: 2}
  annotations: {build: 20240101, debug: true}
spec:
  futureField: x
  containers:
  - name: app
    image: app
    env: [{name: PORT, value: 8080}]
`
	res, err := inj.InjectManifests(context.Background(), []byte(in), ManifestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := string(res.Output)
	for _, want := range []string{"version: \"2\"", "build: \"20240101\"", "debug: \"true\"", "value: \"8080\""} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if strings.Contains(out, "futureField") {
		t.Error("an unknown field survived the typed round trip")
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], `spec.futureField: unknown field, dropped`) {
		t.Errorf("warnings %q, want one naming futureField", res.Warnings)
	}
}

// TestReinjectWithNewConfig is the restart-to-update flow: a manifest
// injected under one configuration, injected again under another, is what
// the second configuration gives for the original.
func TestReinjectWithNewConfig(t *testing.T) {
	oldCfg := newTestInjector(t, nil)
	changes := []struct {
		name   string
		cfg    func(*Config)
		reason string
	}{
		{"revision", func(c *Config) { c.Revision = "canary" }, "moving a workload to a canary control plane"},
		{"native", func(c *Config) { c.NativeSidecars = true }, "switching to native sidecars moves istio-proxy to initContainers"},
		{"image", func(c *Config) { c.Values["global"].(map[string]any)["tag"] = "1.28.0" }, "an upgrade changes the proxy image"},
	}
	for _, name := range []string{"pod", "deployment", "cronjob", "list", "probes", "prometheus", "hold", "overrides"} {
		in, err := os.ReadFile(filepath.Join(manifestDir, name+".yaml"))
		if err != nil {
			t.Fatal(err)
		}
		old, err := oldCfg.InjectManifests(context.Background(), in, ManifestOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range changes {
			t.Run(name+"/"+c.name, func(t *testing.T) {
				inj := newTestInjector(t, c.cfg)
				direct, err := inj.InjectManifests(context.Background(), in, ManifestOptions{})
				if err != nil {
					t.Fatal(err)
				}
				again, err := inj.InjectManifests(context.Background(), old.Output, ManifestOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if d := cmp.Diff(string(direct.Output), string(again.Output)); d != "" {
					t.Errorf("re-injection differs from a fresh injection (%s) (-fresh +reinjected):\n%s", c.reason, d)
				}
			})
		}
	}
}

type failingWriter struct{ after int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.after <= 0 {
		return 0, errors.New("disk full")
	}
	w.after--
	return len(p), nil
}

// TestInjectManifestStreamWriteError: a failing writer stops the stream
// with an error naming the document being written.
func TestInjectManifestStreamWriteError(t *testing.T) {
	inj := newTestInjector(t, nil)
	in := "a: 1\n---\nb: 2\n---\nc: 3\n"
	// Each document is two writes (the document, then the separator).
	_, err := inj.InjectManifestStream(context.Background(), strings.NewReader(in), &failingWriter{after: 2}, ManifestOptions{})
	if err == nil || !strings.Contains(err.Error(), "writing document 1") || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("error %v, want one naming document 1 and the writer's error", err)
	}
}
