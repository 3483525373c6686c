package codec

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// sidecarSpec is a pod spec shaped like an injected Istio pod's: what
// package patch encodes member by member for a webhook pod (an
// istio-proxy container with many env entries, mounts, quantities, a
// probe and a security context; an init container; the sidecar's
// volumes).
func sidecarSpec() *corev1.PodSpec {
	yes, no := true, false
	uid := int64(1337)
	expiry := int64(43200)
	mode := int32(420)
	var env []corev1.EnvVar
	for i := range 24 {
		env = append(env, corev1.EnvVar{Name: fmt.Sprintf("ISTIO_META_%d", i), Value: fmt.Sprintf("value-%d", i)})
	}
	for _, path := range []string{"metadata.name", "metadata.namespace", "status.podIP", "spec.serviceAccountName"} {
		env = append(env, corev1.EnvVar{Name: "POD_" + path, ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: path}}})
	}
	env = append(env, corev1.EnvVar{Name: "ISTIO_META_APP_CONTAINERS", Value: "hello"},
		corev1.EnvVar{Name: "PROXY_CONFIG", Value: `{"discoveryAddress":"istiod.istio-system.svc:15012","tracing":{"zipkin":{"address":"zipkin.istio-system:9411"}}}`})
	var mounts []corev1.VolumeMount
	for _, m := range []string{"workload-socket", "credential-socket", "workload-certs", "istio-envoy", "istio-data", "istio-podinfo", "istio-token", "istiod-ca-cert"} {
		mounts = append(mounts, corev1.VolumeMount{Name: m, MountPath: "/var/run/" + m, ReadOnly: m == "istio-token"})
	}
	resources := corev1.ResourceRequirements{
		Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2"), corev1.ResourceMemory: resource.MustParse("1Gi")},
		Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")},
	}
	security := &corev1.SecurityContext{
		AllowPrivilegeEscalation: &no, Privileged: &no, ReadOnlyRootFilesystem: &yes,
		RunAsNonRoot: &yes, RunAsUser: &uid, RunAsGroup: &uid,
		Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
	}
	return &corev1.PodSpec{
		InitContainers: []corev1.Container{{
			Name: "istio-init", Image: "docker.io/istio/proxyv2:1.22.0",
			Args:      []string{"istio-iptables", "-p", "15001", "-z", "15006", "-u", "1337", "-m", "REDIRECT", "-i", "*", "-x", "", "-b", "*", "-d", "15090,15021,15020"},
			Resources: resources, SecurityContext: security,
		}},
		Containers: []corev1.Container{
			{Name: "hello", Image: "hello:1", Ports: []corev1.ContainerPort{{ContainerPort: 8080, Protocol: corev1.ProtocolTCP}}},
			{
				Name: "istio-proxy", Image: "docker.io/istio/proxyv2:1.22.0",
				Args:  []string{"proxy", "sidecar", "--domain", "$(POD_NAMESPACE).svc.cluster.local", "--proxyLogLevel=warning", "--log_output_level=default:info"},
				Ports: []corev1.ContainerPort{{Name: "http-envoy-prom", ContainerPort: 15090, Protocol: corev1.ProtocolTCP}, {Name: "status-port", ContainerPort: 15021, Protocol: corev1.ProtocolTCP}},
				Env:   env, Resources: resources, VolumeMounts: mounts,
				ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz/ready", Port: intstr.FromInt32(15021)}},
					InitialDelaySeconds: 1, PeriodSeconds: 2, TimeoutSeconds: 3, FailureThreshold: 30},
				SecurityContext:          security,
				TerminationMessagePath:   "/dev/termination-log",
				TerminationMessagePolicy: corev1.TerminationMessageReadFile,
				ImagePullPolicy:          corev1.PullIfNotPresent,
			},
		},
		Volumes: []corev1.Volume{
			{Name: "workload-socket", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
			{Name: "istio-envoy", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory}}},
			{Name: "istio-podinfo", VolumeSource: corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{Items: []corev1.DownwardAPIVolumeFile{
				{Path: "labels", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.labels"}},
				{Path: "annotations", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.annotations"}},
			}}}},
			{Name: "istio-token", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
				{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Audience: "istio-ca", ExpirationSeconds: &expiry, Path: "istio-token"}},
			}}}},
			{Name: "istiod-ca-cert", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "istio-ca-root-cert"}, DefaultMode: &mode}}},
		},
	}
}

// BenchmarkEncodeContainers encodes what package patch encodes for an
// injected pod: its containers and volumes (the container-heavy values).
func BenchmarkEncodeContainers(b *testing.B) {
	spec := sidecarSpec()
	for _, bb := range []struct {
		name string
		fn   func(buf []byte) ([]byte, bool)
	}{
		{"fast", func(buf []byte) ([]byte, bool) {
			buf, ok := AppendJSON(buf, &spec.Containers)
			if !ok {
				return buf, false
			}
			buf, ok = AppendJSON(buf, &spec.InitContainers)
			if !ok {
				return buf, false
			}
			return AppendJSON(buf, &spec.Volumes)
		}},
		{"encoding-json", func(buf []byte) ([]byte, bool) {
			for _, v := range []any{&spec.Containers, &spec.InitContainers, &spec.Volumes} {
				j, err := json.Marshal(v)
				if err != nil {
					return buf, false
				}
				buf = append(buf, j...)
			}
			return buf, true
		}},
	} {
		b.Run(bb.name, func(b *testing.B) {
			buf := make([]byte, 0, 16<<10)
			b.ReportAllocs()
			for b.Loop() {
				var ok bool
				if buf, ok = bb.fn(buf[:0]); !ok && Fast {
					b.Fatal("declined")
				}
			}
			b.SetBytes(int64(len(buf)))
		})
	}
}

func checkBase64(t testing.TB, src []byte) {
	t.Helper()
	want := "x" + base64.StdEncoding.EncodeToString(src)
	if got := string(appendBase64([]byte("x"), src)); got != want {
		t.Fatalf("appendBase64(%x) = %s, base64.StdEncoding %s", src, got, want)
	}
}

func TestAppendBase64(t *testing.T) {
	// Every length around the eight-byte steps and the three-byte tail,
	// with every byte value somewhere.
	src := make([]byte, 300)
	for i := range src {
		src[i] = byte(i*7 + i>>8)
	}
	for n := range src {
		checkBase64(t, src[:n])
		checkBase64(t, src[len(src)-n:])
	}
}

func FuzzAppendBase64(f *testing.F) {
	for _, s := range []string{"", "a", "ab", "abc", "abcdefgh", "\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) { checkBase64(t, src) })
}

// BenchmarkAppendBase64 writes a patch-sized []byte as a review response
// carries it, with appendBase64 and with encoding/base64.
func BenchmarkAppendBase64(b *testing.B) {
	src := make([]byte, 12<<10)
	for i := range src {
		src[i] = byte(i * 7)
	}
	buf := make([]byte, 0, base64.StdEncoding.EncodedLen(len(src)))
	b.Run("fast", func(b *testing.B) {
		b.SetBytes(int64(len(src)))
		for b.Loop() {
			buf = appendBase64(buf[:0], src)
		}
	})
	b.Run("encoding-base64", func(b *testing.B) {
		b.SetBytes(int64(len(src)))
		for b.Loop() {
			buf = base64.StdEncoding.AppendEncode(buf[:0], src)
		}
	})
}
