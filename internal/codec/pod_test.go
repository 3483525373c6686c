package codec

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// The references: what encoding/json does, written out.

func referenceTree(t testing.TB, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var x any
	if err := json.Unmarshal(b, &x); err != nil {
		t.Fatal(err)
	}
	return x
}

func referencePod(tree any) (*corev1.Pod, error) {
	b, err := json.Marshal(tree)
	if err != nil {
		return nil, err
	}
	pod := &corev1.Pod{}
	return pod, json.Unmarshal(b, pod)
}

// checkPod asserts that Tree and AppendJSON give encoding/json's results
// for pod, and reports whether both were taken.
func checkPod(t testing.TB, pod *corev1.Pod) bool {
	t.Helper()
	want, err := json.Marshal(pod)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := AppendJSON(nil, pod)
	if ok && string(got) != string(want) {
		t.Fatalf("AppendJSON differs from encoding/json:\n%s\n%s", got, want)
	}
	tree, treeOK := Tree(pod)
	if treeOK {
		if d := cmp.Diff(referenceTree(t, pod), tree); d != "" {
			t.Fatalf("Tree differs from the JSON round trip (-json +tree):\n%s", d)
		}
	}
	return ok && treeOK
}

// checkDecode asserts that DecodeTree, when it decodes, gives what
// encoding/json gives for the tree's JSON text, and reports whether it
// decoded.
func checkDecode(t testing.TB, tree map[string]any) bool {
	t.Helper()
	got := &corev1.Pod{}
	if !DecodeTree(tree, got) {
		return false
	}
	want, err := referencePod(tree)
	if err != nil {
		t.Fatalf("DecodeTree decoded what encoding/json refuses (%v): %v", err, tree)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("DecodeTree differs from encoding/json (-json +tree):\n%s", d)
	}
	return true
}

func testPods() []struct {
	name, reason string
	pod          *corev1.Pod
} {
	one := int64(1)
	yes := true
	size := resource.MustParse("1Gi")
	return []struct {
		name, reason string
		pod          *corev1.Pod
	}{
		{"zero", "every omitempty field left out; creationTimestamp null, or left out by omitzero (k8s.io v0.34+)", &corev1.Pod{}},
		{"type meta", "inline TypeMeta members come first", &corev1.Pod{TypeMeta: metav1.TypeMeta{Kind: "Pod", APIVersion: "v1"}}},
		{"escaping", "HTML-safe escaping, control characters, U+2028, multibyte",
			&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Annotations: map[string]string{
				"html": `<a href="x">&</a>`, "ctl": "a\b\f\n\r\t\x01\x7f", "sep": "x\u2028y\u2029z", "uni": "héllo 日本",
			}}}},
		{"map order", "map keys sorted", &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"b": "1", "a": "2", "A": "3", "": "4"}}}},
		{"empty vs nil", "an empty map or slice is left out by omitempty like a nil one",
			&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{}}, Spec: corev1.PodSpec{Containers: []corev1.Container{}}}},
		{"time", "metav1.Time's own MarshalJSON", &corev1.Pod{ObjectMeta: metav1.ObjectMeta{CreationTimestamp: metav1.NewTime(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC))}}},
		{"resources", "Quantity's MarshalJSON in a map of a named key type",
			&corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Resources: corev1.ResourceRequirements{
				Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2"), corev1.ResourceMemory: resource.MustParse("1Gi")},
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")},
			}}}}}},
		{"probes", "IntOrString both ways, inline ProbeHandler",
			&corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c",
				ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/", Port: intstr.FromString("http")}}},
				LivenessProbe:  &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(8080)}}, PeriodSeconds: 3},
			}}}}},
		{"pointers", "pointers to ints, bools and Quantity; inline VolumeSource; an empty struct kept",
			&corev1.Pod{Spec: corev1.PodSpec{
				TerminationGracePeriodSeconds: &one,
				SecurityContext:               &corev1.PodSecurityContext{RunAsNonRoot: &yes},
				Volumes: []corev1.Volume{{Name: "v", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{Medium: "Memory", SizeLimit: &size}}},
					{Name: "w", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}},
			}}},
		{"owner refs", "pointer bools in a list of structs",
			&corev1.Pod{ObjectMeta: metav1.ObjectMeta{OwnerReferences: []metav1.OwnerReference{{Kind: "ReplicaSet", Name: "web-1", Controller: &yes}}}}},
		{"big int", "an int64 beyond 2^53 rounds in the tree as JSON text does",
			&corev1.Pod{Spec: corev1.PodSpec{ActiveDeadlineSeconds: func() *int64 { n := int64(9007199254740993); return &n }()}}},
	}
}

