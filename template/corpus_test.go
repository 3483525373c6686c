package template

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/kinject/kinject/template/meshconfig"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"
	yamlv3 "sigs.k8s.io/yaml/goyaml.v3"
)

// tmplCorpusDir returns Istio's conformance corpus folder or skips.
func tmplCorpusDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("KINJECT_ISTIO_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "istio-corpus")
	}
	if _, err := os.Stat(filepath.Join(dir, "cases")); err != nil {
		t.Skipf("Istio corpus not found at %s (set KINJECT_ISTIO_CORPUS): %v", dir, err)
	}
	return dir
}

// injectConfig is the part of Istio's injection config the tests read.
type injectConfig struct {
	DefaultTemplates []string            `json:"defaultTemplates"`
	Aliases          map[string][]string `json:"aliases"`
	Templates        map[string]string   `json:"templates"`
}

func readInjectConfig(t testing.TB, path string) injectConfig {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// The case folders' inject-config.yaml is a symlink, stored as a file
	// holding the relative target where symlinks were lost.
	if !bytes.Contains(b, []byte("\n")) && bytes.HasSuffix(bytes.TrimSpace(b), []byte(".yaml")) {
		return readInjectConfig(t, filepath.Join(filepath.Dir(path), string(bytes.TrimSpace(b))))
	}
	var c injectConfig
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return c
}

// gatewayControllerTemplates take the gateway deployment controller's data,
// not a pod's; they are parsed but not rendered.
var gatewayControllerTemplates = map[string]bool{
	"waypoint": true, "kube-gateway": true, "agentgateway": true, "agentgateway-waypoint": true,
}

// corpusCase is one case's inputs, ready to render.
type corpusCase struct {
	name    string
	dir     string
	config  injectConfig
	values  map[string]any
	mesh    *meshconfig.MeshConfig
	native  bool
	pods    []corpusPod
	wantErr string
}

type corpusPod struct {
	pod      *corev1.Pod
	typeMeta metav1.TypeMeta
	owner    types.NamespacedName
}

