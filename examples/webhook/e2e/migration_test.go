package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/google/go-cmp/cmp"

	"github.com/kinject/kinject/inject/cluster"
	"github.com/kinject/kinject/policy"
)

// liveState reads the cluster's state through client-go, writes it as
// kubectl would, and loads it as check-inject does.
func liveState(t *testing.T, namespaces ...string) *cluster.State {
	t.Helper()
	s, err := cluster.Load(dumpConfigMaps(t), dumpWebhooks(t), dumpNamespaces(t, namespaces), dumpWorkloads(t, namespaces))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// restartDeployment does what `kubectl rollout restart` and the
// Deployment and ReplicaSet controllers do (none runs here): stamp the
// template with kubectl.kubernetes.io/restartedAt, create the new
// ReplicaSet and its pods (through the webhooks), scale the old ones to
// zero and delete their pods.
func restartDeployment(t *testing.T, ns, name string) []*corev1.Pod {
	t.Helper()
	ctx := context.Background()
	deps := the.client.AppsV1().Deployments(ns)
	dep, err := deps.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if dep.Spec.Template.Annotations == nil {
		dep.Spec.Template.Annotations = map[string]string{}
	}
	dep.Spec.Template.Annotations["kubectl.kubernetes.io/restartedAt"] = "2026-10-15T09:00:00Z"
	if dep, err = deps.Update(ctx, dep, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	old, err := the.client.AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tmpl := dep.Spec.Template
	hash := podTemplateHash(t, tmpl)
	rsTmpl := *tmpl.DeepCopy()
	rsTmpl.Labels["pod-template-hash"] = hash
	rs, err := the.client.AppsV1().ReplicaSets(ns).Create(ctx, &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: name + "-" + hash, Labels: rsTmpl.Labels,
			OwnerReferences: controllerRef("apps/v1", "Deployment", dep.Name, dep.UID)},
		Spec: appsv1.ReplicaSetSpec{
			Replicas: dep.Spec.Replicas,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": tmpl.Labels["app"], "pod-template-hash": hash}},
			Template: rsTmpl,
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var pods []*corev1.Pod
	for i := range *dep.Spec.Replicas {
		pods = append(pods, podOf(t, ns, fmt.Sprintf("%s-%c%c%c%c%c", rs.Name, 'a'+i, 'r', 's', 't', 'x'), rs.Name+"-", rsTmpl,
			controllerRef("apps/v1", "ReplicaSet", rs.Name, rs.UID), nil))
	}
	zero := int32(0)
	grace := int64(0)
	for i := range old.Items {
		o := &old.Items[i]
		o.Spec.Replicas = &zero
		if _, err := the.client.AppsV1().ReplicaSets(ns).Update(ctx, o, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		podList, err := the.client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "pod-template-hash=" + o.Labels["pod-template-hash"]})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range podList.Items {
			if err := the.client.CoreV1().Pods(ns).Delete(ctx, p.Name, metav1.DeleteOptions{GracePeriodSeconds: &grace}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return pods
}

// actions lists the plan's workloads that need something.
func actions(p *cluster.Plan) map[string]cluster.Action {
	out := map[string]cluster.Action{}
	for _, w := range p.Workloads {
		if w.Action != cluster.Nothing {
			out[w.ID()] = w.Action
		}
	}
	return out
}

// verifyAll checks that every pod of the namespaces has two containers,
// the sidecar from revision rev.
func verifyAll(t *testing.T, s *cluster.State, rev string, pods int) {
	t.Helper()
	v, err := s.Verify(context.Background(), cluster.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if v.Total != pods || v.OK != pods || v.Injected != pods {
		t.Errorf("verify: %d pods, %d as intended, %d with the sidecar; want all %d", v.Total, v.OK, v.Injected, pods)
	}
	for _, c := range v.Pods {
		if c.Revision != rev || c.Ready() != "2/2" || !c.OK {
			t.Errorf("verify: pod %s/%s: %s from %q (%s), want 2/2 from %q", c.Namespace, c.Name, c.Ready(), c.Revision, c.Reason, rev)
		}
	}
}

// TestMigrationFlow is the guides' flow against the real API server: a
// namespace on the stable revision (istio-injection=enabled, the default
// tag's 1-30) with a Deployment's pods; the plan for `kubectl label
// namespace NS istio-injection- istio.io/rev=1-31 --overwrite` lists
// exactly that Deployment; the relabel and the restart are done; the plan
// is then empty and every pod has two containers from 1-31.
func TestMigrationFlow(t *testing.T) {
	installMesh(t)
	ns := "migrate-shop"
	fixedNamespace(t, ns, map[string]string{"istio-injection": "enabled"})
	for _, p := range deploymentWithPods(t, ns, "web", 2, appTemplate("web", nil)) {
		assertRevision(t, p, "1-30")
	}
	before := liveState(t, ns)
	change, err := cluster.ParseChange([]string{"kubectl", "label", "namespace", ns, "istio-injection-", "istio.io/rev=1-31", "--overwrite"})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := before.Plan(context.Background(), change, cluster.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[string]cluster.Action{"deployment/web." + ns: cluster.RestartToUpdate}, actions(plan)); d != "" {
		t.Errorf("plan for the relabel (-want +got):\n%s", d)
	}
	wantCommands := []string{
		"kubectl label namespace " + ns + " istio-injection- istio.io/rev=1-31 --overwrite",
		"kubectl rollout restart -n " + ns + " deployment/web",
	}
	if d := cmp.Diff(wantCommands, plan.Commands); d != "" {
		t.Errorf("plan's commands (-want +got):\n%s", d)
	}

	// The plan's first command, then wait until the API server's
	// webhooks see the new label.
	setNamespaceLabels(t, ns, map[string]string{"istio.io/rev": "1-31"})
	waitUntil(t, 30*time.Second, "relabel seen", func(ctx context.Context) (bool, error) {
		got, err := dryRunPod(ctx, ns)
		return err == nil && got.Annotations["istio.io/rev"] == "1-31", err
	})
	mid := liveState(t, ns)
	if p, err := mid.Plan(context.Background(), cluster.Change{}, cluster.Options{}); err != nil || p.Restarts != 1 {
		t.Errorf("after the relabel, before the restart: %v restarts (%v), want 1", p.Restarts, err)
	}
	for _, p := range restartDeployment(t, ns, "web") {
		assertRevision(t, p, "1-31")
	}
	after := liveState(t, ns)
	plan, err = after.Plan(context.Background(), cluster.Change{}, cluster.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if plan.Restarts != 0 || len(plan.Commands) != 0 {
		t.Errorf("after the restart the plan is not empty: %v, %q", actions(plan), plan.Commands)
	}
	verifyAll(t, after, "1-31", 2)
}

// moveTag does `istioctl tag set TAG --revision REV --overwrite` on the
// live cluster: the tag's configuration calls the revision's webhook.
func moveTag(t *testing.T, tag, rev string, m *meshInstall) {
	t.Helper()
	var target *meshRevision
	for _, r := range m.revs {
		if r.rev.Name == rev {
			target = r
		}
	}
	if target == nil {
		t.Fatalf("no revision %s", rev)
	}
	api := the.client.AdmissionregistrationV1().MutatingWebhookConfigurations()
	ctx := context.Background()
	cfg, err := api.Get(ctx, "istio-revision-tag-"+tag, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fresh := policy.Revision{Name: rev, Tags: []string{tag}}.Configurations()[1]
	for i := range fresh.Webhooks {
		url := target.webhook.url
		fresh.Webhooks[i].ClientConfig = admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: the.ca.PEM}
	}
	cfg.Labels["istio.io/rev"] = rev
	cfg.Webhooks = fresh.Webhooks
	if _, err := api.Update(ctx, cfg, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// TestMoveDefaultTag is the same flow for `istioctl tag set default
// --revision 1-31 --overwrite`.
func TestMoveDefaultTag(t *testing.T) {
	m := installMesh(t)
	ns := "tagged-shop"
	fixedNamespace(t, ns, map[string]string{"istio-injection": "enabled"})
	for _, p := range deploymentWithPods(t, ns, "api", 2, appTemplate("api", nil)) {
		assertRevision(t, p, "1-30")
	}
	before := liveState(t, ns)
	change, err := cluster.ParseChange([]string{"istioctl", "tag", "set", "default", "--revision", "1-31", "--overwrite"})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := before.Plan(context.Background(), change, cluster.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[string]cluster.Action{"deployment/api." + ns: cluster.RestartToUpdate}, actions(plan)); d != "" {
		t.Errorf("plan for the tag move (-want +got):\n%s", d)
	}
	wantCommands := []string{
		"istioctl tag set default --revision 1-31 --overwrite",
		"kubectl rollout restart -n " + ns + " deployment/api",
	}
	if d := cmp.Diff(wantCommands, plan.Commands); d != "" {
		t.Errorf("plan's commands (-want +got):\n%s", d)
	}
	moveTag(t, "default", "1-31", m)
	waitUntil(t, 30*time.Second, "tag move seen", func(ctx context.Context) (bool, error) {
		got, err := dryRunPod(ctx, ns)
		return err == nil && got.Annotations["istio.io/rev"] == "1-31", err
	})
	for _, p := range restartDeployment(t, ns, "api") {
		assertRevision(t, p, "1-31")
	}
	after := liveState(t, ns)
	plan, err = after.Plan(context.Background(), cluster.Change{}, cluster.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if plan.Restarts != 0 || len(plan.Commands) != 0 {
		t.Errorf("after the restart the plan is not empty: %v, %q", actions(plan), plan.Commands)
	}
	verifyAll(t, after, "1-31", 2)
}
