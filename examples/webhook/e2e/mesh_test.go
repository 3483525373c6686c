package e2e

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"

	"github.com/kinject/kinject/inject"
	"github.com/kinject/kinject/policy"
)

var update = flag.Bool("update", false, "rewrite the cluster fixtures under testdata/cluster/e2e from this run")

// meshRevision is one revision of a two-revision install.
type meshRevision struct {
	rev     policy.Revision
	tag     string // proxy image tag
	webhook *webhook
}

// meshInstall is Istio's shape of a canary upgrade, on kinject's embedded
// configuration: revisions 1-30 (tags default and prod-stable, proxy
// 1.30.2) and 1-31 (tag prod-canary, proxy 1.31.0), each with its
// istio-sidecar-injector-<rev> and istio-<rev> ConfigMaps in istio-system,
// its own webhook process, and the MutatingWebhookConfigurations Istio's
// installer creates (policy.Revision.Configurations, clientConfig pointed
// at the process).
type meshInstall struct {
	revs []*meshRevision
}

// installMesh sets the two revisions up for the rest of the test.
func installMesh(t *testing.T) *meshInstall {
	t.Helper()
	needCluster(t)
	if the.webhookErr != nil {
		t.Fatal(the.webhookErr)
	}
	ctx := context.Background()
	if _, err := the.client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "istio-system"}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	m := &meshInstall{revs: []*meshRevision{
		{rev: policy.Revision{Name: "1-30", Tags: []string{"default", "prod-stable"}}, tag: "1.30.2"},
		{rev: policy.Revision{Name: "1-31", Tags: []string{"prod-canary"}}, tag: "1.31.0"},
	}}
	injectConfig, values, mesh := inject.DefaultConfigFiles()
	for _, r := range m.revs {
		var v map[string]any
		if err := json.Unmarshal(values, &v); err != nil {
			t.Fatal(err)
		}
		v["revision"] = r.rev.Name
		v["global"].(map[string]any)["tag"] = r.tag
		vb, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		meshText := strings.Replace(string(mesh), "istiod.istio-system.svc", "istiod-"+r.rev.Name+".istio-system.svc", 1)
		labels := map[string]string{"istio.io/rev": r.rev.Name, "app.kubernetes.io/name": "istiod"}
		for _, cm := range []*corev1.ConfigMap{
			{ObjectMeta: metav1.ObjectMeta{Name: "istio-sidecar-injector-" + r.rev.Name, Labels: labels},
				Data: map[string]string{"config": string(injectConfig), "values": string(vb)}},
			{ObjectMeta: metav1.ObjectMeta{Name: "istio-" + r.rev.Name, Labels: labels},
				Data: map[string]string{"mesh": meshText, "meshNetworks": "networks: {}"}},
		} {
			if _, err := the.client.CoreV1().ConfigMaps("istio-system").Create(ctx, cm, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			name := cm.Name
			t.Cleanup(func() {
				the.client.CoreV1().ConfigMaps("istio-system").Delete(context.Background(), name, metav1.DeleteOptions{})
			})
		}
		dir := t.TempDir()
		files := &configFiles{
			InjectConfig: filepath.Join(dir, "inject-config.yaml"),
			Values:       filepath.Join(dir, "values.json"),
			Mesh:         filepath.Join(dir, "mesh.yaml"),
		}
		for path, data := range map[string][]byte{files.InjectConfig: injectConfig, files.Values: vb, files.Mesh: []byte(meshText)} {
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		r.webhook = startWebhook(t, webhookConfig{Revision: r.rev.Name, Files: files})
		r.webhook.rev = r.rev
	}
	api := the.client.AdmissionregistrationV1().MutatingWebhookConfigurations()
	var installed []string
	for _, r := range m.revs {
		for _, cfg := range r.rev.Configurations() {
			for i := range cfg.Webhooks {
				url := r.webhook.url
				cfg.Webhooks[i].ClientConfig = admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: the.ca.PEM}
			}
			if _, err := api.Create(ctx, &cfg, metav1.CreateOptions{}); err != nil {
				t.Fatalf("creating MutatingWebhookConfiguration %s: %v", cfg.Name, err)
			}
			installed = append(installed, cfg.Name)
		}
	}
	// A probe namespace per revision: in effect once a dry-run pod comes
	// back with that revision's sidecar; gone once it comes back plain.
	probes := map[string]string{}
	t.Cleanup(func() {
		for _, name := range installed {
			if err := api.Delete(context.Background(), name, metav1.DeleteOptions{}); err != nil {
				t.Errorf("deleting MutatingWebhookConfiguration %s: %v", name, err)
			}
		}
		for rev, probe := range probes {
			waitUntil(t, 30*time.Second, "revision "+rev+" webhooks removed", func(ctx context.Context) (bool, error) {
				got, err := dryRunPod(ctx, probe)
				if err == nil && hasContainer(got, "istio-proxy") {
					err = fmt.Errorf("probe pod still injected")
				}
				return err == nil, err
			})
		}
	})
	for _, r := range m.revs {
		probe := namespace(t, map[string]string{"istio.io/rev": r.rev.Name})
		want := r.rev.Name
		probes[want] = probe
		waitUntil(t, 30*time.Second, "revision "+want+" webhooks in effect", func(ctx context.Context) (bool, error) {
			got, err := dryRunPod(ctx, probe)
			if err == nil && got.Annotations["istio.io/rev"] != want {
				err = fmt.Errorf("probe pod not injected by %s (%s)", want, describe(got))
			}
			return err == nil, err
		})
	}
	return m
}

