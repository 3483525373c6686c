package e2e

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// customWebhook builds examples/custom-webhook once per run, from the
// repository root as its users would.
var customWebhook = sync.OnceValues(func() (string, error) {
	bin := filepath.Join(the.dir, "custom-webhook")
	build := exec.Command("go", "build", "-o", bin, "./examples/custom-webhook")
	build.Dir = filepath.Join("..", "..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building examples/custom-webhook: %v\n%s", err, out)
	}
	return bin, nil
})

// withRequests gives every container of p cpu and memory requests, which
// the custom webhook's platform rule demands.
func withRequests(p *corev1.Pod) *corev1.Pod {
	for i := range p.Spec.Containers {
		p.Spec.Containers[i].Resources.Requests = corev1.ResourceList{
			corev1.ResourceCPU:    resource.MustParse("10m"),
			corev1.ResourceMemory: resource.MustParse("16Mi"),
		}
	}
	return p
}

// TestCustomWebhook creates pods through examples/custom-webhook, a
// platform team's webhook on the library's Mutate hook, with Istio's own
// configuration: a compliant pod is injected and labelled in one patch, a
// pod without resource requests is refused with the rule's message, and an
// opted-out pod is admitted untouched.
func TestCustomWebhook(t *testing.T) {
	needWebhook(t)
	bin, err := customWebhook()
	if err != nil {
		t.Fatal(err)
	}
	w := startWebhook(t, webhookConfig{Binary: bin})

	// install, without the stock helper's probe: the platform rule refuses
	// its probe pod, which has no requests.
	cfgs := w.configurations(t, admissionregistrationv1.Fail)
	cfg := &cfgs[0]
	api := the.client.AdmissionregistrationV1().MutatingWebhookConfigurations()
	for i := range cfgs {
		if _, err := api.Create(context.Background(), &cfgs[i], metav1.CreateOptions{}); err != nil {
			t.Fatalf("creating MutatingWebhookConfiguration %s: %v", cfgs[i].Name, err)
		}
	}
	ns := namespace(t, revisionLabels(""))
	probe := func(ctx context.Context) (*corev1.Pod, error) {
		return the.client.CoreV1().Pods(ns).Create(ctx, withRequests(podFor("probe")), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	}
	t.Cleanup(func() {
		for _, c := range cfgs {
			if err := api.Delete(context.Background(), c.Name, metav1.DeleteOptions{}); err != nil {
				t.Errorf("deleting MutatingWebhookConfiguration %s: %v", c.Name, err)
			}
		}
		waitUntil(t, 30*time.Second, "webhook "+cfg.Name+" removed", func(ctx context.Context) (bool, error) {
			got, err := probe(ctx)
			if err == nil && hasContainer(got, "istio-proxy") {
				err = fmt.Errorf("probe pod still injected")
			}
			return err == nil, err
		})
	})
	waitUntil(t, 30*time.Second, "webhook "+cfg.Name+" in effect", func(ctx context.Context) (bool, error) {
		got, err := probe(ctx)
		if err == nil && !hasContainer(got, "istio-proxy") {
			err = fmt.Errorf("probe pod not injected (%s)", describe(got))
		}
		return err == nil, err
	})

	t.Run("compliant pod", func(t *testing.T) {
		p := createPod(t, ns, withRequests(podFor("shop")))
		assertInjected(t, p, false)
		if got := p.Labels["platform.example/mesh"]; got != "istio" {
			t.Errorf("label platform.example/mesh = %q, want istio (labels %v)", got, p.Labels)
		}
		if got := p.Labels["app"]; got != "shop" {
			t.Errorf("the pod's own label app = %q, want shop", got)
		}
	})
	t.Run("no requests", func(t *testing.T) {
		_, err := the.client.CoreV1().Pods(ns).Create(context.Background(), podFor("greedy"), metav1.CreateOptions{})
		want := `platform policy: container "app" must request cpu (spec.containers[0].resources.requests.cpu)`
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("create = %v, want a denial containing %q", err, want)
		}
	})
	t.Run("opted out", func(t *testing.T) {
		p := withRequests(podFor("batch"))
		p.Labels["sidecar.istio.io/inject"] = "false"
		stored := createPod(t, ns, p)
		assertNotInjected(t, stored)
		if _, ok := stored.Labels["platform.example/mesh"]; ok {
			t.Errorf("an uninjected pod got the mesh label: %v", stored.Labels)
		}
	})
}
