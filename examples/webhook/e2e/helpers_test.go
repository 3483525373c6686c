package e2e

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// namespace creates a namespace with a generated name and the given labels,
// and its "default" service account (the ServiceAccount admission plugin
// refuses pods without it; in a real cluster a controller creates it).
// Namespaces are not deleted: without a controller-manager a deleted
// namespace would stay Terminating, and the cluster is thrown away at the
// end of the run anyway.
func namespace(t testing.TB, labels map[string]string) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "e2e-", Labels: labels}}
	got, err := the.client.CoreV1().Namespaces().Create(context.Background(), ns, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating namespace with labels %v: %v", labels, err)
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}
	if _, err := the.client.CoreV1().ServiceAccounts(got.Name).Create(context.Background(), sa, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating service account %s/default: %v", got.Name, err)
	}
	return got.Name
}

// setNamespaceLabels replaces the labels of ns.
func setNamespaceLabels(t testing.TB, ns string, labels map[string]string) {
	t.Helper()
	api := the.client.CoreV1().Namespaces()
	got, err := api.Get(context.Background(), ns, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The API server keeps kubernetes.io/metadata.name whatever we send.
	got.Labels = labels
	if _, err := api.Update(context.Background(), got, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("relabelling namespace %s: %v", ns, err)
	}
}

// podFor is a minimal application pod with one container.
func podFor(name string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName: name + "-",
			Labels:       map[string]string{"app": name},
		},
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{{
				Name:  "app",
				Image: "registry.example/app:1.0",
				Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}},
			}},
		},
	}
}

// createPod creates p in ns and returns the pod as stored, read back with a
// GET so that the assertions see what etcd holds, not just the response.
func createPod(t testing.TB, ns string, p *corev1.Pod) *corev1.Pod {
	t.Helper()
	ctx := context.Background()
	created, err := the.client.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating pod %s in %s: %v", p.GenerateName+p.Name, ns, err)
	}
	stored, err := the.client.CoreV1().Pods(ns).Get(ctx, created.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("reading back pod %s/%s: %v", ns, created.Name, err)
	}
	return stored
}

// container returns the container or init container called name, or nil.
func container(p *corev1.Pod, name string) *corev1.Container {
	for _, list := range [][]corev1.Container{p.Spec.Containers, p.Spec.InitContainers} {
		for i := range list {
			if list[i].Name == name {
				return &list[i]
			}
		}
	}
	return nil
}

func names(cs []corev1.Container) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out
}

// describe is a one-line summary of a pod's containers for failure messages.
func describe(p *corev1.Pod) string {
	return "initContainers " + strings.Join(names(p.Spec.InitContainers), ",") +
		"; containers " + strings.Join(names(p.Spec.Containers), ",")
}

// assertInjected checks that the stored pod has exactly one istio-init and
// one istio-proxy (as a container, or as a native sidecar when native).
func assertInjected(t testing.TB, p *corev1.Pod, native bool) {
	t.Helper()
	if n := countContainers(p, "istio-init"); n != 1 {
		t.Errorf("pod %s: %d istio-init containers, want 1 (%s)", p.Name, n, describe(p))
	}
	inInit := slices.Contains(names(p.Spec.InitContainers), "istio-proxy")
	inMain := slices.Contains(names(p.Spec.Containers), "istio-proxy")
	switch {
	case countContainers(p, "istio-proxy") != 1:
		t.Errorf("pod %s: want exactly one istio-proxy (%s)", p.Name, describe(p))
	case native && !inInit:
		t.Errorf("pod %s: want istio-proxy as a native sidecar in initContainers (%s)", p.Name, describe(p))
	case !native && !inMain:
		t.Errorf("pod %s: want istio-proxy in containers (%s)", p.Name, describe(p))
	}
	if _, ok := p.Annotations["sidecar.istio.io/status"]; !ok {
		t.Errorf("pod %s: no sidecar.istio.io/status annotation", p.Name)
	}
}

// assertNotInjected checks that the stored pod has no sidecar at all.
func assertNotInjected(t testing.TB, p *corev1.Pod) {
	t.Helper()
	if hasContainer(p, "istio-proxy") || hasContainer(p, "istio-init") {
		t.Errorf("pod %s: injected, want untouched (%s)", p.Name, describe(p))
	}
	if _, ok := p.Annotations["sidecar.istio.io/status"]; ok {
		t.Errorf("pod %s: has sidecar.istio.io/status, want untouched", p.Name)
	}
}

// waitUntil polls cond every 50ms until it returns true, failing t after
// timeout with the last error.
func waitUntil(t testing.TB, timeout time.Duration, what string, cond func(context.Context) (bool, error)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var last error
	for {
		ok, err := cond(ctx)
		if ok {
			return
		}
		if err != nil {
			last = err
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: not reached within %s (last error: %v)", what, timeout, last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