// fixedNamespace creates namespace name with labels and its default
// service account.
func fixedNamespace(t *testing.T, name string, labels map[string]string) {
	t.Helper()
	ctx := context.Background()
	if _, err := the.client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating namespace %s: %v", name, err)
	}
	if _, err := the.client.CoreV1().ServiceAccounts(name).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating service account %s/default: %v", name, err)
	}
}

func appTemplate(app string, extra map[string]string) corev1.PodTemplateSpec {
	labels := map[string]string{"app": app, "version": "v1"}
	for k, v := range extra {
		labels[k] = v
	}
	spec := podFor(app).Spec
	return corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: spec}
}

func controllerRef(apiVersion, kind, name string, uid types.UID) []metav1.OwnerReference {
	yes := true
	return []metav1.OwnerReference{{APIVersion: apiVersion, Kind: kind, Name: name, UID: uid, Controller: &yes, BlockOwnerDeletion: &yes}}
}

// podOf creates a pod from tmpl the way a controller does (generateName
// prefix and owner), with the fixed name given so fixtures are stable.
func podOf(t *testing.T, ns, name, generateName string, tmpl corev1.PodTemplateSpec, owner []metav1.OwnerReference, extraLabels map[string]string) *corev1.Pod {
	t.Helper()
	p := &corev1.Pod{ObjectMeta: *tmpl.ObjectMeta.DeepCopy(), Spec: *tmpl.Spec.DeepCopy()}
	p.Name, p.GenerateName, p.OwnerReferences = name, generateName, owner
	if p.Labels == nil {
		p.Labels = map[string]string{}
	}
	for k, v := range extraLabels {
		p.Labels[k] = v
	}
	return createPod(t, ns, p)
}

