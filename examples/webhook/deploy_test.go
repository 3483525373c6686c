package main

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/yaml"
)

const deployDir = "deploy"

// TestDeployGenerated: the two generated files in deploy/ are the
// program's output, byte for byte (go test ./examples/webhook -update
// regenerates them).
func TestDeployGenerated(t *testing.T) {
	for _, c := range []struct {
		file string
		args []string
	}{
		{"webhook.yaml", []string{"config"}},
		{"configmaps.yaml", []string{"configmaps"}},
	} {
		out, err := command(t, c.args...)
		if err != nil {
			t.Fatal(err)
		}
		golden(t, filepath.Join(deployDir, c.file), out)
	}
}

// readDeploy decodes deploy/name strictly into v.
func readDeploy(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(deployDir, name))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// TestDeployFiles checks that the deployment's pieces fit together: every
// file is listed, the Deployment's flags are the program's and point where
// the volumes are mounted, probes and Service point at the ports the
// server listens on, and the webhook configuration calls that Service.
func TestDeployFiles(t *testing.T) {
	var kust struct {
		APIVersion      string   `json:"apiVersion"`
		Kind            string   `json:"kind"`
		Resources       []string `json:"resources"`
		SecretGenerator []struct {
			Name, Namespace, Type string
			Files                 []string
			Options               struct {
				DisableNameSuffixHash bool `json:"disableNameSuffixHash"`
			}
		} `json:"secretGenerator"`
		Replacements []any `json:"replacements"`
	}
	readDeploy(t, "kustomization.yaml", &kust)
	files, _ := filepath.Glob(filepath.Join(deployDir, "*.yaml"))
	var want []string
	for _, f := range files {
		if b := filepath.Base(f); b != "kustomization.yaml" {
			want = append(want, b)
		}
	}
	got := slices.Sorted(slices.Values(kust.Resources))
	if !slices.Equal(got, want) {
		t.Errorf("kustomization resources %v, want every YAML file in deploy/: %v", got, want)
	}
	if len(kust.SecretGenerator) != 1 || !kust.SecretGenerator[0].Options.DisableNameSuffixHash || kust.SecretGenerator[0].Type != "kubernetes.io/tls" {
		t.Fatalf("want one kubernetes.io/tls secret generator with a fixed name: %+v", kust.SecretGenerator)
	}
	secret := kust.SecretGenerator[0]

	var ns corev1.Namespace
	var sa corev1.ServiceAccount
	var dep appsv1.Deployment
	var pdb policyv1.PodDisruptionBudget
	var svc corev1.Service
	readDeploy(t, "namespace.yaml", &ns)
	readDeploy(t, "serviceaccount.yaml", &sa)
	readDeploy(t, "deployment.yaml", &dep)
	readDeploy(t, "poddisruptionbudget.yaml", &pdb)
	readDeploy(t, "service.yaml", &svc)
	cms := readConfigMaps(t)

	pod := dep.Spec.Template
	c := pod.Spec.Containers[0]
	o, err := parse(c.Args, io.Discard)
	if err != nil {
		t.Fatalf("the Deployment's args are not the server's flags: %v", err)
	}
	if o.logFormat != "json" || o.shutdownDelay <= 0 || pod.Spec.TerminationGracePeriodSeconds == nil ||
		float64(*pod.Spec.TerminationGracePeriodSeconds) <= (o.shutdownDelay+o.shutdownTimeout).Seconds() {
		t.Errorf("log format %q, shutdown delay %s + timeout %s must fit in terminationGracePeriodSeconds %v",
			o.logFormat, o.shutdownDelay, o.shutdownTimeout, pod.Spec.TerminationGracePeriodSeconds)
	}

	// Files: each flag's path is a key of a volume mounted at its directory.
	mounts := map[string]corev1.Volume{}
	for _, m := range c.VolumeMounts {
		if m.SubPath != "" {
			t.Errorf("volume %s mounted with subPath: the kubelet never updates it, so nothing would reload", m.Name)
		}
		for _, v := range pod.Spec.Volumes {
			if v.Name == m.Name {
				mounts[m.MountPath] = v
			}
		}
	}
	for _, f := range []struct{ flag, path string }{
		{"--tls-cert", o.certFile}, {"--tls-key", o.keyFile},
		{"--injectConfigFile", o.src.files.InjectConfig}, {"--valuesFile", o.src.files.Values}, {"--meshConfigFile", o.src.files.Mesh},
	} {
		v, ok := mounts[filepath.Dir(f.path)]
		key := filepath.Base(f.path)
		switch {
		case !ok:
			t.Errorf("%s %s: no volume is mounted at %s", f.flag, f.path, filepath.Dir(f.path))
		case v.Secret != nil:
			if v.Secret.SecretName != secret.Name || !slices.Contains(secret.Files, key) {
				t.Errorf("%s %s: secret %s has no key %s (the generator makes %s from %v)", f.flag, f.path, v.Secret.SecretName, key, secret.Name, secret.Files)
			}
		case v.ConfigMap != nil:
			if _, ok := cms[v.ConfigMap.Name].Data[key]; !ok {
				t.Errorf("%s %s: ConfigMap %s has no key %s", f.flag, f.path, v.ConfigMap.Name, key)
			}
		default:
			t.Errorf("%s %s: volume %s is neither the TLS secret nor a ConfigMap", f.flag, f.path, v.Name)
		}
	}

	// Ports: the probes and the Service reach what the server listens on.
	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	portOf := func(addr string) int32 {
		_, p, err := net.SplitHostPort(addr)
		if err != nil {
			t.Fatal(err)
		}
		n, _ := strconv.Atoi(p)
		return int32(n)
	}
	if ports["https"] != portOf(o.addr) || ports["monitoring"] != portOf(o.monitoringAddr) {
		t.Errorf("container ports %v, want https %s and monitoring %s", ports, o.addr, o.monitoringAddr)
	}
	for _, p := range []struct {
		probe *corev1.Probe
		path  string
	}{{c.LivenessProbe, "/healthz"}, {c.ReadinessProbe, "/readyz"}} {
		if p.probe == nil || p.probe.HTTPGet == nil || p.probe.HTTPGet.Path != p.path || p.probe.HTTPGet.Port.StrVal != "monitoring" {
			t.Errorf("want a probe on %s at the monitoring port: %+v", p.path, p.probe)
		}
	}

	// What the issue asks of the Deployment.
	sc, psc := c.SecurityContext, pod.Spec.SecurityContext
	switch {
	case dep.Spec.Replicas == nil || *dep.Spec.Replicas != 2:
		t.Error("want two replicas")
	case psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser == 0:
		t.Error("want runAsNonRoot with a numeric non-root user")
	case sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
		t.Error("want a read-only root filesystem and no privilege escalation")
	case c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Cpu().IsZero() || c.Resources.Limits.Memory().IsZero():
		t.Error("want cpu and memory requests and limits")
	case pod.Labels["sidecar.istio.io/inject"] != "false" || ns.Labels["istio-injection"] != "disabled":
		t.Error("the injector's own pods must never be injected")
	case pod.Spec.ServiceAccountName != sa.Name || sa.Namespace != dep.Namespace:
		t.Errorf("service account %s/%s, pods use %s", sa.Namespace, sa.Name, pod.Spec.ServiceAccountName)
	}
	for _, sel := range []map[string]string{dep.Spec.Selector.MatchLabels, pdb.Spec.Selector.MatchLabels, svc.Spec.Selector} {
		for k, v := range sel {
			if pod.Labels[k] != v {
				t.Errorf("selector %v does not select the Deployment's pods %v", sel, pod.Labels)
			}
		}
	}
	if pdb.Spec.MinAvailable == nil || pdb.Spec.MinAvailable.IntValue() < 1 {
		t.Error("the PodDisruptionBudget must keep an injector up")
	}

	// The webhook configuration calls the Service's https port, which
	// reaches the container's.
	var hook struct {
		Webhooks []struct {
			ClientConfig struct {
				Service struct {
					Name, Namespace string
					Port            int32
				}
			} `json:"clientConfig"`
		}
	}
	b, err := os.ReadFile(filepath.Join(deployDir, "webhook.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &hook); err != nil {
		t.Fatal(err)
	}
	for _, w := range hook.Webhooks {
		ref := w.ClientConfig.Service
		if ref.Name != svc.Name || ref.Namespace != svc.Namespace {
			t.Errorf("webhook calls service %s/%s, the Service is %s/%s", ref.Namespace, ref.Name, svc.Namespace, svc.Name)
		}
		found := false
		for _, p := range svc.Spec.Ports {
			if p.Port == ref.Port && ports[p.TargetPort.StrVal] == ports["https"] {
				found = true
			}
		}
		if !found {
			t.Errorf("the Service has no port %d leading to the container's https port", ref.Port)
		}
	}
	for _, o := range []struct{ kind, ns string }{{"secret", secret.Namespace}, {"ServiceAccount", sa.Namespace}, {"Deployment", dep.Namespace}, {"PDB", pdb.Namespace}, {"Service", svc.Namespace}} {
		if o.ns != ns.Name {
			t.Errorf("%s in namespace %q, want %q", o.kind, o.ns, ns.Name)
		}
	}

	// The Dockerfile builds the image the Deployment runs, as its user.
	checkDockerfile(t, dep, ports)
}

// readConfigMaps reads deploy/configmaps.yaml by name.
func readConfigMaps(t *testing.T) map[string]corev1.ConfigMap {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(deployDir, "configmaps.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]corev1.ConfigMap{}
	for _, doc := range bytes.Split(b, []byte("\n---\n")) {
		var cm corev1.ConfigMap
		if err := yaml.UnmarshalStrict(doc, &cm); err != nil {
			t.Fatal(err)
		}
		out[cm.Name] = cm
	}
	return out
}

var dockerBuild = regexp.MustCompile(`docker build -t (\S+) -f examples/webhook/Dockerfile \.`)

func checkDockerfile(t *testing.T, dep appsv1.Deployment, ports map[string]int32) {
	t.Helper()
	b, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var from, user, entry, expose, run []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(l, "FROM "):
			from = append(from, l)
		case strings.HasPrefix(l, "USER "):
			user = append(user, strings.TrimPrefix(l, "USER "))
		case strings.HasPrefix(l, "ENTRYPOINT "):
			entry = append(entry, l)
		case strings.HasPrefix(l, "EXPOSE "):
			expose = strings.Fields(strings.TrimPrefix(l, "EXPOSE "))
		case strings.HasPrefix(l, "RUN ") && strings.Contains(l, "go build"):
			run = append(run, l)
		}
	}
	pod := dep.Spec.Template.Spec
	wantUser := strconv.FormatInt(*pod.SecurityContext.RunAsUser, 10) + ":" + strconv.FormatInt(*pod.SecurityContext.RunAsGroup, 10)
	switch {
	case len(from) != 2 || from[len(from)-1] != "FROM scratch":
		t.Errorf("want a build stage and a scratch image: %q", from)
	case len(run) != 1 || !strings.Contains(run[0], "CGO_ENABLED=0") || !strings.HasSuffix(run[0], " ./examples/webhook"):
		t.Errorf("want one static build of ./examples/webhook: %q", run)
	case len(user) != 1 || user[0] != wantUser:
		t.Errorf("USER %q, want %s as the Deployment runs it", user, wantUser)
	case len(entry) != 1 || entry[0] != `ENTRYPOINT ["/webhook"]`:
		t.Errorf("ENTRYPOINT %q", entry)
	}
	var exposed []int32
	for _, p := range expose {
		n, _ := strconv.Atoi(p)
		exposed = append(exposed, int32(n))
	}
	if !slices.Contains(exposed, ports["https"]) || !slices.Contains(exposed, ports["monitoring"]) {
		t.Errorf("EXPOSE %v, want the container's ports %v", expose, ports)
	}
	m := dockerBuild.FindSubmatch(b)
	if m == nil || string(m[1]) != pod.Containers[0].Image {
		t.Errorf("the Dockerfile's build command tags %q, the Deployment runs %q", m, pod.Containers[0].Image)
	}
}
