package inject

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kinject/kinject/policy"
	"github.com/kinject/kinject/template"
	"github.com/kinject/kinject/template/meshconfig"
)

func TestDeployMetaFromPod(t *testing.T) {
	yes := true
	owned := func(kind, name string, labels map[string]string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{
			GenerateName: name + "-", Namespace: "ns", Labels: labels,
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: kind, Name: name, Controller: &yes}},
		}}
	}
	tests := []struct {
		name, reason string
		pod          *corev1.Pod
		wantName     string
		wantKind     string
	}{
		{"bare pod", "a pod without a controller is its own workload", &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns"}}, "p", "Pod"},
		{"replicaset with hash", "a ReplicaSet's pod with pod-template-hash belongs to the Deployment",
			owned("ReplicaSet", "web-5d8f", map[string]string{"pod-template-hash": "5d8f"}), "web", "Deployment"},
		{"replicaset without hash", "a bare ReplicaSet is the workload", owned("ReplicaSet", "web-5d8f", nil), "web-5d8f", "ReplicaSet"},
		{"cronjob's job", "a Job named <name>-<8 to 10 digits> belongs to the CronJob", owned("Job", "backup-28345678", nil), "backup", "CronJob"},
		{"plain job", "a Job with another suffix is the workload", owned("Job", "backup-1", nil), "backup-1", "Job"},
		{"deploymentconfig", "an OpenShift ReplicationController's pod belongs to its DeploymentConfig",
			owned("ReplicationController", "app-3", map[string]string{"deploymentconfig": "app"}), "app", "DeploymentConfig"},
		{"statefulset", "other controllers are the workload", owned("StatefulSet", "db", nil), "db", "StatefulSet"},
		{"non-controller owner", "only the controller reference counts",
			&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", GenerateName: "p-", OwnerReferences: []metav1.OwnerReference{{Kind: "ReplicaSet", Name: "x"}}}}, "p", "Pod"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dm, tm := deployMetaFromPod(tt.pod)
			if dm.Name != tt.wantName || tm.Kind != tt.wantKind {
				t.Errorf("got %s %q, want %s %q (%s)", tm.Kind, dm.Name, tt.wantKind, tt.wantName, tt.reason)
			}
			if dm != (types.NamespacedName{Namespace: tt.pod.Namespace, Name: dm.Name}) {
				t.Errorf("namespace %q, want the pod's %q", dm.Namespace, tt.pod.Namespace)
			}
		})
	}
}

func TestImages(t *testing.T) {
	values := func(variant, image string) map[string]any {
		return map[string]any{"global": map[string]any{
			"hub": "reg.io/istio", "tag": "1.27.1", "variant": variant,
			"proxy": map[string]any{"image": image}, "proxy_init": map[string]any{"image": "proxyv2"},
		}}
	}
	tests := []struct {
		name, reason string
		values       map[string]any
		ann          map[string]string
		pc           *meshconfig.ProxyConfig
		want         string
	}{
		{"plain", "hub/image:tag", values("", "proxyv2"), nil, nil, "reg.io/istio/proxyv2:1.27.1"},
		{"variant", "values.global.variant suffixes the tag", values("distroless", "proxyv2"), nil, nil, "reg.io/istio/proxyv2:1.27.1-distroless"},
		{"default variant", "the type default adds nothing", values("default", "proxyv2"), nil, nil, "reg.io/istio/proxyv2:1.27.1"},
		{"proxy config type", "the proxy config's image.imageType wins over the values",
			values("distroless", "proxyv2"), nil, &meshconfig.ProxyConfig{Image: &meshconfig.ProxyImage{ImageType: "debug"}}, "reg.io/istio/proxyv2:1.27.1-debug"},
		{"annotation type", "the pod's proxyImageType annotation wins over both",
			values("distroless", "proxyv2"), map[string]string{annProxyImageType: "default"}, &meshconfig.ProxyConfig{Image: &meshconfig.ProxyImage{ImageType: "debug"}}, "reg.io/istio/proxyv2:1.27.1"},
		{"full reference", "an image with a slash is used as is", values("debug", "other.io/p:2"), nil, nil, "other.io/p:2"},
		{"no values", "without values the image is the bare name", nil, nil, nil, "proxyv2"},
		{"suffix replaced", "a type suffix already on the tag is replaced, and removed for default",
			map[string]any{"global": map[string]any{"hub": "h", "tag": "1.2-distroless"}}, map[string]string{annProxyImageType: "default"}, nil, "h/proxyv2:1.2"},
		{"suffix swapped", "distroless on the tag becomes debug",
			map[string]any{"global": map[string]any{"hub": "h", "tag": "1.2-distroless"}}, map[string]string{annProxyImageType: "debug"}, nil, "h/proxyv2:1.2-debug"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			i := &Injector{cfg: Config{Values: tt.values}}
			got, _ := i.images(tt.ann, tt.pc)
			if got != tt.want {
				t.Errorf("image = %q, want %q (%s)", got, tt.want, tt.reason)
			}
		})
	}
}