// deploymentWithPods creates a Deployment, its ReplicaSet and its pods, as
// the Deployment and ReplicaSet controllers would.
func deploymentWithPods(t *testing.T, ns, name string, replicas int32, tmpl corev1.PodTemplateSpec) []*corev1.Pod {
	t.Helper()
	ctx := context.Background()
	dep, err := the.client.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": name}},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": tmpl.Labels["app"]}},
			Template: tmpl,
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	hash := podTemplateHash(t, tmpl)
	rsTmpl := *tmpl.DeepCopy()
	rsTmpl.Labels["pod-template-hash"] = hash
	rs, err := the.client.AppsV1().ReplicaSets(ns).Create(ctx, &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{
			Name: name + "-" + hash, Labels: rsTmpl.Labels,
			Annotations:     map[string]string{"deployment.kubernetes.io/revision": "1"},
			OwnerReferences: controllerRef("apps/v1", "Deployment", dep.Name, dep.UID),
		},
		Spec: appsv1.ReplicaSetSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": tmpl.Labels["app"], "pod-template-hash": hash}},
			Template: rsTmpl,
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var pods []*corev1.Pod
	for i := range replicas {
		pods = append(pods, podOf(t, ns, fmt.Sprintf("%s-%c%c%c%c%c", rs.Name, 'a'+i, 'b', 'c', 'd', 'e'), rs.Name+"-", rsTmpl,
			controllerRef("apps/v1", "ReplicaSet", rs.Name, rs.UID), nil))
	}
	return pods
}

