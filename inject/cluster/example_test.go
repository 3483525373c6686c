package cluster_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kinject/kinject/inject"
	"github.com/kinject/kinject/inject/cluster"
)

// Load a cluster's dumps and ask, for every running pod, whether its
// sidecar is what the cluster would inject now. The dumps are the e2e
// suite's: two revisions (1-30 with tags default and prod-stable, 1-31
// with prod-canary) after five namespaces were relabelled.
func Example() {
	var dumps [][]byte
	for _, f := range []string{"configmaps.yaml", "webhooks.yaml", "namespaces.yaml", "workloads.yaml"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "cluster", "e2e", f))
		if err != nil {
			log.Fatal(err)
		}
		dumps = append(dumps, b)
	}
	state, err := cluster.Load(dumps...)
	if err != nil {
		log.Fatal(err)
	}
	mesh, err := state.Mesh(nil)
	if err != nil {
		log.Fatal(err)
	}
	for i := range state.Pods {
		pod := &state.Pods[i]
		if pod.Namespace != "stable-shop" && pod.Namespace != "plain-shop" {
			continue
		}
		st, err := mesh.CheckStale(context.Background(), inject.PodRequest{Pod: pod})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s/%s: %s (%q -> %q)\n", pod.Namespace, pod.Name, st.Action, st.RunningRevision, st.CurrentRevision)
	}
	// Output:
	// plain-shop/agent-x7k2p: RestartToInject ("" -> "1-30")
	// plain-shop/legacy-6d9df68b96-abcde: RestartToInject ("" -> "1-30")
	// stable-shop/debug: RestartToUpdate ("1-30" -> "1-31")
	// stable-shop/web-58d8585bd5-abcde: RestartToUpdate ("1-30" -> "1-31")
	// stable-shop/web-58d8585bd5-bbcde: RestartToUpdate ("1-30" -> "1-31")
}

// The multi-revision injector routes each pod to the revision the
// installed webhooks pick.
func ExampleState_Mesh() {
	var dumps [][]byte
	for _, f := range []string{"configmaps.yaml", "webhooks.yaml", "namespaces.yaml"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "cluster", "e2e", f))
		if err != nil {
			log.Fatal(err)
		}
		dumps = append(dumps, b)
	}
	state, err := cluster.Load(dumps...)
	if err != nil {
		log.Fatal(err)
	}
	mesh, err := state.Mesh(nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, ns := range []string{"default-shop", "stable-shop", "leaving-shop"} {
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx:1.27"}}},
		}
		res, err := mesh.InjectPod(context.Background(), inject.PodRequest{Pod: pod})
		if err != nil {
			log.Fatal(err)
		}
		if !res.Decision.Inject {
			fmt.Printf("%s: no sidecar: %s\n", ns, res.Decision.Reason)
			continue
		}
		for _, c := range res.Pod.Spec.Containers {
			if c.Name == "istio-proxy" {
				fmt.Printf("%s: revision %q via %s, proxy %s\n", ns, res.Decision.Revision, res.Decision.Configuration, c.Image)
			}
		}
	}
	// Output:
	// default-shop: revision "1-30" via istio-revision-tag-default, proxy docker.io/istio/proxyv2:1.30.2
	// stable-shop: revision "1-31" via istio-revision-tag-prod-canary, proxy docker.io/istio/proxyv2:1.31.0
	// leaving-shop: no sidecar: namespace label istio-injection="disabled" turns injection off for the namespace
}