func TestOpenshiftIDs(t *testing.T) {
	tests := []struct {
		name, reason string
		ann          map[string]string
		uid, gid     int64
		wantErr      string
	}{
		{"slash ranges", "<start>/<size>: the last ID of the range", map[string]string{annUIDRange: "1000620000/10000", annSupplementalGID: "2000/10"}, 1000629999, 2009, ""},
		{"dash range", "<start>-<end>", map[string]string{annUIDRange: "5000-5999"}, 5999, 5999, ""},
		{"several", "the first of several ranges is used", map[string]string{annUIDRange: "100/10,500/10"}, 109, 109, ""},
		{"none", "no annotations: the template's default applies", nil, 0, 0, ""},
		{"bad", "a malformed range is an error naming the annotation", map[string]string{annUIDRange: "lots"}, 0, 0, annUIDRange},
		{"empty size", "a zero-sized range is an error", map[string]string{annUIDRange: "100/0"}, 0, 0, "not a range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			uid, gid, err := openshiftIDs(tt.ann)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q (%s)", err, tt.wantErr, tt.reason)
				}
				return
			}
			if err != nil || uid != tt.uid || gid != tt.gid {
				t.Errorf("got %d/%d (%v), want %d/%d (%s)", uid, gid, err, tt.uid, tt.gid, tt.reason)
			}
		})
	}
}

func TestMoveContainer(t *testing.T) {
	cs := func(names ...string) []corev1.Container {
		out := make([]corev1.Container, len(names))
		for k, n := range names {
			out[k].Name = n
		}
		return out
	}
	names := func(c []corev1.Container) []string {
		var out []string
		for _, x := range c {
			out = append(out, x.Name)
		}
		return out
	}
	tests := []struct {
		name, reason string
		in           []corev1.Container
		move         string
		first        bool
		want         []string
	}{
		{"last", "istio-proxy goes last by default", cs("istio-proxy", "a", "b"), "istio-proxy", false, []string{"a", "b", "istio-proxy"}},
		{"first", "and first when it holds the application", cs("a", "istio-proxy", "b"), "istio-proxy", true, []string{"istio-proxy", "a", "b"}},
		{"absent", "a missing container changes nothing", cs("a", "b"), "istio-proxy", true, []string{"a", "b"}},
		{"first-already", "a container first already stays", cs("istio-proxy", "a"), "istio-proxy", true, []string{"istio-proxy", "a"}},
		{"last-already", "a container last already stays", cs("a", "istio-proxy"), "istio-proxy", false, []string{"a", "istio-proxy"}},
		{"middle-last", "from the middle to the end", cs("a", "istio-proxy", "b"), "istio-proxy", false, []string{"a", "b", "istio-proxy"}},
		{"alone", "the only container is in its place either way", cs("istio-proxy"), "istio-proxy", false, []string{"istio-proxy"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := names(tt.in)
			if d := cmp.Diff(tt.want, names(moveContainer(tt.in, tt.move, tt.first))); d != "" {
				t.Errorf("%s:\n%s", tt.reason, d)
			}
			if d := cmp.Diff(before, names(tt.in)); d != "" {
				t.Errorf("%s: the input was modified:\n%s", tt.reason, d)
			}
		})
	}
}

