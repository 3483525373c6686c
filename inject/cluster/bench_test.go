package cluster_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/kinject/kinject/inject"
	"github.com/kinject/kinject/inject/cluster"
)

// generatedPods is a `kubectl get pods -A -o yaml` of n pods in
// namespaces namespaces: copies of the e2e fixtures' API-server pods
// (injected and not) under new names.
func generatedPods(b *testing.B, n, namespaces int) (pods []byte, nsDump []byte) {
	b.Helper()
	s := loadFixtures(b, "namespaces.yaml", nil)
	var items []any
	for i := 0; i < n; i++ {
		p := s.Pods[i%len(s.Pods)].DeepCopy()
		p.Namespace = fmt.Sprintf("ns-%03d", i%namespaces)
		p.Name = fmt.Sprintf("%s-%05d", p.Name, i)
		p.APIVersion, p.Kind = "v1", "Pod"
		items = append(items, p)
	}
	labels := map[string]map[string]string{}
	for k := 0; k < namespaces; k++ {
		labels[fmt.Sprintf("ns-%03d", k)] = [](map[string]string){
			{"istio-injection": "enabled"}, {"istio.io/rev": "prod-canary"}, {"istio.io/rev": "1-30"}, nil,
		}[k%4]
	}
	return list(b, items), namespaceList(b, labels)
}

func BenchmarkLoad(b *testing.B) {
	pods, ns := generatedPods(b, 5000, 200)
	cms, hooks := readFixture(b, "configmaps.yaml"), readFixture(b, "webhooks.yaml")
	b.SetBytes(int64(len(pods)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s, err := cluster.Load(cms, hooks, ns, pods)
		if err != nil || len(s.Pods) != 5000 {
			b.Fatal(err, len(s.Pods))
		}
	}
}

func BenchmarkCheckStale(b *testing.B) {
	for _, tc := range []struct {
		name, namespaces, pod string
	}{
		{"up-to-date", "namespaces.yaml", "web-"},      // same revision, compared field by field
		{"revision-change", "namespaces.yaml", "web-"}, // decided only
	} {
		b.Run(tc.name, func(b *testing.B) {
			ns := tc.namespaces
			if tc.name == "up-to-date" {
				ns = "namespaces-before.yaml"
			}
			s := loadFixtures(b, ns, nil)
			m, err := s.Mesh(nil)
			if err != nil {
				b.Fatal(err)
			}
			var pod *corev1.Pod
			for i := range s.Pods {
				if s.Pods[i].Namespace == "stable-shop" {
					pod = &s.Pods[i]
					break
				}
			}
			want := inject.UpToDate
			if tc.name == "revision-change" {
				want = inject.RestartToUpdate
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				st, err := m.CheckStale(context.Background(), inject.PodRequest{Pod: pod})
				if err != nil || st.Action != want {
					b.Fatal(err, st.Action)
				}
			}
		})
	}
}

// BenchmarkPlanAndLint plans a relabel and lints a 5,000-pod,
// 200-namespace cluster (the e2e fixtures' API-server pods, copied).
func BenchmarkPlanAndLint(b *testing.B) {
	pods, ns := generatedPods(b, 5000, 200)
	s, err := cluster.Load(readFixture(b, "configmaps.yaml"), readFixture(b, "webhooks.yaml"), ns, pods)
	if err != nil {
		b.Fatal(err)
	}
	change, err := cluster.ParseChange([]string{"label", "namespace", "ns-001", "istio.io/rev=1-31", "--overwrite"})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p, err := s.Plan(context.Background(), change, cluster.Options{})
		if err != nil || len(p.Workloads) == 0 {
			b.Fatal(err)
		}
		if _, err := s.Lint(context.Background(), cluster.Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	var m runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m)
	b.ReportMetric(float64(m.HeapInuse)/(1<<20), "MB-heap-after")
}
