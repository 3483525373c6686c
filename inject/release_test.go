package inject

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/kinject/kinject/policy"
	"github.com/kinject/kinject/template"
)

func release(s string) policy.Release {
	r, err := policy.ParseRelease(s)
	if err != nil {
		panic(err)
	}
	return r
}

// Each per-release rule on both sides of its boundary, and for the newest
// (zero) release.
func TestReleaseRules(t *testing.T) {
	rules := []struct {
		name       string
		rule       func(policy.Release) bool
		last, next string // the last release on one side, the first on the other
		newest     bool   // the rule's value for the zero Release
		why        string
	}{
		{"lifecycle hooks", rewritesLifecycleHooks, "1.24.9", "1.25.0", true, "hooks go through the status port from 1.25"},
		{"core dump bool", validatesCoreDump, "1.24.9", "1.25.0", false, "enableCoreDump is a checked boolean up to 1.24"},
		{"null creationTimestamp", printsNullCreationTimestamp, "1.27.5", "1.28.0", false, "1.27 was the last release built with apimachinery before v0.34"},
		{"interface names", validatesInterfaceNames, "1.29.6", "1.30.0", true, "excludeInterfaces is checked from 1.30 (after 1.29.6, which does not)"},
		{"prometheus targets", prometheusTargets, "1.30.2", "1.31.0", true, "scrape-targets, port check and secure port shipped in 1.31"},
	}
	for _, r := range rules {
		last, next := r.rule(release(r.last)), r.rule(release(r.next))
		if last == next {
			t.Errorf("%s: %s and %s both give %v; the rule changes between them (%s)", r.name, r.last, r.next, last, r.why)
		}
		if got := r.rule(policy.Release{}); got != r.newest || got != next {
			t.Errorf("%s: newest gives %v, want %v, the same as %s (%s)", r.name, got, r.newest, r.next, r.why)
		}
		if r.rule(release("1.23.6")) != last {
			t.Errorf("%s: 1.23.6 differs from %s (%s)", r.name, r.last, r.why)
		}
	}
	if c := annotationChecks(release("1.23.6")); c != (template.AnnotationChecks{Release: "Istio 1.23.6", BoolCoreDump: true, LaxInterfaces: true}) {
		t.Errorf("1.23.6 annotation checks = %+v", c)
	}
	if c := annotationChecks(policy.Release{}); c != (template.AnnotationChecks{}) {
		t.Errorf("newest annotation checks = %+v, want the zero value (the newest checks)", c)
	}
}

func TestReleaseFromValues(t *testing.T) {
	tests := []struct {
		name    string
		values  map[string]any
		want    policy.Release
		wantErr string
		why     string
	}{
		{"tag", map[string]any{"global": map[string]any{"tag": "1.23.6"}}, release("1.23.6"), "", "the dumps of istio-releases"},
		{"asm tag", map[string]any{"global": map[string]any{"tag": "1.23.3-asm.2"}}, release("1.23.3"), "", "Anthos Service Mesh"},
		{"distroless", map[string]any{"global": map[string]any{"tag": "1.26.8-distroless"}}, release("1.26.8"), "", "image variant"},
		{"latest", map[string]any{"global": map[string]any{"tag": "latest"}}, policy.Release{}, "", "the corpus's tag: a build of the main branch"},
		{"no values", nil, policy.Release{}, "", "nothing said: newest"},
		{"dev tag", map[string]any{"global": map[string]any{"tag": "master-abc"}}, policy.Release{}, "values.global.tag: not an Istio release", "newest, with an error to print as a note"},
		{"image tag", map[string]any{"global": map[string]any{"proxy": map[string]any{"image": "gcr.io/x/proxyv2:1.24.1"}}}, release("1.24.1"), "", "a full image reference when the tag is empty"},
		{"image name", map[string]any{"global": map[string]any{"proxy": map[string]any{"image": "proxyv2"}}}, policy.Release{}, "", "an image name alone says nothing"},
		{"registry port", map[string]any{"global": map[string]any{"proxy": map[string]any{"image": "registry:5000/proxyv2"}}}, policy.Release{}, "", "a registry's port is not a tag"},
		{"digest", map[string]any{"global": map[string]any{"proxy": map[string]any{"image": "proxyv2@sha256:abc"}}}, policy.Release{}, "", "a digest names no release"},
		{"tag wins", map[string]any{"global": map[string]any{"tag": "1.26.8", "proxy": map[string]any{"image": "x/proxyv2:1.23.6"}}}, release("1.26.8"), "", "values.global.tag first"},
	}
	for _, tc := range tests {
		got, err := ReleaseFromValues(tc.values)
		if got != tc.want {
			t.Errorf("%s: release %v, want %v (%s)", tc.name, got, tc.want, tc.why)
		}
		if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.Is(err, policy.ErrRelease)) {
			t.Errorf("%s: error %v, want %q (%s)", tc.name, err, tc.wantErr, tc.why)
		}
	}
	cfg, err := LoadConfig(nil, []byte(`{"global":{"tag":"1.26.8"}}`), nil)
	if err != nil || cfg.Release != release("1.26.8") {
		t.Errorf("LoadConfig: Release %v, %v; want 1.26.8 from values.global.tag", cfg.Release, err)
	}
}