func statefulSetWithPod(t *testing.T, ns, name string, tmpl corev1.PodTemplateSpec) *corev1.Pod {
	t.Helper()
	one := int32(1)
	ss, err := the.client.AppsV1().StatefulSets(ns).Create(context.Background(), &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.StatefulSetSpec{
			Replicas: &one, ServiceName: name,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": tmpl.Labels["app"]}},
			Template: tmpl,
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return podOf(t, ns, name+"-0", name+"-", tmpl, controllerRef("apps/v1", "StatefulSet", ss.Name, ss.UID),
		map[string]string{"statefulset.kubernetes.io/pod-name": name + "-0", "apps.kubernetes.io/pod-index": "0", "controller-revision-hash": name + "-5d8f7c9b4"})
}

func daemonSetWithPod(t *testing.T, ns, name string, tmpl corev1.PodTemplateSpec) *corev1.Pod {
	t.Helper()
	ds, err := the.client.AppsV1().DaemonSets(ns).Create(context.Background(), &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": tmpl.Labels["app"]}},
			Template: tmpl,
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return podOf(t, ns, name+"-x7k2p", name+"-", tmpl, controllerRef("apps/v1", "DaemonSet", ds.Name, ds.UID),
		map[string]string{"controller-revision-hash": name + "-6c4d9f8b7", "pod-template-generation": "1"})
}

// jobWithPod creates a Job (owned by cronJob when given) and its pod, as
// the Job controller would: the pod carries the labels the API server put
// on the Job's template.
func jobWithPod(t *testing.T, ns, name string, tmpl corev1.PodTemplateSpec, owner []metav1.OwnerReference) *corev1.Pod {
	t.Helper()
	tmpl.Spec.RestartPolicy = corev1.RestartPolicyNever
	job, err := the.client.BatchV1().Jobs(ns).Create(context.Background(), &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: name, OwnerReferences: owner},
		Spec:       batchv1.JobSpec{Template: tmpl},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return podOf(t, ns, name+"-q8w3z", name+"-", job.Spec.Template, controllerRef("batch/v1", "Job", job.Name, job.UID), nil)
}

func cronJobWithPod(t *testing.T, ns, name string, tmpl corev1.PodTemplateSpec) *corev1.Pod {
	t.Helper()
	tmpl.Spec.RestartPolicy = corev1.RestartPolicyNever
	cj, err := the.client.BatchV1().CronJobs(ns).Create(context.Background(), &batchv1.CronJob{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: batchv1.CronJobSpec{
			Schedule:    "0 3 * * *",
			JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: tmpl}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return jobWithPod(t, ns, name+"-29000000", tmpl, controllerRef("batch/v1", "CronJob", cj.Name, cj.UID))
}

// fixtureNamespaces are the namespaces of the fixture cluster, before and
// after the relabelling that makes their running pods stale.
var fixtureNamespaces = []struct {
	name          string
	before, after map[string]string
	why           string
}{
	{"stable-shop", map[string]string{"istio.io/rev": "1-30"}, map[string]string{"istio.io/rev": "prod-canary"}, "moved to the canary: restart to update"},
	{"default-shop", map[string]string{"istio-injection": "enabled"}, map[string]string{"istio-injection": "enabled"}, "unchanged: up to date"},
	{"plain-shop", nil, map[string]string{"istio-injection": "enabled"}, "labelled after its pods started: restart to inject"},
	{"canary-shop", map[string]string{"istio.io/rev": "prod-canary"}, map[string]string{"istio.io/rev": "prod-canary"}, "unchanged: up to date"},
	{"leaving-shop", map[string]string{"istio.io/rev": "prod-stable"}, map[string]string{"istio-injection": "disabled"}, "taken out of the mesh: restart to remove"},
}

// TestClusterFixtures builds a small mesh on the real API server, creates
// every kind of workload the way its controllers would, relabels the
// namespaces, and writes (with -update) or checks the dumps under
// testdata/cluster/e2e, as kubectl prints them: configmaps.yaml,
// webhooks.yaml, namespaces-before.yaml, namespaces.yaml and
// workloads.yaml. The unit tests of inject/cluster read them: the pods
// carry every default and admission addition of a real API server.
func TestClusterFixtures(t *testing.T) {
	installMesh(t)
	for _, ns := range fixtureNamespaces {
		fixedNamespace(t, ns.name, ns.before)
	}
	// stable-shop: a Deployment of two and a bare pod, from 1-30.
	for _, p := range deploymentWithPods(t, "stable-shop", "web", 2, appTemplate("web", nil)) {
		assertRevision(t, p, "1-30")
	}
	assertRevision(t, podOf(t, "stable-shop", "debug", "", appTemplate("debug", nil), nil, nil), "1-30")
	// default-shop: the default tag (1-30); a StatefulSet; a pod that
	// opts out; a hostNetwork pod the injector refuses.
	for _, p := range deploymentWithPods(t, "default-shop", "api", 1, appTemplate("api", nil)) {
		assertRevision(t, p, "1-30")
	}
	assertRevision(t, statefulSetWithPod(t, "default-shop", "db", appTemplate("db", nil)), "1-30")
	assertRevision(t, podOf(t, "default-shop", "tools", "", appTemplate("tools", map[string]string{"sidecar.istio.io/inject": "false"}), nil, nil), "")
	hostNet := appTemplate("node-exporter", nil)
	hostNet.Spec.HostNetwork = true
	assertRevision(t, podOf(t, "default-shop", "node-exporter", "", hostNet, nil, nil), "")
	// plain-shop: nothing injected yet.
	for _, p := range deploymentWithPods(t, "plain-shop", "legacy", 1, appTemplate("legacy", nil)) {
		assertRevision(t, p, "")
	}
	assertRevision(t, daemonSetWithPod(t, "plain-shop", "agent", appTemplate("agent", nil)), "")
	// canary-shop: 1-31 through its tag; a Job and a CronJob's Job.
	for _, p := range deploymentWithPods(t, "canary-shop", "cart", 1, appTemplate("cart", nil)) {
		assertRevision(t, p, "1-31")
	}
	assertRevision(t, jobWithPod(t, "canary-shop", "migrate", appTemplate("migrate", nil), nil), "1-31")
	assertRevision(t, cronJobWithPod(t, "canary-shop", "report", appTemplate("report", nil)), "1-31")
	// leaving-shop: 1-30 through the prod-stable tag.
	for _, p := range deploymentWithPods(t, "leaving-shop", "old", 1, appTemplate("old", nil)) {
		assertRevision(t, p, "1-30")
	}

	names := make([]string, len(fixtureNamespaces))
	for i, ns := range fixtureNamespaces {
		names[i] = ns.name
	}
	before := dumpNamespaces(t, names)
	for _, ns := range fixtureNamespaces {
		setNamespaceLabels(t, ns.name, ns.after)
	}
	dumps := map[string][]byte{
		"configmaps.yaml":        dumpConfigMaps(t),
		"webhooks.yaml":          dumpWebhooks(t),
		"namespaces-before.yaml": before,
		"namespaces.yaml":        dumpNamespaces(t, names),
		"workloads.yaml":         dumpWorkloads(t, names),
	}
	fixtures(t, dumps)
}

func assertRevision(t *testing.T, p *corev1.Pod, rev string) {
	t.Helper()
	if rev == "" {
		assertNotInjected(t, p)
		return
	}
	assertInjected(t, p, false)
	if got := p.Annotations["istio.io/rev"]; got != rev {
		t.Errorf("pod %s/%s: injected by %q, want %q", p.Namespace, p.Name, got, rev)
	}
}

// fixturesDir is testdata/cluster/e2e of the library.
func fixturesDir(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(wd, "..", "..", "..", "testdata", "cluster", "e2e")
}

// fixtures writes the dumps under testdata/cluster/e2e with -update, and
// otherwise checks that this run produced the same bytes: a difference
// means the API server, the webhook or the configuration changed what a
// cluster stores, and the fixtures must be refreshed from a run.
func fixtures(t *testing.T, dumps map[string][]byte) {
	t.Helper()
	dir := fixturesDir(t)
	names := make([]string, 0, len(dumps))
	for n := range dumps {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		path := filepath.Join(dir, name)
		if *update {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, dumps[name], 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%v (run this test with -update to write the fixtures)", err)
			continue
		}
		if string(want) != string(dumps[name]) {
			t.Errorf("%s differs from this run (refresh with: KINJECT_E2E=1 go test -run %s -update .); first difference at line %d",
				path, t.Name(), firstDiffLine(string(want), string(dumps[name])))
		}
	}
}

func firstDiffLine(a, b string) int {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range la {
		if i >= len(lb) || la[i] != lb[i] {
			return i + 1
		}
	}
	return len(la) + 1
}

// kubectlList encodes objects as `kubectl get -o yaml` prints several: a
// v1 List, each item with its apiVersion and kind and without
// managedFields (kubectl hides them), then scrubs what differs from run to
// run: uids (renumbered in order of appearance, wherever they occur),
// creation timestamps, resource versions, the service-account token
// volume's random suffix, the webhooks' ports and CA bundle.
func kubectlList(t *testing.T, items []map[string]any) []byte {
	t.Helper()
	list := map[string]any{"apiVersion": "v1", "kind": "List", "metadata": map[string]any{"resourceVersion": ""}, "items": items}
	if items == nil {
		list["items"] = []any{}
	}
	js, err := json.Marshal(list)
	if err != nil {
		t.Fatal(err)
	}
	out, err := yaml.JSONToYAML(js)
	if err != nil {
		t.Fatal(err)
	}
	return scrub(out)
}

var (
	uidPattern      = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	timePattern     = regexp.MustCompile(`(creationTimestamp: )"?[0-9T:Z-]+"?`)
	versionPattern  = regexp.MustCompile(`(resourceVersion: )"[0-9]+"`)
	tokenPattern    = regexp.MustCompile(`kube-api-access-[a-z0-9]{5}`)
	portPattern     = regexp.MustCompile(`https://127\.0\.0\.1:[0-9]+/`)
	caBundlePattern = regexp.MustCompile(`(caBundle: )\S+`)
)

func scrub(b []byte) []byte {
	renumber := func(re *regexp.Regexp, format string) func([]byte) []byte {
		seen := map[string]string{}
		return func(s []byte) []byte {
			return re.ReplaceAllFunc(s, func(m []byte) []byte {
				k := string(m)
				if v, ok := seen[k]; ok {
					return []byte(v)
				}
				v := fmt.Sprintf(format, len(seen)+1)
				seen[k] = v
				return []byte(v)
			})
		}
	}
	b = renumber(uidPattern, "00000000-0000-4000-8000-%012d")(b)
	b = renumber(tokenPattern, "kube-api-access-%05d")(b)
	b = renumber(portPattern, "https://127.0.0.1:%d/")(b)
	b = timePattern.ReplaceAll(b, []byte(`${1}"2026-10-15T08:00:00Z"`))
	b = versionPattern.ReplaceAll(b, []byte(`${1}"1"`))
	b = caBundlePattern.ReplaceAll(b, []byte(`${1}Y2EtYnVuZGxlLXBsYWNlaG9sZGVyCg==`))
	return b
}

// item turns a typed object into a kubectl list item.
func item(t *testing.T, apiVersion, kind string, obj any) map[string]any {
	t.Helper()
	js, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(js, &m); err != nil {
		t.Fatal(err)
	}
	m["apiVersion"], m["kind"] = apiVersion, kind
	if meta, ok := m["metadata"].(map[string]any); ok {
		delete(meta, "managedFields")
	}
	return m
}

func dumpConfigMaps(t *testing.T) []byte {
	t.Helper()
	list, err := the.client.CoreV1().ConfigMaps("istio-system").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var items []map[string]any
	for i := range list.Items {
		// Every namespace gets kube-root-ca.crt in a real cluster (here no
		// controller publishes it); the fixtures keep Istio's only.
		if strings.HasPrefix(list.Items[i].Name, "istio") {
			items = append(items, item(t, "v1", "ConfigMap", &list.Items[i]))
		}
	}
	return kubectlList(t, items)
}

func dumpWebhooks(t *testing.T) []byte {
	t.Helper()
	list, err := the.client.AdmissionregistrationV1().MutatingWebhookConfigurations().List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var items []map[string]any
	for i := range list.Items {
		if strings.HasPrefix(list.Items[i].Name, "istio-") {
			items = append(items, item(t, "admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration", &list.Items[i]))
		}
	}
	return kubectlList(t, items)
}

func dumpNamespaces(t *testing.T, names []string) []byte {
	t.Helper()
	var items []map[string]any
	for _, name := range append([]string{"istio-system"}, names...) {
		ns, err := the.client.CoreV1().Namespaces().Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, item(t, "v1", "Namespace", ns))
	}
	return kubectlList(t, items)
}

// dumpWorkloads is `kubectl get pods,replicasets,deployments,statefulsets,
// daemonsets,jobs,cronjobs -o yaml` over the given namespaces, in
// kubectl's order: by kind as asked, then by namespace and name.
func dumpWorkloads(t *testing.T, namespaces []string) []byte {
	t.Helper()
	ctx := context.Background()
	sorted := append([]string(nil), namespaces...)
	sort.Strings(sorted)
	var items []map[string]any
	for _, ns := range sorted {
		pods, err := the.client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for i := range pods.Items {
			items = append(items, item(t, "v1", "Pod", &pods.Items[i]))
		}
	}
	for _, ns := range sorted {
		rs, err := the.client.AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for i := range rs.Items {
			items = append(items, item(t, "apps/v1", "ReplicaSet", &rs.Items[i]))
		}
	}
	for _, ns := range sorted {
		d, err := the.client.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for i := range d.Items {
			items = append(items, item(t, "apps/v1", "Deployment", &d.Items[i]))
		}
	}
	for _, ns := range sorted {
		ss, err := the.client.AppsV1().StatefulSets(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for i := range ss.Items {
			items = append(items, item(t, "apps/v1", "StatefulSet", &ss.Items[i]))
		}
	}
	for _, ns := range sorted {
		ds, err := the.client.AppsV1().DaemonSets(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for i := range ds.Items {
			items = append(items, item(t, "apps/v1", "DaemonSet", &ds.Items[i]))
		}
	}
	for _, ns := range sorted {
		jobs, err := the.client.BatchV1().Jobs(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for i := range jobs.Items {
			items = append(items, item(t, "batch/v1", "Job", &jobs.Items[i]))
		}
	}
	for _, ns := range sorted {
		cjs, err := the.client.BatchV1().CronJobs(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for i := range cjs.Items {
			items = append(items, item(t, "batch/v1", "CronJob", &cjs.Items[i]))
		}
	}
	return kubectlList(t, items)
}