func loadCorpusCase(t testing.TB, dir string) corpusCase {
	t.Helper()
	c := corpusCase{name: filepath.Base(dir), dir: dir}
	c.config = readInjectConfig(t, filepath.Join(dir, "inject-config.yaml"))
	vb, err := os.ReadFile(filepath.Join(dir, "values.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(vb, &c.values); err != nil {
		t.Fatal(err)
	}
	mb, err := os.ReadFile(filepath.Join(dir, "mesh.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if c.mesh, err = meshconfig.ParseMeshConfig(mb); err != nil {
		t.Fatalf("%s mesh.yaml: %v", c.name, err)
	}
	cb, err := os.ReadFile(filepath.Join(dir, "case.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		Native bool `json:"native_sidecars"`
	}
	if err := yaml.Unmarshal(cb, &meta); err != nil {
		t.Fatal(err)
	}
	c.native = meta.Native
	if we, err := os.ReadFile(filepath.Join(dir, "want-error.txt")); err == nil {
		c.wantErr = strings.TrimSpace(string(we))
	}
	in, err := os.ReadFile(filepath.Join(dir, "input.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dec := yamlv3.NewDecoder(bytes.NewReader(in))
	for {
		var doc map[string]any
		if err := dec.Decode(&doc); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			t.Fatalf("%s input.yaml: %v", c.name, err)
		}
		c.pods = append(c.pods, podsOf(t, doc)...)
	}
	return c
}

// podsOf finds the pods (or pod templates) of a workload document.
func podsOf(t testing.TB, doc map[string]any) []corpusPod {
	if doc == nil {
		return nil
	}
	kind, _ := doc["kind"].(string)
	apiVersion, _ := doc["apiVersion"].(string)
	meta, _ := doc["metadata"].(map[string]any)
	name, _ := meta["name"].(string)
	ns, _ := meta["namespace"].(string)
	tm := metav1.TypeMeta{Kind: kind, APIVersion: apiVersion}
	owner := types.NamespacedName{Name: name, Namespace: ns}
	var podMap map[string]any
	switch kind {
	case "List":
		var out []corpusPod
		items, _ := doc["items"].([]any)
		for _, it := range items {
			m, _ := it.(map[string]any)
			out = append(out, podsOf(t, m)...)
		}
		return out
	case "Pod":
		podMap = doc
	case "CronJob":
		spec, _ := doc["spec"].(map[string]any)
		jt, _ := spec["jobTemplate"].(map[string]any)
		js, _ := jt["spec"].(map[string]any)
		podMap, _ = js["template"].(map[string]any)
	default:
		spec, _ := doc["spec"].(map[string]any)
		podMap, _ = spec["template"].(map[string]any)
	}
	if podMap == nil {
		return nil
	}
	b, err := json.Marshal(podMap)
	if err != nil {
		t.Fatal(err)
	}
	pod := &corev1.Pod{}
	if err := json.Unmarshal(b, pod); err != nil {
		t.Fatalf("%s %s: %v", kind, name, err)
	}
	if pod.Namespace == "" {
		pod.Namespace = ns
	}
	return []corpusPod{{pod: pod, typeMeta: tm, owner: owner}}
}

// data builds the template data for one pod the way Istio's injector does
// for the fields the corpus exercises.
func (c corpusCase) data(t testing.TB, p corpusPod) *Data {
	t.Helper()
	pc := c.mesh.GetDefaultConfig()
	if v, ok := p.pod.Annotations["proxy.istio.io/config"]; ok {
		var err error
		if pc, err = meshconfig.MergeProxyConfig(pc, []byte(v)); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
	}
	global, _ := c.values["global"].(map[string]any)
	image := func(key string) string {
		sub, _ := global[key].(map[string]any)
		img, _ := sub["image"].(string)
		if strings.Contains(img, "/") {
			return img
		}
		hub, _ := global["hub"].(string)
		tag, _ := global["tag"].(string)
		return hub + "/" + img + ":" + tag
	}
	ns := p.owner.Namespace
	if ns == "" {
		ns = "default"
	}
	return &Data{
		TypeMeta:                 p.typeMeta,
		DeploymentMeta:           types.NamespacedName{Name: p.owner.Name, Namespace: ns},
		ObjectMeta:               p.pod.ObjectMeta,
		Spec:                     p.pod.Spec,
		Values:                   c.values,
		NativeSidecars:           c.native,
		ProxyImage:               image("proxy"),
		ProxyInitImage:           image("proxy_init"),
		ProxyUID:                 1337,
		ProxyGID:                 1337,
		InboundTrafficPolicyMode: "passthrough",
		MeshConfig:               c.mesh,
		ProxyConfig:              pc,
	}
}

func corpusCases(t testing.TB) []corpusCase {
	dir := tmplCorpusDir(t)
	dirs, err := filepath.Glob(filepath.Join(dir, "cases", "*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no cases in %s: %v", dir, err)
	}
	sort.Strings(dirs)
	out := make([]corpusCase, 0, len(dirs))
	for _, d := range dirs {
		out = append(out, loadCorpusCase(t, d))
	}
	return out
}

// TestCorpusTemplatesParse parses the three inject configs of the corpus:
// every template, including the gateway controller's.
func TestCorpusTemplatesParse(t *testing.T) {
	dir := tmplCorpusDir(t)
	files, _ := filepath.Glob(filepath.Join(dir, "shared", "inject-config", "*.yaml"))
	if len(files) == 0 {
		t.Fatal("no inject configs in the corpus")
	}
	for _, f := range files {
		cfg := readInjectConfig(t, f)
		s, err := Parse(cfg.Templates, Options{Aliases: cfg.Aliases})
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(f), err)
			continue
		}
		if len(s.Names()) != len(cfg.Templates) || len(s.Names()) < 8 {
			t.Errorf("%s: parsed %v, want the %d templates", filepath.Base(f), s.Names(), len(cfg.Templates))
		}
	}
}

// TestCorpusRender renders and applies every sidecar-injection template of
// each case's inject config for every pod of its input, and checks that
// validation rejects exactly the cases Istio rejects.
func TestCorpusRender(t *testing.T) {
	for _, c := range corpusCases(t) {
		t.Run(c.name, func(t *testing.T) {
			s, err := Parse(c.config.Templates, Options{Aliases: c.config.Aliases})
			if err != nil {
				t.Fatal(err)
			}
			for i, p := range c.pods {
				verr := ValidateAnnotations(p.pod.Annotations)
				if c.wantErr != "" {
					if verr == nil || !strings.Contains(strings.ToLower(verr.Error()), c.wantErr) {
						t.Errorf("pod %d: ValidateAnnotations = %v, want an error containing %q", i, verr, c.wantErr)
					}
					continue
				}
				if verr != nil {
					t.Errorf("pod %d: ValidateAnnotations: %v", i, verr)
				}
				d := c.data(t, p)
				for _, name := range s.Names() {
					if gatewayControllerTemplates[name] {
						continue
					}
					res, err := s.Apply(p.pod, []string{name}, d, ApplyOptions{})
					if err != nil {
						t.Errorf("pod %d: template %s: %v", i, name, err)
						continue
					}
					if len(res.Injected.Spec.Containers)+len(res.Injected.Spec.InitContainers)+len(res.Injected.Spec.Volumes) == 0 {
						t.Errorf("pod %d: template %s injected nothing", i, name)
					}
				}
			}
		})
	}
}
