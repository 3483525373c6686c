package inject

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// BenchmarkCacheKey measures computing the cache keys of the two caches
// for the hello pod: the Injector's (from the decoded pod) and the
// Reviewer's (from the raw request object).
func BenchmarkCacheKey(b *testing.B) {
	b.Run("injector", func(b *testing.B) {
		inj := newTestInjector(b, nil)
		pod := helloPod()
		req := PodRequest{Pod: pod, PatchOnly: true}
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := inj.cacheKey(req, "default", idAll&^inj.readsOf(nil)); !ok {
				b.Fatal("not cacheable")
			}
		}
	})
	b.Run("reviewer", func(b *testing.B) {
		raw := benchJSON(b, helloPod())
		b.ReportAllocs()
		for b.Loop() {
			reviewKey("default", raw)
		}
	})
	b.Run("reviewer-managedfields", func(b *testing.B) {
		p := helloPod()
		p.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: "kube-controller-manager", Operation: "Update", APIVersion: "v1",
			Time: &metav1.Time{}, FieldsType: "FieldsV1", FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:metadata":{"f:generateName":{},"f:labels":{".":{},"f:app":{},"f:pod-template-hash":{}},"f:ownerReferences":{".":{},"k:{\"uid\":\"0d6c5e9a\"}":{}}},"f:spec":{"f:containers":{"k:{\"name\":\"hello\"}":{".":{},"f:image":{},"f:imagePullPolicy":{},"f:name":{},"f:ports":{".":{},"k:{\"containerPort\":80,\"protocol\":\"TCP\"}":{".":{},"f:containerPort":{},"f:name":{},"f:protocol":{}}},"f:resources":{}}},"f:dnsPolicy":{},"f:enableServiceLinks":{},"f:restartPolicy":{}}}`)}}}
		raw := benchJSON(b, p)
		b.ReportAllocs()
		for b.Loop() {
			reviewKey("default", raw)
		}
	})
}
