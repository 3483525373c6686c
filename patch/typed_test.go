package patch

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kinject/kinject/internal/codec"
)

// referenceDiffPodValues is what DiffPodValues must give: DiffPod of the
// json.Marshal encodings and the patch's MarshalJSON bytes.
func referenceDiffPodValues(t testing.TB, a, b *corev1.Pod) (Patch, []byte) {
	t.Helper()
	ja, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	p, err := DiffPod(ja, jb)
	if err != nil {
		t.Fatal(err)
	}
	body, err := p.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return p, body
}

// checkDiffPodValues holds DiffPodValues (and its fast path, which must be
// taken when taken is set and codec.Fast) to the reference.
func checkDiffPodValues(t *testing.T, a, b *corev1.Pod, taken bool) {
	t.Helper()
	want, wantBody := referenceDiffPodValues(t, a, b)
	p, body, ok := diffPodValues(a, b)
	if ok && codec.Fast != true {
		t.Fatal("fast path taken under kinject_reference")
	}
	if taken && ok != codec.Fast {
		t.Errorf("fast path taken = %v, want %v", ok, codec.Fast)
	}
	if ok {
		if string(body) != string(wantBody) {
			t.Errorf("fast path body:\n%s\nwant (DiffPod of the encodings):\n%s", body, wantBody)
		}
		if p.String() != want.String() {
			t.Errorf("fast path patch:\n%s\nwant:\n%s", p, want)
		}
		if mb, err := p.MarshalJSON(); err != nil || string(mb) != string(body) {
			t.Errorf("body is not the patch's MarshalJSON: %s (%v)", mb, err)
		}
	}
	p, body, err := DiffPodValues(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if string(body) != string(wantBody) || p.String() != want.String() {
		t.Errorf("DiffPodValues:\n%s\nwant:\n%s", body, wantBody)
	}
}

func TestDiffPodValues(t *testing.T) {
	q := resource.MustParse("100m")
	base := func() *corev1.Pod {
		return &corev1.Pod{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
			ObjectMeta: metav1.ObjectMeta{Name: "p", Labels: map[string]string{"app": "a"}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{
				Name: "app", Image: "app:1",
				Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: q}},
			}}},
		}
	}
	tru := true
	for _, tc := range []struct {
		name, reason string
		edit         func(a, b *corev1.Pod)
	}{
		{"equal", "no operation, nothing encoded", func(a, b *corev1.Pod) {}},
		{"label changed", "a map member in both is diffed as JSON", func(a, b *corev1.Pod) { b.Labels["app"] = "b" }},
		{"annotations added", "a member only in the modified pod is added whole", func(a, b *corev1.Pod) {
			b.Annotations = map[string]string{"x": "<&>"}
		}},
		{"labels removed", "a member only in the original is removed", func(a, b *corev1.Pod) { b.Labels = nil }},
		{"container added", "a keyed list in both is aligned by name", func(a, b *corev1.Pod) {
			b.Spec.Containers = append(b.Spec.Containers, corev1.Container{Name: "proxy"})
		}},
		{"container edited", "an element edited in place", func(a, b *corev1.Pod) { b.Spec.Containers[0].Image = "app:2" }},
		{"empty securityContext to set", "pointer to a struct that is {} in the original: an add of the whole object",
			func(a, b *corev1.Pod) {
				a.Spec.SecurityContext = &corev1.PodSecurityContext{}
				b.Spec.SecurityContext = &corev1.PodSecurityContext{RunAsNonRoot: &tru}
			}},
		{"securityContext member", "pointers followed into a struct edited member by member", func(a, b *corev1.Pod) {
			a.Spec.SecurityContext = &corev1.PodSecurityContext{RunAsNonRoot: &tru}
			b.Spec.SecurityContext = &corev1.PodSecurityContext{RunAsNonRoot: &tru, FSGroup: new(int64)}
		}},
		{"nil pointer to set", "a nil pointer omitted in the original is added", func(a, b *corev1.Pod) {
			b.Spec.SecurityContext = &corev1.PodSecurityContext{}
		}},
		{"status", "the status struct too", func(a, b *corev1.Pod) { b.Status.Phase = corev1.PodPending }},
		{"timestamps", "types with their own MarshalJSON are diffed as JSON", func(a, b *corev1.Pod) {
			b.CreationTimestamp = metav1.Unix(1700000000, 0)
		}},
		{"quantity spelled otherwise", "equal JSON from unequal values: no operation", func(a, b *corev1.Pod) {
			b.Spec.Containers[0].Resources.Requests[corev1.ResourceCPU] = resource.MustParse("0.1")
		}},
		{"metadata emptied", "metadata with no members left", func(a, b *corev1.Pod) {
			b.ObjectMeta = metav1.ObjectMeta{}
		}},
		{"metadata from empty", "original metadata {} : members added one by one at the root's child", func(a, b *corev1.Pod) {
			a.ObjectMeta = metav1.ObjectMeta{}
		}},
		{"hostile key", "escaped path tokens and HTML characters", func(a, b *corev1.Pod) {
			b.Labels["a/b~c<>"] = "\u2028"
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := base(), base()
			tc.edit(a, b)
			checkDiffPodValues(t, a, b, true)
		})
	}
}

// TestDiffPodValuesCorpus runs every webhook case of the Istio corpus: the
// request's pod and the pod Istio produces, both as corev1 decodes them; the
// fast path must be taken and give the reference's bytes.
func TestDiffPodValuesCorpus(t *testing.T) {
	pods := corpusWebhookPods(t)
	for _, podFile := range pods {
		name := filepath.Base(filepath.Dir(podFile)) + "/" + filepath.Base(podFile)
		t.Run(name, func(t *testing.T) {
			var a, b corev1.Pod
			if err := json.Unmarshal(readFile(t, podFile), &a); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(readFile(t, strings.Replace(podFile, "webhook-pod.", "webhook-want.", 1)), &b); err != nil {
				t.Fatal(err)
			}
			checkDiffPodValues(t, &a, &b, true)
			checkDiffPodValues(t, &b, &a, true)
		})
	}
}

// FuzzDiffPodValues decodes two pods and holds DiffPodValues to DiffPod of
// their encodings.
func FuzzDiffPodValues(f *testing.F) {
	f.Add([]byte(`{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"a"}]}}`),
		[]byte(`{"metadata":{"labels":{"a":"c"},"annotations":{"x":"y"}},"spec":{"containers":[{"name":"b"},{"name":"a","image":"i"}]}}`))
	f.Add([]byte(`{"spec":{"securityContext":{}}}`), []byte(`{"spec":{"securityContext":{"runAsUser":1}},"status":{"phase":"x"}}`))
	f.Add([]byte(`{"metadata":{}}`), []byte(`{"metadata":{"creationTimestamp":"2020-01-01T00:00:00Z"}}`))
	f.Add([]byte(`{"spec":{"containers":[{"name":"a","resources":{"limits":{"cpu":"1"}}}]}}`),
		[]byte(`{"spec":{"containers":[{"name":"a","resources":{"limits":{"cpu":"1000m"}}}]}}`))
	f.Fuzz(func(t *testing.T, x, y []byte) {
		var a, b corev1.Pod
		if json.Unmarshal(x, &a) != nil || json.Unmarshal(y, &b) != nil {
			return
		}
		if _, err := json.Marshal(&a); err != nil {
			return
		}
		if _, err := json.Marshal(&b); err != nil {
			return
		}
		checkDiffPodValues(t, &a, &b, false)
	})
}