func TestPodMatchesJSON(t *testing.T) {
	for _, tt := range testPods() {
		t.Run(tt.name, func(t *testing.T) {
			if !checkPod(t, tt.pod) && Fast {
				t.Errorf("a fast path declined a pod it models (%s)", tt.reason)
			}
			tree := referenceTree(t, tt.pod).(map[string]any)
			if !checkDecode(t, tree) && Fast {
				t.Errorf("DecodeTree declined the tree of a pod it models (%s)", tt.reason)
			}
		})
	}
	bad := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "a\xffb"}}
	if checkPod(t, bad) {
		t.Error("invalid UTF-8: Tree must decline (encoding/json rewrites it to U+FFFD)")
	}
	if got, ok := AppendJSON(nil, bad); Fast && (!ok || string(got) != `{"metadata":{"name":"a\ufffdb","creationTimestamp":null},"spec":{"containers":null},"status":{}}` && string(got) != `{"metadata":{"name":"a\ufffdb"},"spec":{"containers":null},"status":{}}`) {
		t.Errorf("AppendJSON(invalid UTF-8) = %s, %v; want encoding/json's U+FFFD", got, ok)
	}
}

func TestDecodeTree(t *testing.T) {
	for _, tt := range []struct {
		name, reason string
		tree         string
		fast         bool
	}{
		{"empty", "the empty pod", `{}`, true},
		{"inline type meta", "TypeMeta is embedded inline in Pod", `{"kind":"Pod","apiVersion":"v1","metadata":{"name":"p"}}`, true},
		{"labels and annotations", "map[string]string", `{"metadata":{"labels":{"a":"1"},"annotations":{"b":"x\ny"}}}`, true},
		{"null map value", "encoding/json stores the key with an empty string", `{"metadata":{"labels":{"a":null}}}`, true},
		{"null fields", "null leaves fields zero, pointers nil", `{"metadata":null,"spec":{"containers":null,"securityContext":null,"terminationGracePeriodSeconds":null}}`, true},
		{"null time", "metav1.Time's UnmarshalJSON gets null", `{"metadata":{"creationTimestamp":null}}`, true},
		{"quantities", "resource.Quantity from strings and numbers", `{"spec":{"containers":[{"name":"c","resources":{"limits":{"cpu":"2","memory":" 1Gi "},"requests":{"cpu":0.5,"memory":1000}}}]}}`, true},
		{"quantity with a newline", "UnmarshalJSON sees the escape \\n, which does not parse: the reference decides", `{"spec":{"containers":[{"name":"c","resources":{"limits":{"cpu":"2\n"}}}]}}`, false},
		{"int or string", "IntOrString from a string and a number", `{"spec":{"containers":[{"name":"c","readinessProbe":{"httpGet":{"port":"http","path":"/"}},"livenessProbe":{"tcpSocket":{"port":8080}}}]}}`, true},
		{"pointers and ints", "pointer fields and integer kinds", `{"spec":{"terminationGracePeriodSeconds":30,"securityContext":{"runAsUser":1337,"runAsNonRoot":true},"containers":[{"name":"c","ports":[{"containerPort":80,"protocol":"TCP"}]}]}}`, true},
		{"time", "metav1.Time has its own UnmarshalJSON", `{"metadata":{"creationTimestamp":"2024-01-02T03:04:05Z"}}`, true},
		{"null list item", "a null in a list leaves a zero element", `{"spec":{"containers":[null,{"name":"c"}]}}`, true},
		{"empty dir size", "a *Quantity field", `{"spec":{"volumes":[{"name":"v","emptyDir":{"medium":"Memory","sizeLimit":"1Gi"}}]}}`, true},
		{"unknown field", "encoding/json ignores it; the reference path decides", `{"spec":{"bogus":1}}`, false},
		{"case folded key", "encoding/json matches Spec to spec; the reference path decides", `{"Spec":{"hostNetwork":true}}`, false},
		{"fraction into int", "encoding/json refuses it; the reference path reports", `{"spec":{"terminationGracePeriodSeconds":1.5}}`, false},
		{"int out of range", "int32 overflow is for encoding/json to report", `{"spec":{"containers":[{"name":"c","ports":[{"containerPort":4294967296}]}]}}`, false},
		{"int64 at 2^63", "2^63 is a float64 but not an int64", `{"spec":{"activeDeadlineSeconds":9223372036854775808}}`, false},
		{"int beyond 2^53", "json.Marshal may write a shorter decimal than the integer", `{"spec":{"activeDeadlineSeconds":4611686018427388928}}`, false},
		{"string for bool", "a type mismatch is for encoding/json to report", `{"spec":{"hostNetwork":"yes"}}`, false},
		{"bad quantity", "ParseQuantity refuses; the reference path reports", `{"spec":{"containers":[{"name":"c","resources":{"limits":{"cpu":"lots"}}}]}}`, false},
		{"directive", "strategic-merge directives are not fields", `{"spec":{"$patch":"replace"}}`, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var m map[string]any
			if err := json.Unmarshal([]byte(tt.tree), &m); err != nil {
				t.Fatal(err)
			}
			if got := checkDecode(t, m); got != (tt.fast && Fast) {
				t.Errorf("decoded = %v, want %v: %s", got, tt.fast && Fast, tt.reason)
			}
		})
	}
}