func TestPrometheusMerge(t *testing.T) {
	merged := map[string]string{annPromScrape: "true", annPromPort: "15020", annPromPath: "/stats/prometheus"}
	with := func(m map[string]string, kv ...string) map[string]string {
		out := map[string]string{}
		for k, v := range m {
			out[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	v129 := policy.Release{Major: 1, Minor: 29, Patch: 6}
	v123 := policy.Release{Major: 1, Minor: 23, Patch: 6}
	tests := []struct {
		name, reason string
		rel          policy.Release // zero: newest
		meshOff      bool           // the mesh's enablePrometheusMerge is false
		ann          map[string]string
		proxyEnv     map[string]string
		wantAnn      map[string]string
		wantEnv      string
		wantErr      string
	}{
		{name: "none", reason: "without settings the proxy's endpoint is announced and nothing is recorded",
			wantAnn: merged},
		{name: "settings move", reason: "the application's settings move to ISTIO_PROMETHEUS_ANNOTATIONS, the empty path included",
			ann: map[string]string{annPromScrape: "true", annPromPort: "9090"}, wantAnn: merged, wantEnv: `{"scrape":"true","path":"","port":"9090"}`},
		{name: "settings move 1.23", reason: "every release keeps the empty members", rel: v123,
			ann: map[string]string{annPromScrape: "true", annPromPort: "8080"}, wantAnn: merged, wantEnv: `{"scrape":"true","path":"","port":"8080"}`},
		{name: "path only", reason: "an empty port is written too",
			ann: map[string]string{annPromScrape: "true", annPromPath: "/m"}, wantAnn: merged, wantEnv: `{"scrape":"true","path":"/m","port":""}`},
		{name: "dotted spelling", reason: "prometheus.io.port is the same label as prometheus.io/port and is cleared",
			ann: map[string]string{"prometheus.io.port": "9000"}, wantAnn: merged, wantEnv: `{"scrape":"","path":"","port":"9000"}`},
		{name: "scrape false", reason: "scraping switched off leaves everything alone",
			ann: map[string]string{"prometheus.io.scrape": "false"}, wantAnn: map[string]string{"prometheus.io.scrape": "false"}},
		{name: "not a bool", reason: "a scrape value that is not a bool is ignored, as Istio does",
			ann: map[string]string{annPromScrape: "maybe"}, wantAnn: merged, wantEnv: `{"scrape":"maybe","path":"","port":""}`},
		{name: "opt out", reason: "prometheus.istio.io/merge-metrics false opts out",
			ann: map[string]string{annPromMerge: "false", annPromPort: "9090"}, wantAnn: map[string]string{annPromMerge: "false", annPromPort: "9090"}},
		{name: "opt in", reason: "prometheus.istio.io/merge-metrics true wins over the mesh's setting, as in Istio", meshOff: true,
			ann: map[string]string{annPromMerge: "true"}, wantAnn: with(merged, annPromMerge, "true")},
		{name: "mesh off", reason: "the mesh's enablePrometheusMerge false leaves the pod alone", meshOff: true,
			ann: map[string]string{annPromPort: "9090"}, wantAnn: map[string]string{annPromPort: "9090"}},
		{name: "already merged", reason: "a pod already pointing at the proxy is left alone",
			ann: map[string]string{annPromPort: "15020"}, wantAnn: map[string]string{annPromPort: "15020"}},
		{name: "bad port", reason: "the newest release refuses a port that is not a number, naming the annotation",
			ann: map[string]string{annPromScrape: "true", annPromPort: "http"}, wantErr: `invalid annotation prometheus.io/port="http": not a port number`},
		{name: "bad port 1.29", reason: "1.29 copies the port as it is", rel: v129,
			ann: map[string]string{annPromScrape: "true", annPromPort: "http"}, wantAnn: merged, wantEnv: `{"scrape":"true","path":"","port":"http"}`},
		{name: "targets", reason: "scrape-targets move to the proxy; an empty path is /metrics, the first target fills port and path, scrape stays empty",
			ann: map[string]string{annPromTargets: "8080:/stats, 9090"}, wantAnn: merged,
			wantEnv: `{"scrape":"","path":"/stats","port":"8080","targets":[{"port":"8080","path":"/stats"},{"port":"9090","path":"/metrics"}]}`},
		{name: "targets with port", reason: "an explicit prometheus.io/port and path win over the first target",
			ann: map[string]string{annPromScrape: "true", annPromPort: "7070", annPromTargets: "8080:/stats"}, wantAnn: merged,
			wantEnv: `{"scrape":"true","path":"/stats","port":"7070","targets":[{"port":"8080","path":"/stats"}]}`},
		{name: "malformed target", reason: "PORT/PATH without the colon is an error",
			ann: map[string]string{annPromTargets: "8080/metrics,9090/stats"}, wantErr: `invalid annotation prometheus.istio.io/scrape-targets="8080/metrics,9090/stats": target "8080/metrics": port "8080/metrics" is not a port number`},
		{name: "empty target port", reason: "a target needs its port",
			ann: map[string]string{annPromTargets: ":/metrics"}, wantErr: `port "" is not a port number`},
		{name: "targets 1.29", reason: "1.29 does not know scrape-targets: the annotation stays and nothing is recorded", rel: v129,
			ann: map[string]string{annPromTargets: "8080/metrics"}, wantAnn: with(merged, annPromTargets, "8080/metrics")},
		{name: "secure port", reason: "the newest release announces the proxy's secure merged port",
			proxyEnv: map[string]string{envSecureMerged: "15091"}, wantAnn: with(merged, annPromSecurePort, "15091")},
		{name: "secure port zero", reason: "0 is the proxy's default and means no secure port",
			proxyEnv: map[string]string{envSecureMerged: "0"}, wantAnn: merged},
		{name: "secure port 1.29", reason: "before 1.31 nothing announces it", rel: v129,
			proxyEnv: map[string]string{envSecureMerged: "15091"}, wantAnn: merged},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mesh := meshconfig.DefaultMeshConfig()
			if tt.meshOff {
				var err error
				if mesh, err = meshconfig.ParseMeshConfig([]byte("enablePrometheusMerge: false")); err != nil {
					t.Fatal(err)
				}
			}
			i := &Injector{mesh0: mesh, cfg: Config{Release: tt.rel}}
			proxy := corev1.Container{Name: proxyContainer}
			for _, k := range sortedKeys(tt.proxyEnv) {
				proxy.Env = append(proxy.Env, corev1.EnvVar{Name: k, Value: tt.proxyEnv[k]})
			}
			pod := &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{proxy}}}
			pod.Annotations = map[string]string{}
			for k, v := range tt.ann {
				pod.Annotations[k] = v
			}
			err := i.prometheusMerge(pod, 15020)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrInvalidAnnotation) {
					t.Fatalf("%s: err = %v, want ErrInvalidAnnotation containing %q", tt.reason, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := tt.wantAnn
			if want == nil {
				want = map[string]string{}
			}
			if d := cmp.Diff(want, pod.Annotations); d != "" {
				t.Errorf("%s: annotations (-want +got):\n%s", tt.reason, d)
			}
			if env := envValue(&pod.Spec.Containers[0], envPromAnn); env != tt.wantEnv {
				t.Errorf("%s: env = %q, want %q", tt.reason, env, tt.wantEnv)
			}
		})
	}
}

