package template

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
)

// jsonPod is the reference: the tree's JSON text through encoding/json.
func jsonPod(t testing.TB, tree map[string]any) (*corev1.Pod, error) {
	t.Helper()
	b, err := appendJSON(nil, tree)
	if err != nil {
		t.Fatal(err)
	}
	pod := &corev1.Pod{}
	if err := json.Unmarshal(b, pod); err != nil {
		return nil, err
	}
	return pod, nil
}

// checkTreeDecode asserts that podFromTree either gives exactly what
// encoding/json gives or hands over (errTreeFallback). It reports whether
// podFromTree decoded.
func checkTreeDecode(t testing.TB, tree map[string]any) bool {
	t.Helper()
	got, err := podFromTree(tree)
	if err != nil {
		if !errors.Is(err, errTreeFallback) {
			t.Fatalf("podFromTree: %v, want nil or errTreeFallback", err)
		}
		return false
	}
	want, err := jsonPod(t, tree)
	if err != nil {
		t.Fatalf("podFromTree decoded what encoding/json refuses (%v): %v", err, tree)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("podFromTree differs from encoding/json (-json +tree):\n%s", d)
	}
	return true
}

func mustTree(t *testing.T, js string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(js), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestPodFromTreeMatchesJSON(t *testing.T) {
	for _, tt := range []struct {
		name, reason string
		tree         string
		fast         bool // podFromTree decodes it (no fallback)
	}{
		{"empty", "the empty pod", `{}`, true},
		{"inline type meta", "TypeMeta is embedded inline in Pod", `{"kind":"Pod","apiVersion":"v1","metadata":{"name":"p"}}`, true},
		{"labels and annotations", "map[string]string fast path", `{"metadata":{"labels":{"a":"1"},"annotations":{"b":"x\ny"}}}`, true},
		{"null map value", "encoding/json stores the key with an empty string", `{"metadata":{"labels":{"a":null}}}`, true},
		{"null fields", "null leaves fields zero, pointers nil", `{"metadata":null,"spec":{"containers":null,"securityContext":null,"terminationGracePeriodSeconds":null}}`, true},
		{"quantities", "resource.Quantity from strings and numbers", `{"spec":{"containers":[{"name":"c","resources":{"limits":{"cpu":"2","memory":" 1Gi "},"requests":{"cpu":0.5,"memory":1000}}}]}}`, true},
		{"int or string", "IntOrString from a string and a number", `{"spec":{"containers":[{"name":"c","readinessProbe":{"httpGet":{"port":"http","path":"/"}},"livenessProbe":{"tcpSocket":{"port":8080}}}]}}`, true},
		{"pointers and ints", "pointer fields and integer kinds", `{"spec":{"terminationGracePeriodSeconds":30,"securityContext":{"runAsUser":1337,"runAsNonRoot":true},"containers":[{"name":"c","ports":[{"containerPort":80,"protocol":"TCP"}]}]}}`, true},
		{"time", "metav1.Time has its own UnmarshalJSON", `{"metadata":{"creationTimestamp":"2024-01-02T03:04:05Z"}}`, true},
		{"null list item", "a null in a list leaves a zero element", `{"spec":{"containers":[null,{"name":"c"}]}}`, true},
		{"empty dir size", "a *Quantity field", `{"spec":{"volumes":[{"name":"v","emptyDir":{"medium":"Memory","sizeLimit":"1Gi"}}]}}`, true},
		{"unknown field", "encoding/json ignores it; the reference path decides", `{"spec":{"bogus":1}}`, false},
		{"case folded key", "encoding/json matches Spec to spec; the reference path decides", `{"Spec":{"hostNetwork":true}}`, false},
		{"fraction into int", "encoding/json refuses it; the reference path reports", `{"spec":{"terminationGracePeriodSeconds":1.5}}`, false},
		{"int out of range", "int32 overflow is for encoding/json to report", `{"spec":{"containers":[{"name":"c","ports":[{"containerPort":4294967296}]}]}}`, false},
		{"string for bool", "a type mismatch is for encoding/json to report", `{"spec":{"hostNetwork":"yes"}}`, false},
		{"bad quantity", "ParseQuantity refuses; the reference path reports", `{"spec":{"containers":[{"name":"c","resources":{"limits":{"cpu":"lots"}}}]}}`, false},
		{"directive", "strategic-merge directives are not fields", `{"spec":{"$patch":"replace"}}`, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := checkTreeDecode(t, mustTree(t, tt.tree)); got != tt.fast {
				t.Errorf("podFromTree decoded = %v, want %v: %s", got, tt.fast, tt.reason)
			}
		})
	}
}

// TestPodFromTreeCorpus decodes every corpus pod and every rendered corpus
// template both ways.
func TestPodFromTreeCorpus(t *testing.T) {
	fast := 0
	for _, c := range corpusCases(t) {
		if c.wantErr != "" {
			continue
		}
		s, err := Parse(c.config.Templates, Options{Aliases: c.config.Aliases})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range c.pods {
			checkPodTree(t, p.pod)
			tree, err := toMap(p.pod)
			if err != nil {
				t.Fatal(err)
			}
			if checkTreeDecode(t, tree) {
				fast++
			}
			d := c.data(t, p)
			for _, name := range s.Names() {
				if gatewayControllerTemplates[name] {
					continue
				}
				out, err := s.Render(name, d)
				if err != nil {
					continue // TestCorpusRender covers render errors
				}
				m, err := s.decodeOutput(name, out)
				if err != nil || m == nil {
					continue
				}
				if checkTreeDecode(t, m) {
					fast++
				}
			}
		}
	}
	if fast == 0 {
		t.Fatal("podFromTree decoded nothing")
	}
	t.Logf("%d trees decoded the fast way, each equal to encoding/json's", fast)
}

