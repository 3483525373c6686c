package inject

import (
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"
)

func TestWithServerDefaults(t *testing.T) {
	i32 := func(v int32) *int32 { return &v }
	i64 := func(v int64) *int64 { return &v }
	yes := true
	for _, tc := range []struct {
		name, why string
		in, want  corev1.PodSpec
	}{
		{"pod spec", "the pod-level defaults fill an empty spec",
			corev1.PodSpec{},
			corev1.PodSpec{DNSPolicy: corev1.DNSClusterFirst, RestartPolicy: corev1.RestartPolicyAlways, TerminationGracePeriodSeconds: i64(30),
				SecurityContext: &corev1.PodSecurityContext{}, SchedulerName: "default-scheduler", EnableServiceLinks: &yes}},
		{"set fields stay", "a value the author set is never replaced",
			corev1.PodSpec{DNSPolicy: corev1.DNSNone, RestartPolicy: corev1.RestartPolicyNever, TerminationGracePeriodSeconds: i64(5), SchedulerName: "mine"},
			corev1.PodSpec{DNSPolicy: corev1.DNSNone, RestartPolicy: corev1.RestartPolicyNever, TerminationGracePeriodSeconds: i64(5),
				SecurityContext: &corev1.PodSecurityContext{}, SchedulerName: "mine", EnableServiceLinks: &yes}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := WithServerDefaults(&corev1.Pod{Spec: tc.in})
			if d := cmp.Diff(tc.want, got.Spec); d != "" {
				t.Errorf("%s (-want +got):\n%s", tc.why, d)
			}
		})
	}
	for _, tc := range []struct {
		name, why   string
		in          corev1.Container
		hostNetwork bool
		want        corev1.Container
	}{
		{"container", "termination message and the pull policy of a tagged image",
			corev1.Container{Image: "nginx:1.27"}, false,
			corev1.Container{Image: "nginx:1.27", ImagePullPolicy: corev1.PullIfNotPresent, TerminationMessagePath: "/dev/termination-log", TerminationMessagePolicy: "File"}},
		{"latest", "the tag latest pulls always", corev1.Container{Image: "nginx:latest"}, false,
			corev1.Container{Image: "nginx:latest", ImagePullPolicy: corev1.PullAlways, TerminationMessagePath: "/dev/termination-log", TerminationMessagePolicy: "File"}},
		{"untagged", "no tag and no digest pulls always; a registry port is not a tag", corev1.Container{Image: "registry:5000/nginx"}, false,
			corev1.Container{Image: "registry:5000/nginx", ImagePullPolicy: corev1.PullAlways, TerminationMessagePath: "/dev/termination-log", TerminationMessagePolicy: "File"}},
		{"digest", "a digest alone is not latest", corev1.Container{Image: "nginx@sha256:abc"}, false,
			corev1.Container{Image: "nginx@sha256:abc", ImagePullPolicy: corev1.PullIfNotPresent, TerminationMessagePath: "/dev/termination-log", TerminationMessagePolicy: "File"}},
		{"ports", "a port's protocol is TCP; with hostNetwork the host port is the container port",
			corev1.Container{Image: "a:1", Ports: []corev1.ContainerPort{{ContainerPort: 8080}}}, true,
			corev1.Container{Image: "a:1", ImagePullPolicy: corev1.PullIfNotPresent, TerminationMessagePath: "/dev/termination-log", TerminationMessagePolicy: "File",
				Ports: []corev1.ContainerPort{{ContainerPort: 8080, HostPort: 8080, Protocol: corev1.ProtocolTCP}}}},
		{"env and resources", "fieldRef's apiVersion is v1; a limit without a request becomes the request",
			corev1.Container{Image: "a:1",
				Env:       []corev1.EnvVar{{Name: "N", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}}},
				Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{"cpu": resource.MustParse("1")}}}, false,
			corev1.Container{Image: "a:1", ImagePullPolicy: corev1.PullIfNotPresent, TerminationMessagePath: "/dev/termination-log", TerminationMessagePolicy: "File",
				Env:       []corev1.EnvVar{{Name: "N", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.name"}}}},
				Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{"cpu": resource.MustParse("1")}, Requests: corev1.ResourceList{"cpu": resource.MustParse("1")}}}},
		{"probes and hooks", "probe timings, an httpGet's path and scheme, a grpc probe's service, in probes and lifecycle hooks",
			corev1.Container{Image: "a:1",
				ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Port: intstr.FromInt32(80)}}},
				LivenessProbe:  &corev1.Probe{ProbeHandler: corev1.ProbeHandler{GRPC: &corev1.GRPCAction{Port: 9}}},
				Lifecycle:      &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{HTTPGet: &corev1.HTTPGetAction{Port: intstr.FromInt32(80)}}}}, false,
			corev1.Container{Image: "a:1", ImagePullPolicy: corev1.PullIfNotPresent, TerminationMessagePath: "/dev/termination-log", TerminationMessagePolicy: "File",
				ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/", Scheme: "HTTP", Port: intstr.FromInt32(80)}},
					TimeoutSeconds: 1, PeriodSeconds: 10, SuccessThreshold: 1, FailureThreshold: 3},
				LivenessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{GRPC: &corev1.GRPCAction{Port: 9, Service: new(string)}},
					TimeoutSeconds: 1, PeriodSeconds: 10, SuccessThreshold: 1, FailureThreshold: 3},
				Lifecycle: &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/", Scheme: "HTTP", Port: intstr.FromInt32(80)}}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := WithServerDefaults(&corev1.Pod{Spec: corev1.PodSpec{HostNetwork: tc.hostNetwork, Containers: []corev1.Container{tc.in}, InitContainers: []corev1.Container{tc.in}}})
			for _, c := range []corev1.Container{got.Spec.Containers[0], got.Spec.InitContainers[0]} {
				if d := cmp.Diff(tc.want, c); d != "" {
					t.Errorf("%s (-want +got):\n%s", tc.why, d)
				}
			}
		})
	}
	mode := i32(0o644)
	for _, tc := range []struct {
		name, why string
		in, want  corev1.VolumeSource
	}{
		{"no source", "a volume without a source is an emptyDir", corev1.VolumeSource{}, corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
		{"secret", "file modes default to 0644", corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "s"}},
			corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "s", DefaultMode: mode}}},
		{"projected token", "a projected volume's mode and its token's expiry",
			corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "t"}}}}},
			corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{DefaultMode: mode, Sources: []corev1.VolumeProjection{{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "t", ExpirationSeconds: i64(3600)}}}}}},
		{"downward API", "the mode and the fieldRef's apiVersion",
			corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{Items: []corev1.DownwardAPIVolumeFile{{Path: "l", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.labels"}}}}},
			corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{DefaultMode: mode, Items: []corev1.DownwardAPIVolumeFile{{Path: "l", FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.labels"}}}}}},
		{"host path", "a hostPath's type is the empty HostPathUnset", corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/x"}},
			corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/x", Type: new(corev1.HostPathType)}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := WithServerDefaults(&corev1.Pod{Spec: corev1.PodSpec{Volumes: []corev1.Volume{{Name: "v", VolumeSource: tc.in}}}})
			if d := cmp.Diff(tc.want, got.Spec.Volumes[0].VolumeSource); d != "" {
				t.Errorf("%s (-want +got):\n%s", tc.why, d)
			}
		})
	}
	if WithServerDefaults(nil) != nil {
		t.Error("nil gives nil")
	}
}

// TestWithServerDefaultsOnStoredPods: on pods a real API server stored
// (the e2e fixtures), the model adds nothing: every default it knows the
// server had applied already, and it invents none the server leaves out.
func TestWithServerDefaultsOnStoredPods(t *testing.T) {
	b, err := os.ReadFile("../testdata/cluster/e2e/workloads.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Items []corev1.Pod `json:"items"`
	}
	if err := yaml.Unmarshal(b, &list); err != nil {
		t.Fatal(err)
	}
	n := 0
	for i := range list.Items {
		p := &list.Items[i]
		if p.Kind != "Pod" {
			continue
		}
		n++
		if d := cmp.Diff(p.Spec, WithServerDefaults(p).Spec); d != "" {
			t.Errorf("pod %s/%s: the model changes a stored pod (-stored +model):\n%s", p.Namespace, p.Name, d)
		}
	}
	if n == 0 {
		t.Fatal("no pods in the fixtures")
	}
}