func TestTemplateEnv(t *testing.T) {
	tests := []struct {
		name   string
		native bool
		env    map[string]string
		want   map[string]string
		why    string
	}{
		{"off", false, nil, nil, "nothing set, nothing added: old templates default to false"},
		{"on", true, nil, map[string]string{"ENABLE_NATIVE_SIDECARS": "true"}, "an old template reads the setting from env"},
		{"on with env", true, map[string]string{"A": "b"}, map[string]string{"A": "b", "ENABLE_NATIVE_SIDECARS": "true"}, "added to the caller's env"},
		{"explicit env wins", true, map[string]string{"ENABLE_NATIVE_SIDECARS": "false"}, map[string]string{"ENABLE_NATIVE_SIDECARS": "false"}, "Config.Env says otherwise"},
	}
	for _, tc := range tests {
		cfg := &Config{NativeSidecars: tc.native, Env: tc.env}
		if d := cmp.Diff(tc.want, templateEnv(cfg)); d != "" {
			t.Errorf("%s: (-want +got)\n%s(%s)", tc.name, d, tc.why)
		}
		if tc.env == nil && cfg.Env != nil || tc.env != nil && len(cfg.Env) != len(tc.env) {
			t.Errorf("%s: Config.Env modified", tc.name)
		}
	}
}

// TestNullCreationTimestamps: an old release prints creationTimestamp: null
// in every object metadata a manifest holds, a newer one in none, and a
// timestamp the user set is printed as it is in both, whichever
// apimachinery kinject is built with.
func TestNullCreationTimestamps(t *testing.T) {
	set := metav1.NewTime(time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC))
	stand := metav1.NewTime(time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC)) // the first stand-in the encoder tries
	cron := &batchv1.CronJob{TypeMeta: metav1.TypeMeta{APIVersion: "batch/v1", Kind: "CronJob"}, ObjectMeta: metav1.ObjectMeta{Name: "c", CreationTimestamp: stand}}
	sts := &appsv1.StatefulSet{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "StatefulSet"}, ObjectMeta: metav1.ObjectMeta{Name: "s"},
		Spec: appsv1.StatefulSetSpec{VolumeClaimTemplates: []corev1.PersistentVolumeClaim{{ObjectMeta: metav1.ObjectMeta{Name: "data"}}, {ObjectMeta: metav1.ObjectMeta{Name: "logs", CreationTimestamp: set}}}}}
	sts.Spec.Template.Spec.Volumes = []corev1.Volume{{Name: "eph", VolumeSource: corev1.VolumeSource{Ephemeral: &corev1.EphemeralVolumeSource{VolumeClaimTemplate: &corev1.PersistentVolumeClaimTemplate{}}}}}
	list := &corev1.List{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "List"}, Items: []runtime.RawExtension{
		{Object: &corev1.Pod{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"}, ObjectMeta: metav1.ObjectMeta{Name: "p"}}},
		{Raw: []byte(`{"apiVersion":"v1","kind":"Service","metadata":{"name":"svc"}}`)},
	}}
	tests := []struct {
		name      string
		obj       any
		nulls     int // creationTimestamp: null lines for an old release
		preserved []string
		why       string
	}{
		{"cron job", cron, 2, []string{`creationTimestamp: "0001-01-01T00:00:01Z"`}, "job template and pod template; the object's own time, equal to the first stand-in, is kept"},
		{"stateful set", sts, 4, []string{`creationTimestamp: "2024-05-01T12:00:00Z"`}, "object, pod template, a claim template and an ephemeral claim template; a set time is kept"},
		{"list", list, 1, nil, "a decoded List item's metadata (ListMeta has no timestamp; a raw item is copied as it is)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, old := range []bool{true, false} {
				out, err := marshalObject(tc.obj, old)
				if err != nil {
					t.Fatal(err)
				}
				want := 0
				if old {
					want = tc.nulls
				}
				if got := strings.Count(string(out), "creationTimestamp: null"); got != want {
					t.Errorf("old release %v: %d null timestamps, want %d (%s):\n%s", old, got, want, tc.why, out)
				}
				for _, p := range tc.preserved {
					if !strings.Contains(string(out), p) {
						t.Errorf("old release %v: %q lost (%s):\n%s", old, p, tc.why, out)
					}
				}
			}
		})
	}
	// The object is left as it was.
	if !sts.CreationTimestamp.IsZero() || !sts.Spec.VolumeClaimTemplates[0].CreationTimestamp.IsZero() || !cron.CreationTimestamp.Equal(&stand) {
		t.Errorf("marshalWithNullTimestamps changed the object")
	}
}