// TestResourceWarningScope: resource warnings (a request without a limit, a
// limit without a request) are given for the containers the injection added
// or changed only; resource errors for every container.
func TestResourceWarningScope(t *testing.T) {
	res := func(req, lim string) corev1.ResourceRequirements {
		var r corev1.ResourceRequirements
		if req != "" {
			r.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(req)}
		}
		if lim != "" {
			r.Limits = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(lim)}
		}
		return r
	}
	// What the sidecar's own resources (see the Injector below) draw.
	sidecar50 := []string{
		`container "istio-init": cpu request 50m has no limit, so its cpu limit is unbounded; set the limit explicitly`,
		`container "istio-proxy": cpu request 50m has no limit, so its cpu limit is unbounded; set the limit explicitly`,
	}
	tests := []struct {
		name, reason string
		ann          map[string]string
		containers   []corev1.Container
		want         []string
		wantErr      string
	}{
		{"app without limit", "the user's own choice is not warned about on every pod",
			nil, []corev1.Container{{Name: "app", Image: "app", Resources: res("100m", "")}}, sidecar50, ""},
		{"app limit without request", "likewise the other half",
			nil, []corev1.Container{{Name: "app", Image: "app", Resources: res("", "1")}}, sidecar50, ""},
		{"sidecar request without limit", "the seed: values that request CPU for the sidecar without a limit leave it unbounded, which is warned about (init container too)",
			nil, []corev1.Container{{Name: "app", Image: "app"}}, sidecar50, ""},
		{"proxyCPU over values", "the annotation's request is the one named",
			map[string]string{"sidecar.istio.io/proxyCPU": "250m"}, []corev1.Container{{Name: "app", Image: "app"}},
			[]string{
				`container "istio-init": cpu request 250m has no limit, so its cpu limit is unbounded; set the limit explicitly`,
				`container "istio-proxy": cpu request 250m has no limit, so its cpu limit is unbounded; set the limit explicitly`,
			}, ""},
		{"user istio-proxy override", "a sidecar the user declared is still the injection's container",
			nil, []corev1.Container{{Name: "app", Image: "app"}, {Name: "istio-proxy", Image: "auto", Resources: res("300m", "")}},
			[]string{
				`container "istio-init": cpu request 50m has no limit, so its cpu limit is unbounded; set the limit explicitly`,
				`container "istio-proxy": cpu request 300m has no limit, so its cpu limit is unbounded; set the limit explicitly`,
			}, ""},
		{"app request above limit", "errors are for every container: the API server would refuse the pod",
			nil, []corev1.Container{{Name: "app", Image: "app", Resources: res("2", "1")}}, nil, `container "app": cpu request 2 exceeds limit 1`},
	}
	// The embedded values give the sidecar a CPU limit; these request 50m
	// without one, so that the sidecar's warnings show.
	inj := newTestInjector(t, func(c *Config) {
		v, err := json.Marshal(c.Values)
		if err != nil {
			t.Fatal(err)
		}
		var values map[string]any
		if err := json.Unmarshal(v, &values); err != nil {
			t.Fatal(err)
		}
		values["global"].(map[string]any)["proxy"].(map[string]any)["resources"] = map[string]any{"requests": map[string]any{"cpu": "50m"}}
		c.Values = values
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "shop", Annotations: tt.ann},
				Spec: corev1.PodSpec{Containers: tt.containers}}
			r, err := inj.InjectPod(context.Background(), PodRequest{Pod: pod})
			if tt.wantErr != "" {
				var re *template.ResourceError
				if err == nil || !errors.As(err, &re) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want a *template.ResourceError %q (%s)", err, tt.wantErr, tt.reason)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, w := range r.Warnings {
				if strings.HasPrefix(w, "container ") {
					got = append(got, w)
				}
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("resource warnings (-want +got) (%s):\n%s", tt.reason, d)
			}
		})
	}
}

