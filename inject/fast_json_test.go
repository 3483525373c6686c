package inject

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"
)

// checkEncodePod asserts that encodePod writes json.Marshal's bytes (and
// does not hand over for what it models).
func checkEncodePod(t testing.TB, p *corev1.Pod) {
	t.Helper()
	want, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	got, err := encodePod(nil, p)
	if err != nil {
		t.Fatalf("encodePod handed over (%v) for a pod it models", err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Fatalf("encodePod differs from encoding/json (-json +fast):\n%s", d)
	}
	viaHook, err := jsonMarshal(p)
	if err != nil || string(viaHook) != string(want) {
		t.Fatalf("jsonMarshal = %q, %v; want encoding/json's bytes", viaHook, err)
	}
}

func TestEncodePodMatchesJSON(t *testing.T) {
	one := int64(1)
	yes := true
	size := resource.MustParse("1Gi")
	for _, tt := range []struct {
		name, reason string
		pod          *corev1.Pod
	}{
		{"zero", "every omitempty field left out, creationTimestamp null", &corev1.Pod{}},
		{"type meta", "inline TypeMeta members come first", &corev1.Pod{TypeMeta: metav1.TypeMeta{Kind: "Pod", APIVersion: "v1"}}},
		{"escaping", "HTML-safe escaping, control characters, U+2028, invalid UTF-8",
			&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Annotations: map[string]string{
				"html": `<a href="x">&</a>`, "ctl": "a\b\f\n\r\t\x01\x7f", "sep": "x\u2028y\u2029z", "bad": "a\xffb", "uni": "héllo 日本",
			}}}},
		{"map order", "map keys sorted", &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"b": "1", "a": "2", "A": "3", "": "4"}}}},
		{"empty vs nil", "an empty map or slice is left out by omitempty like a nil one",
			&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{}}, Spec: corev1.PodSpec{Containers: []corev1.Container{}, Volumes: nil}}},
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
		{"pointers", "pointers to ints, bools and Quantity; inline VolumeSource",
			&corev1.Pod{Spec: corev1.PodSpec{
				TerminationGracePeriodSeconds: &one,
				SecurityContext:               &corev1.PodSecurityContext{RunAsNonRoot: &yes},
				Volumes:                       []corev1.Volume{{Name: "v", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{Medium: "Memory", SizeLimit: &size}}}},
			}}},
		{"owner refs", "pointer bools in a list of structs",
			&corev1.Pod{ObjectMeta: metav1.ObjectMeta{OwnerReferences: []metav1.OwnerReference{{Kind: "ReplicaSet", Name: "web-1", Controller: &yes}}}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Log(tt.reason)
			checkEncodePod(t, tt.pod)
		})
	}
}

// TestEncodePodGoldenPods encodes every pod input under testdata and what
// the default configuration injects into it.
func TestEncodePodGoldenPods(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(podDir, "*.yaml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no pods under %s: %v", podDir, err)
	}
	inj := newTestInjector(t, nil)
	n := 0
	for _, path := range paths {
		var pod corev1.Pod
		if err := yaml.Unmarshal(readFile(t, path), &pod); err != nil || pod.Kind != "Pod" && pod.Name == "" {
			continue // goldens hold results, not pods
		}
		checkEncodePod(t, &pod)
		n++
		if res, err := inj.InjectPod(context.Background(), PodRequest{Pod: &pod}); err == nil {
			checkEncodePod(t, res.Pod)
			n++
		}
	}
	if n == 0 {
		t.Fatal("no pod encoded")
	}
	t.Logf("%d pods encoded, each equal to encoding/json's bytes", n)
}

func FuzzEncodePod(f *testing.F) {
	for _, s := range []string{
		`{"metadata":{"name":"p","labels":{"a":"<b>"},"creationTimestamp":"2024-01-02T03:04:05Z"},"spec":{"containers":[{"name":"c","image":"i"}]}}`,
		`{"spec":{"containers":[{"name":"c","resources":{"limits":{"cpu":"2"},"requests":{"cpu":0.5}}}]}}`,
		`{"spec":{"containers":[{"name":"c","readinessProbe":{"httpGet":{"port":8080}}}],"volumes":[{"name":"v","emptyDir":{}}]}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var p corev1.Pod
		if json.Unmarshal(data, &p) != nil {
			return
		}
		checkEncodePod(t, &p)
	})
}

// BenchmarkEncodePod encodes the hello pod as injected with the default
// configuration, the fast way and with encoding/json.
func BenchmarkEncodePod(b *testing.B) {
	inj := newTestInjector(b, nil)
	res, err := inj.InjectPod(context.Background(), PodRequest{Pod: helloPod()})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := encodePod(make([]byte, 0, 4096), res.Pod); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(res.Pod); err != nil {
				b.Fatal(err)
			}
		}
	})
}