// A workload the policy skips is still re-serialised, with the release's
// timestamps: istioctl 1.23 prints null there too.
func TestNullCreationTimestampsSkipped(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Release = release("1.26.8")
	inj, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	in := "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  selector: {matchLabels: {app: d}}\n  template:\n    metadata:\n      labels: {app: d, sidecar.istio.io/inject: \"no\"}\n    spec:\n      containers: [{name: app, image: app}]\n"
	res, err := inj.InjectManifests(context.Background(), []byte(in), ManifestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Skipped != 1 || strings.Count(string(res.Output), "creationTimestamp: null") != 2 {
		t.Errorf("1.26 with inject=no: skipped %d, output:\n%s", res.Skipped, res.Output)
	}
}

// TestReleaseHostileValues: where an old release accepted any value
// (excludeInterfaces up to 1.29, enableCoreDump from 1.25), a hostile value
// is still refused or changes only its own fields, with that release's own
// templates (../shared/istio-releases), and a refusal names the release
// that would have accepted it.
func TestReleaseHostileValues(t *testing.T) {
	dir := releasesDir(t)
	keys := []hostileKey{
		{key: "traffic.sidecar.istio.io/excludeInterfaces", benign: "eth1", allowed: initPaths(".args")},
		{key: "sidecar.istio.io/enableCoreDump", benign: "false", allowed: nil},
	}
	seeds := append(append([]string(nil), hostileSeeds...), "eth0,bad iface!", "yes", `eth0\`, "eth0 -d 10.0.0.50 -p tcp --dport 8080")
	if testing.Short() {
		seeds = seeds[:12]
	}
	for _, tag := range probeReleases {
		t.Run(tag, func(t *testing.T) {
			inj, err := New(releaseConfig(t, dir, tag))
			if err != nil {
				t.Fatal(err)
			}
			pod := &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "app", Ports: []corev1.ContainerPort{{ContainerPort: 8080}}}}}}
			pod.Name, pod.Namespace = "web-abc", "shop"
			ht := hostileTarget{inj: inj, pod: pod}
			for _, k := range keys {
				for _, path := range []string{"pod", "review"} {
					for _, v := range seeds {
						ht.check(t, k, v, path)
					}
				}
			}
			// A break-out is refused, naming the release that accepted it.
			_, err = inj.InjectPod(context.Background(), PodRequest{Pod: ht.with(keys[0], "eth0\"\n  stdin: true")})
			if err == nil || !strings.Contains(err.Error(), "Istio "+tag+" would accept it; kinject refuses it") {
				t.Errorf("%s: break-out in excludeInterfaces: %v, want a refusal naming Istio %s", tag, err, tag)
			}
		})
	}
}

// BenchmarkMarshalObject: manual injection's encoding of one injected
// Deployment, as the newest release prints it and with an old release's
// creationTimestamp: null (the reflection walk and the stand-in time).
func BenchmarkMarshalObject(b *testing.B) {
	inj, err := New(DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	in := []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers: [{name: app, image: app, ports: [{containerPort: 8080}]}]\n")
	res, err := inj.InjectManifests(context.Background(), in, ManifestOptions{})
	if err != nil {
		b.Fatal(err)
	}
	obj := &appsv1.Deployment{}
	if err := sigsyaml.Unmarshal(res.Output, obj); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name  string
		nulls bool
	}{{"newest", false}, {"null-timestamps", true}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := marshalObject(obj, bc.nulls); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