func FuzzPodFromTree(f *testing.F) {
	for _, s := range []string{
		`{"metadata":{"name":"p","labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"i"}]}}`,
		`{"spec":{"containers":[{"name":"c","resources":{"limits":{"cpu":"2"},"requests":{"cpu":0.5}}}]}}`,
		`{"spec":{"containers":[{"name":"c","readinessProbe":{"httpGet":{"port":8080}}}]}}`,
		`{"spec":{"terminationGracePeriodSeconds":1e3}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var m map[string]any
		if json.Unmarshal(data, &m) != nil || m == nil {
			return
		}
		checkTreeDecode(t, m)
	})
}

// checkPodTree asserts that podTree builds, without JSON text, the tree
// JSON text gives.
func checkPodTree(t testing.TB, pod *corev1.Pod) {
	t.Helper()
	want, err := jsonTree(pod)
	if err != nil {
		t.Fatal(err)
	}
	got, err := treeFromValue(podPlan, reflect.ValueOf(pod).Elem())
	if err != nil {
		t.Fatalf("treeFromValue handed over (%v) for a pod it models", err)
	}
	if d := cmp.Diff(any(want), got); d != "" {
		t.Fatalf("treeFromValue differs from the JSON round trip (-json +tree):\n%s", d)
	}
}

func TestPodTreeMatchesJSON(t *testing.T) {
	for _, tt := range []struct {
		name, reason string
		pod          string // JSON
	}{
		{"empty", "omitempty everywhere, creationTimestamp null", `{}`},
		{"meta", "inline TypeMeta, maps of strings, control characters and U+2028 kept", `{"kind":"Pod","apiVersion":"v1","metadata":{"name":"p","labels":{"a":"1"},"annotations":{"x":"a\n\"b\"\u2028<&>"},"creationTimestamp":"2024-01-02T03:04:05Z"}}`},
		{"resources", "Quantity through its MarshalJSON, canonical form", `{"spec":{"containers":[{"name":"c","resources":{"limits":{"cpu":"2000m","memory":"1Gi"},"requests":{"cpu":0.5}}}]}}`},
		{"probes", "IntOrString as a string and as a number", `{"spec":{"containers":[{"name":"c","readinessProbe":{"httpGet":{"port":"http"}},"livenessProbe":{"tcpSocket":{"port":8080},"periodSeconds":3}}]}}`},
		{"pointers", "pointer ints and bools, a *Quantity, empty structs kept", `{"spec":{"terminationGracePeriodSeconds":30,"securityContext":{"runAsUser":1337,"runAsNonRoot":false},"volumes":[{"name":"v","emptyDir":{"sizeLimit":"1Gi"}},{"name":"w","emptyDir":{}}]}}`},
		{"big int", "an int64 beyond 2^53 rounds as JSON text does", `{"spec":{"activeDeadlineSeconds":9007199254740993}}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var pod corev1.Pod
			if err := json.Unmarshal([]byte(tt.pod), &pod); err != nil {
				t.Fatal(err)
			}
			t.Log(tt.reason)
			checkPodTree(t, &pod)
		})
	}
	bad := &corev1.Pod{}
	bad.Name = "a\xffb"
	if _, err := treeFromValue(podPlan, reflect.ValueOf(bad).Elem()); !errors.Is(err, errTreeFallback) {
		t.Errorf("invalid UTF-8: err = %v, want errTreeFallback (encoding/json rewrites it)", err)
	}
	if got, err := toMap(bad); err != nil || got["metadata"].(map[string]any)["name"] != "a\ufffdb" {
		t.Errorf("toMap(invalid UTF-8) = %v, %v; want the JSON round trip's U+FFFD", got, err)
	}
}

func FuzzPodTree(f *testing.F) {
	for _, s := range []string{
		`{"metadata":{"name":"p","labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"i"}]}}`,
		`{"spec":{"containers":[{"name":"c","resources":{"limits":{"cpu":"2"},"requests":{"cpu":0.5}}}]}}`,
		`{"spec":{"containers":[{"name":"c","readinessProbe":{"httpGet":{"port":8080}}}]}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var pod corev1.Pod
		if json.Unmarshal(data, &pod) != nil {
			return
		}
		want, err := jsonTree(&pod)
		if err != nil {
			return
		}
		got, err := treeFromValue(podPlan, reflect.ValueOf(&pod).Elem())
		if err != nil {
			if !errors.Is(err, errTreeFallback) {
				t.Fatal(err)
			}
			return
		}
		if d := cmp.Diff(any(want), got); d != "" {
			t.Fatalf("treeFromValue differs from the JSON round trip (-json +tree):\n%s", d)
		}
	})
}
