package cluster_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/kinject/kinject/inject"
)

// TestMeshReview: a webhook serving every revision answers an
// AdmissionReview with the revision the namespace's labels (from the
// dumps) select, and lets a pod no webhook selects through untouched.
func TestMeshReview(t *testing.T) {
	s := loadFixtures(t, "namespaces.yaml", nil)
	m, err := s.Mesh(nil)
	if err != nil {
		t.Fatal(err)
	}
	review := func(ns string) []byte {
		return []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u1",` +
			`"kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},` +
			`"namespace":"` + ns + `","operation":"CREATE","object":{"apiVersion":"v1","kind":"Pod",` +
			`"metadata":{"generateName":"web-","labels":{"app":"web"}},"spec":{"containers":[{"name":"app","image":"nginx:1.27"}]}}}}`)
	}
	for _, tc := range []struct {
		ns, why, image string // image "" means no patch
	}{
		{"stable-shop", "istio.io/rev=prod-canary: the canary's proxy", "proxyv2:1.31.0"},
		{"default-shop", "istio-injection=enabled: the default tag's revision", "proxyv2:1.30.2"},
		{"leaving-shop", "istio-injection=disabled: allowed untouched", ""},
		{"unknown-ns", "a namespace missing from the dumps has no labels: untouched", ""},
	} {
		t.Run(tc.ns, func(t *testing.T) {
			out, err := m.Review(context.Background(), review(tc.ns))
			if err != nil {
				t.Fatal(err)
			}
			var r struct {
				Response struct {
					UID     string `json:"uid"`
					Allowed bool   `json:"allowed"`
					Patch   string `json:"patch"`
				} `json:"response"`
			}
			if err := json.Unmarshal(out, &r); err != nil {
				t.Fatal(err)
			}
			patch, _ := base64.StdEncoding.DecodeString(r.Response.Patch)
			if !r.Response.Allowed || r.Response.UID != "u1" {
				t.Fatalf("%s: response %s", tc.why, out)
			}
			if tc.image == "" && len(patch) > 0 || tc.image != "" && !strings.Contains(string(patch), tc.image) {
				t.Errorf("%s: patch %.200s, want image %q", tc.why, patch, tc.image)
			}
		})
	}
}

// TestMeshManifests: manual injection of a stream routes each document to
// the revision of its own namespace, or of the namespace labels given.
func TestMeshManifests(t *testing.T) {
	s := loadFixtures(t, "namespaces.yaml", nil)
	m, err := s.Mesh(nil)
	if err != nil {
		t.Fatal(err)
	}
	stream := []byte(`apiVersion: apps/v1
kind: Deployment
metadata: {name: a, namespace: stable-shop}
spec:
  selector: {matchLabels: {app: a}}
  template:
    metadata: {labels: {app: a}}
    spec: {containers: [{name: a, image: nginx}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: b, namespace: default-shop}
spec:
  selector: {matchLabels: {app: b}}
  template:
    metadata: {labels: {app: b}}
    spec: {containers: [{name: b, image: nginx}]}
---
apiVersion: v1
kind: Service
metadata: {name: s}
`)
	res, err := m.InjectManifests(context.Background(), stream, inject.ManifestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	docs := strings.Split(string(res.Output), "---\n")
	if len(docs) < 3 || !strings.Contains(docs[0], "proxyv2:1.31.0") || !strings.Contains(docs[1], "proxyv2:1.30.2") || !strings.Contains(docs[2], "kind: Service") {
		t.Errorf("each Deployment is injected by its namespace's revision, the Service copied:\n%s", res.Output)
	}
	// The namespace labels given win over a document's own namespace.
	res, err = m.InjectManifests(context.Background(), stream, inject.ManifestOptions{NamespaceLabels: map[string]string{"istio.io/rev": "1-30"}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(string(res.Output), "proxyv2:1.30.2") < 2 || strings.Contains(string(res.Output), "proxyv2:1.31.0") {
		t.Errorf("with istio.io/rev=1-30 given, both Deployments get 1-30's proxy:\n%s", res.Output)
	}
}