func FuzzPod(f *testing.F) {
	for _, s := range []string{
		`{"metadata":{"name":"p","labels":{"a":"<b>"},"creationTimestamp":"2024-01-02T03:04:05Z"},"spec":{"containers":[{"name":"c","image":"i"}]}}`,
		`{"spec":{"containers":[{"name":"c","resources":{"limits":{"cpu":"2"},"requests":{"cpu":0.5}}}]}}`,
		`{"spec":{"containers":[{"name":"c","readinessProbe":{"httpGet":{"port":8080}}}],"volumes":[{"name":"v","emptyDir":{}}]}}`,
		`{"spec":{"terminationGracePeriodSeconds":1e3}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var m map[string]any
		if json.Unmarshal(data, &m) != nil || m == nil {
			return
		}
		checkDecode(t, m)
		var p corev1.Pod
		if json.Unmarshal(data, &p) != nil {
			return
		}
		checkPod(t, &p)
	})
}

func BenchmarkPod(b *testing.B) {
	size := resource.MustParse("1Gi")
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web-1", Namespace: "default", Labels: map[string]string{"app": "web", "version": "v1"},
			Annotations: map[string]string{"sidecar.istio.io/status": `{"containers":["istio-proxy"]}`}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{
			{Name: "web", Image: "web:1", Ports: []corev1.ContainerPort{{ContainerPort: 8080}},
				Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceMemory: size}}},
			{Name: "istio-proxy", Image: "proxyv2", Args: []string{"proxy", "sidecar"},
				Env:            []corev1.EnvVar{{Name: "A", Value: "1"}, {Name: "B", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}}},
				ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz/ready", Port: intstr.FromInt32(15021)}}}},
		}, Volumes: []corev1.Volume{{Name: "v", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{Medium: "Memory"}}}}},
	}
	tree := referenceTree(b, pod)
	text, err := json.Marshal(pod)
	if err != nil {
		b.Fatal(err)
	}
	for _, bb := range []struct {
		name string
		fn   func() bool
	}{
		{"encode/fast", func() bool { _, ok := AppendJSON(make([]byte, 0, 4096), pod); return ok }},
		{"encode/encoding-json", func() bool { _, err := json.Marshal(pod); return err == nil }},
		{"tree/fast", func() bool { _, ok := Tree(pod); return ok }},
		{"tree/encoding-json", func() bool { referenceTree(b, pod); return true }},
		{"decode/fast", func() bool { return DecodeTree(tree, &corev1.Pod{}) }},
		{"decode/encoding-json", func() bool { _, err := referencePod(tree); return err == nil }},
		{"decode-json/fast", func() bool { return DecodeJSON(text, &corev1.Pod{}) }},
		{"decode-json/encoding-json", func() bool { return json.Unmarshal(text, &corev1.Pod{}) == nil }},
	} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if !bb.fn() && Fast {
					b.Fatal("declined")
				}
			}
		})
	}
}

func TestDropNullCreationTimestamps(t *testing.T) {
	for _, c := range []struct{ in, want, reason string }{
		{`{"metadata":{"creationTimestamp":null,"name":"a"}}`, `{"metadata":{"name":"a"}}`, "first member"},
		{`{"metadata":{"name":"a","creationTimestamp":null}}`, `{"metadata":{"name":"a"}}`, "last member"},
		{`{"metadata":{"creationTimestamp":null}}`, `{"metadata":{}}`, "only member"},
		{`{"a":"\"creationTimestamp\":null"}`, `{"a":"\"creationTimestamp\":null"}`, "inside a string it is data"},
		{`{"creationTimestamp":"2024-01-01T00:00:00Z"}`, `{"creationTimestamp":"2024-01-01T00:00:00Z"}`, "a real timestamp stays"},
	} {
		if got := string(DropNullCreationTimestamps([]byte(c.in))); got != c.want {
			t.Errorf("DropNullCreationTimestamps(%s) = %s, want %s (%s)", c.in, got, c.want, c.reason)
		}
	}
	b, err := json.Marshal(&corev1.Pod{})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(DropNullCreationTimestamps(b)); got != `{"metadata":{},"spec":{"containers":null},"status":{}}` {
		t.Errorf("a zero pod = %s, want the newest apimachinery's encoding", got)
	}
}