func TestSameResources(t *testing.T) {
	rl := func(kv ...string) corev1.ResourceList {
		l := corev1.ResourceList{}
		for i := 0; i < len(kv); i += 2 {
			l[corev1.ResourceName(kv[i])] = resource.MustParse(kv[i+1])
		}
		return l
	}
	tests := []struct {
		name, reason string
		a, b         corev1.ResourceRequirements
		want         bool
	}{
		{"empty", "nothing on either side", corev1.ResourceRequirements{}, corev1.ResourceRequirements{}, true},
		{"same value", "quantities compare by value, not spelling", corev1.ResourceRequirements{Requests: rl("cpu", "1")}, corev1.ResourceRequirements{Requests: rl("cpu", "1000m")}, true},
		{"other value", "a changed request", corev1.ResourceRequirements{Requests: rl("cpu", "1")}, corev1.ResourceRequirements{Requests: rl("cpu", "2")}, false},
		{"added limit", "a limit the injection added", corev1.ResourceRequirements{Requests: rl("cpu", "1")}, corev1.ResourceRequirements{Requests: rl("cpu", "1"), Limits: rl("cpu", "1")}, false},
		{"other resource", "same count, different names", corev1.ResourceRequirements{Limits: rl("cpu", "1")}, corev1.ResourceRequirements{Limits: rl("memory", "1")}, false},
		{"claims", "claims compared too", corev1.ResourceRequirements{Claims: []corev1.ResourceClaim{{Name: "gpu"}}}, corev1.ResourceRequirements{}, false},
	}
	for _, tt := range tests {
		if got := sameResources(&tt.a, &tt.b); got != tt.want {
			t.Errorf("%s: sameResources = %v, want %v (%s)", tt.name, got, tt.want, tt.reason)
		}
	}
}
