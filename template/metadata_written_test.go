package template

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestMetadataWritten checks Applied.MetadataWritten, which a cache that
// leaves the pod's name out of its key relies on: a member it does not list
// must come out as it went in.
func TestMetadataWritten(t *testing.T) {
	tests := []struct {
		name   string
		docs   []string
		want   []string
		reason string
	}{
		{"none", []string{"spec:\n  hostname: h\n"}, nil, "no metadata at all"},
		{"labels", []string{"metadata:\n  labels:\n    a: b\n"}, []string{"labels"}, "a member"},
		{"union", []string{"metadata:\n  labels:\n    a: b\n", "metadata:\n  annotations:\n    a: b\n"}, []string{"annotations", "labels"}, "members of several documents"},
		{"name-empty", []string{"metadata:\n  name: \"\"\n"}, []string{"name"}, "an empty value is a write"},
		{"null", []string{"metadata:\n  creationTimestamp: null\n"}, []string{"creationTimestamp"}, "a null deletes, so it is a write"},
		{"meta-null", []string{"metadata: null\nspec:\n  hostname: h\n"}, []string{"*"}, "a null metadata deletes all of it"},
		{"root-directive", []string{"$patch: replace\nspec:\n  hostname: h\n"}, []string{"*"}, "a directive on the whole pod"},
		{"meta-directive", []string{"metadata:\n  $patch: replace\n  labels:\n    a: b\n"}, []string{"*"}, "a directive on metadata"},
		{"nested-directive", []string{"metadata:\n  labels:\n    $patch: replace\n    a: b\n"}, []string{"labels"}, "a directive inside a member changes only that member"},
		{"empty-doc", []string{""}, nil, "an empty document writes nothing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := map[string]string{}
			var names []string
			for i, d := range tt.docs {
				n := string(rune('a' + i))
				src[n] = d
				names = append(names, n)
			}
			s, err := Parse(src, Options{})
			if err != nil {
				t.Fatal(err)
			}
			pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-0", GenerateName: "web-", UID: "u", Labels: map[string]string{"x": "y"}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app"}}}}
			res, err := s.Apply(pod, names, &Data{}, ApplyOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, res.MetadataWritten); d != "" {
				t.Errorf("%s (-want +got):\n%s", tt.reason, d)
			}
			if len(tt.want) == 1 && tt.want[0] == "*" {
				return
			}
			// Every member not listed is unchanged.
			written := map[string]bool{}
			for _, m := range tt.want {
				written[m] = true
			}
			in, out := pod.ObjectMeta, res.Pod.ObjectMeta
			checks := []struct {
				member string
				same   bool
			}{
				{"name", in.Name == out.Name},
				{"generateName", in.GenerateName == out.GenerateName},
				{"uid", in.UID == out.UID},
				{"creationTimestamp", in.CreationTimestamp.Equal(&out.CreationTimestamp)},
				{"labels", cmp.Equal(in.Labels, out.Labels)},
			}
			for _, c := range checks {
				if !written[c.member] && !c.same {
					t.Errorf("metadata.%s changed but is not listed as written", c.member)
				}
			}
		})
	}
}
