package template

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kinject/kinject/internal/codec"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// checkFactsMatch applies names to pod with the section facts and without
// (the reference), rounds times through one Set, so that the memo
// remembers the sections and later rounds take their facts: the pods,
// the metadata written and the errors must be the same. It returns how
// many rounds took facts.
func checkFactsMatch(t *testing.T, s *Set, pod *corev1.Pod, names []string, d *Data, rounds int) (taken int) {
	t.Helper()
	for range rounds {
		var ww, gw metadataWrites
		wm, wi, werr := s.applyTemplates(pod, names, d, &ww, applyPaths{untouched: codec.Fast})
		gm, gi, gerr := s.applyTemplates(pod, names, d, &gw, applyPaths{untouched: codec.Fast, facts: true})
		if (werr == nil) != (gerr == nil) || (werr != nil && werr.Error() != gerr.Error()) {
			t.Fatalf("%v: errors differ (reference / facts):\n%v\n%v", names, werr, gerr)
		}
		if werr != nil {
			continue
		}
		if d := cmp.Diff(podJSONString(t, wm), podJSONString(t, gm)); d != "" {
			t.Fatalf("%v: merged pod differs (-reference +facts):\n%s", names, d)
		}
		if d := cmp.Diff(wm, gm); d != "" {
			t.Fatalf("%v: merged pod differs (-reference +facts):\n%s", names, d)
		}
		if d := cmp.Diff(wi, gi); d != "" {
			t.Fatalf("%v: injected pod differs (-reference +facts):\n%s", names, d)
		}
		if d := cmp.Diff(ww.list(), gw.list()); d != "" {
			t.Fatalf("%v: metadata written differs (-reference +facts):\n%s", names, d)
		}
		var sw metadataWrites
		sm, si, serr := s.applyTemplates(pod, names, d, &sw, applyPaths{untouched: codec.Fast, facts: true, shareInjected: true})
		if serr != nil {
			t.Fatalf("%v: with a shared injected pod: %v", names, serr)
		}
		if d := cmp.Diff(wm, sm); d != "" {
			t.Fatalf("%v: merged pod differs with a shared injected pod (-reference +shared):\n%s", names, d)
		}
		if d := cmp.Diff(wi, si); d != "" {
			t.Fatalf("%v: injected pod differs when shared (-reference +shared):\n%s", names, d)
		}
		for _, n := range s.Expand(names) {
			err := s.render(n, d, func(out []byte) error {
				_, _, used, err := s.decodeOutputFacts(n, out, true)
				if len(used) > 0 {
					taken++
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	return taken
}

// TestSectionFactsMatch applies every sidecar template of every corpus
// case to every pod of its input, and to a copy with its own istio-proxy
// and volumes, with section facts and without: the same pods every time,
// and the facts taken (with the kinject_reference tag, never).
func TestSectionFactsMatch(t *testing.T) {
	taken, decoded := 0, 0
	for _, c := range corpusCases(t) {
		if c.wantErr != "" {
			continue
		}
		s, err := Parse(c.config.Templates, Options{Aliases: c.config.Aliases})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range c.pods {
			own := p.pod.DeepCopy()
			own.Spec.Containers = append(own.Spec.Containers, corev1.Container{Name: "istio-proxy", Image: "auto", Env: []corev1.EnvVar{{Name: "A", Value: "b"}}})
			own.Spec.Volumes = append(own.Spec.Volumes, corev1.Volume{Name: "istio-envoy"}, corev1.Volume{Name: "mine"})
			for _, pod := range []*corev1.Pod{p.pod, own} {
				d := c.data(t, corpusPod{pod: pod, typeMeta: p.typeMeta, owner: p.owner})
				for _, name := range s.Names() {
					if gatewayControllerTemplates[name] {
						continue
					}
					taken += checkFactsMatch(t, s, pod, []string{name}, d, 3)
				}
				if _, ok := s.tmpls["sidecar"]; ok {
					checkFactsMatch(t, s, pod, []string{"sidecar", "sidecar"}, d, 2)
				}
			}
			// The typed containers are copied for the corpus pod.
			d := c.data(t, p)
			var w metadataWrites
			if _, _, err := s.applyTemplates(p.pod, []string{"sidecar"}, d, &w, applyPaths{facts: true}); err != nil {
				continue
			}
			err := s.render("sidecar", d, func(out []byte) error {
				patch, _, fx, err := s.decodeOutputFacts("sidecar", out, true)
				if err != nil || patch == nil {
					return err
				}
				alone, ok := fastMergeMap(map[string]any{}, patch, podPlan, true, fx)
				if !ok {
					return nil
				}
				if got, ok := fx.decodePod(alone, false); ok {
					decoded++
					want, err := fromMap(alone)
					if err != nil {
						t.Fatal(err)
					}
					if d := cmp.Diff(want, got); d != "" {
						t.Fatalf("%s: podFromTree differs from fromMap (-fromMap +facts):\n%s", c.name, d)
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	if codec.Fast && (taken == 0 || decoded == 0) {
		t.Errorf("section facts taken %d times, typed containers copied %d times", taken, decoded)
	}
	if !codec.Fast && taken+decoded > 0 {
		t.Errorf("section facts taken with the kinject_reference tag")
	}
	t.Logf("section facts taken %d times, typed containers copied %d times", taken, decoded)
}

// withoutNullsReference is withoutNulls as strategicpatch's
// discardNullValuesFromPatch states it: each mapping rebuilt without its
// null members, recursively.
func withoutNullsReference(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			if x != nil {
				out[k] = withoutNullsReference(x)
			}
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = withoutNullsReference(x)
		}
		return out
	}
	return v
}

func TestWithoutNulls(t *testing.T) {
	for _, tt := range []struct {
		name, reason, doc string
	}{
		{"none", "a tree without nulls is itself", "a:\n  b: [1, 2]\n"},
		{"deep", "a null deep in a list of mappings", "v:\n- name: a\n  emptyDir:\n- name: b\n  emptyDir: {}\n"},
		{"top", "a null member at the root", "a:\nb: 1\n"},
		{"in a list", "a null list item is kept (only mapping members go)", "a: [1, null, {b: null}]\n"},
		{"empty", "empty collections stay", "a: {}\nb: []\nc: {d: null}\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v, ok := fastYAML([]byte(tt.doc))
			if !ok {
				v, _ = slowYAML([]byte(tt.doc))
			}
			before := codec.CopyTree(v)
			got := withoutNulls(v)
			if d := cmp.Diff(withoutNullsReference(v), got); d != "" {
				t.Errorf("withoutNulls differs (-reference +got):\n%s", d)
			}
			if d := cmp.Diff(before, v); d != "" {
				t.Errorf("withoutNulls modified its argument:\n%s", d)
			}
			f := &sectionFacts{stripped: map[nodeKey]any{}}
			if d := cmp.Diff(got, f.strip(v)); d != "" {
				t.Errorf("the facts' strip differs (-withoutNulls +strip):\n%s", d)
			}
		})
	}
}

// FuzzSectionFacts renders a fuzzed document (as a template holding only
// text) onto a pod with section facts and without, three times through
// one Set: the same results.
func FuzzSectionFacts(f *testing.F) {
	for _, doc := range []string{
		"metadata:\n  labels:\n    a: b\nspec:\n  initContainers:\n  - name: istio-proxy\n    image: p\n  volumes:\n  - name: v\n    emptyDir:\n",
		"spec:\n  containers:\n  - name: app\n    env:\n    - name: A\n      value: x\n  - name: istio-proxy\n    resources:\n      limits:\n        cpu: 100m\n",
		"spec:\n  volumes:\n  - name: v\n    $patch: delete\n",
		"spec:\n  containers:\n  - name: app\n    ports: {}\n",
	} {
		f.Add(doc)
	}
	pod := &corev1.Pod{Spec: corev1.PodSpec{
		Containers: []corev1.Container{{Name: "app", Image: "img"}, {Name: "istio-proxy", Image: "auto"}},
		Volumes:    []corev1.Volume{{Name: "v"}},
	}}
	f.Fuzz(func(t *testing.T, doc string) {
		if strings.Contains(doc, "{{") || strings.Contains(doc, "}}") {
			return
		}
		s, err := Parse(map[string]string{"t": doc}, Options{})
		if err != nil {
			return
		}
		d := &Data{ObjectMeta: pod.ObjectMeta, Spec: pod.Spec}
		checkFactsMatch(t, s, pod, []string{"t"}, d, 3)
	})
}

// pointers collects the address of every pointer, slice backing array and
// map v holds, with the path where it was found.
func pointers(v reflect.Value, path string, out map[uintptr]string, dup *[]string) {
	add := func(p uintptr) {
		if p == 0 {
			return
		}
		if prev, ok := out[p]; ok {
			*dup = append(*dup, prev+" and "+path)
			return
		}
		out[p] = path
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return
		}
		add(v.Pointer())
		pointers(v.Elem(), path, out, dup)
	case reflect.Slice:
		if v.Len() == 0 {
			return
		}
		add(v.Pointer())
		for i := range v.Len() {
			pointers(v.Index(i), fmt.Sprintf("%s[%d]", path, i), out, dup)
		}
	case reflect.Map:
		if v.IsNil() {
			return
		}
		add(v.Pointer())
	case reflect.Struct:
		for i := range v.NumField() {
			pointers(v.Field(i), path+"."+v.Type().Field(i).Name, out, dup)
		}
	case reflect.Interface:
		if !v.IsNil() {
			pointers(v.Elem(), path, out, dup)
		}
	}
}

// TestCopyContainer: copyContainer and copyVolumes give DeepCopyInto's
// value, sharing no memory with the source and none between two places of
// the copy (a user changing one field of an injected pod changes nothing
// else).
func TestCopyContainer(t *testing.T) {
	b, i64 := true, int64(1337)
	q := resource.MustParse("1")
	src := corev1.Container{
		Name: "istio-proxy", Args: []string{"a", "b"}, Command: []string{"c"},
		Env: []corev1.EnvVar{
			{Name: "A", Value: "x"},
			{Name: "B", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
			{Name: "C", ValueFrom: &corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "limits.cpu", Divisor: q}}},
			{Name: "D", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{Key: "k", Optional: &b}}},
		},
		Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{"cpu": q}},
		SecurityContext: &corev1.SecurityContext{
			Privileged: &b, RunAsNonRoot: &b, ReadOnlyRootFilesystem: &b, AllowPrivilegeEscalation: &b,
			RunAsUser: &i64, RunAsGroup: &i64, Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		},
	}
	vols := []corev1.Volume{
		{Name: "e", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{Medium: "Memory", SizeLimit: &q}}},
		{Name: "c", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{Optional: &b}}},
		{Name: "s", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "x"}}},
		{Name: "f", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
	}
	for _, tt := range []struct {
		name, reason string
		src, got     any
	}{
		{"container", "env sources and security context from arrays", &src, func() any { var c corev1.Container; copyContainer(&c, &src); return &c }()},
		{"empty container", "nil and empty fields stay as they are", &corev1.Container{Env: []corev1.EnvVar{}}, func() any {
			var c corev1.Container
			copyContainer(&c, &corev1.Container{Env: []corev1.EnvVar{}})
			return &c
		}()},
		{"volumes", "emptyDir and configMap sources from arrays, a nil source left as it is", vols, func() any {
			out := make([]corev1.Volume, len(vols)+1)
			m := []*corev1.Volume{&vols[0], &vols[1], &vols[2], &vols[3], nil}
			copyVolumes(out, m)
			return out[:len(vols)]
		}()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			want := reflect.New(reflect.TypeOf(tt.src).Elem())
			if reflect.TypeOf(tt.src).Kind() == reflect.Slice {
				want = reflect.ValueOf(append([]corev1.Volume(nil), vols...))
				for i := range vols {
					vols[i].DeepCopyInto(&want.Interface().([]corev1.Volume)[i])
				}
			} else {
				tt.src.(*corev1.Container).DeepCopyInto(want.Interface().(*corev1.Container))
			}
			if d := cmp.Diff(want.Interface(), tt.got); d != "" {
				t.Fatalf("differs from DeepCopyInto (-want +got):\n%s", d)
			}
			in, out := map[uintptr]string{}, map[uintptr]string{}
			var dups []string
			pointers(reflect.ValueOf(tt.src), "src", in, &dups)
			dups = nil // the source may share (b and i64 above)
			pointers(reflect.ValueOf(tt.got), "copy", out, &dups)
			for _, d := range dups {
				t.Errorf("the copy shares memory between %s", d)
			}
			for p, at := range out {
				if from, ok := in[p]; ok {
					t.Errorf("the copy's %s is the source's %s", at, from)
				}
			}
		})
	}
}
