package inject

import (
	"context"
	"reflect"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// FuzzLoadConfig feeds arbitrary dumps to LoadConfig: it never panics and
// gives the same answer twice.
func FuzzLoadConfig(f *testing.F) {
	f.Add([]byte("policy: enabled\ntemplates:\n  sidecar: x\n"), []byte(`{"revision":"a"}`), []byte("trustDomain: t\n"))
	f.Add([]byte("template: |\n  spec: {}\n"), []byte(`{}`), []byte("defaultConfig: {interceptionMode: TPROXY}\n"))
	f.Add([]byte("neverInjectSelector: [{matchExpressions: [{key: a, operator: In}]}]"), []byte("[1]"), []byte("extensionProviders: [{}]"))
	f.Fuzz(func(t *testing.T, injectConfig, values, mesh []byte) {
		c1, err1 := LoadConfig(injectConfig, values, mesh)
		c2, err2 := LoadConfig(injectConfig, values, mesh)
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("non-deterministic error: %v vs %v", err1, err2)
		}
		if err1 != nil {
			if err1.Error() != err2.Error() {
				t.Fatalf("non-deterministic error text: %v vs %v", err1, err2)
			}
			return
		}
		if !reflect.DeepEqual(c1, c2) {
			t.Fatal("non-deterministic config")
		}
		if len(c1.Templates) > 0 {
			if inj, err := New(c1); err == nil {
				_, _ = inj.InjectPod(context.Background(), PodRequest{Pod: &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app"}}}}})
			}
		}
	})
}

// FuzzInjectPodAnnotation injects a pod carrying one arbitrary annotation
// with the default configuration: never a panic, and the result is the same
// twice (the second time from the cache). For an annotation the hostile
// value tests know (hostile_test.go), the value is either refused with an
// error naming the key or changes only the fields the key drives.
func FuzzInjectPodAnnotation(f *testing.F) {
	for _, s := range [][2]string{
		{"proxy.istio.io/config", "holdApplicationUntilProxyStarts: true"},
		{"traffic.sidecar.istio.io/includeInboundPorts", "80,}}"},
		{"prometheus.io/port", "9090\n\"x\": y"},
		{"sidecar.istio.io/status", `{"containers":["app"]}`},
		{"proxy.istio.io/overrides", `{"containers":[{"name":"istio-proxy"}]}`},
		{"prometheus.istio.io/scrape-targets", "1:/a,,:"},
	} {
		f.Add(s[0], s[1])
	}
	for _, k := range hostileKeys {
		if !k.label {
			f.Add(k.key, k.benign)
			f.Add(k.key, k.benign+"\"\nevil: x")
		}
	}
	ht := embeddedTarget(f)
	inj := ht.inj
	f.Fuzz(func(t *testing.T, key, value string) {
		pod := &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "app"}}}}
		pod.Name, pod.Namespace = "p", "ns"
		pod.Annotations = map[string]string{key: value}
		r1, err1 := inj.InjectPod(context.Background(), PodRequest{Pod: pod})
		r2, err2 := inj.InjectPod(context.Background(), PodRequest{Pod: pod})
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("non-deterministic: %v vs %v", err1, err2)
		}
		if err1 == nil && podJSON(t, r1) != podJSON(t, r2) {
			t.Fatal("cached result differs")
		}
		if k, ok := hostileKeyFor(key); ok {
			ht.check(t, k, value, "pod")
		}
	})
}

// TestConcurrentInjectPod injects the golden pods from many goroutines on
// one Injector (run with -race): results equal the sequential ones.
func TestConcurrentInjectPod(t *testing.T) {
	inj := podInjector(t, nil)
	var pods []*corev1.Pod
	var want []string
	for _, tc := range podGoldenCases {
		if tc.tweak != nil {
			continue
		}
		p := loadPod(t, podDir+"/"+tc.name+".yaml")
		r, err := inj.InjectPod(context.Background(), PodRequest{Pod: p})
		pods = append(pods, p)
		if err != nil {
			want = append(want, "error: "+err.Error())
		} else {
			want = append(want, podJSON(t, r))
		}
	}
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k, p := range pods {
				r, err := inj.InjectPod(context.Background(), PodRequest{Pod: p})
				got := ""
				if err != nil {
					got = "error: " + err.Error()
				} else {
					got = podJSON(t, r)
				}
				if got != want[k] {
					errs <- p.Name
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for name := range errs {
		t.Errorf("concurrent result for %s differs from the sequential one", name)
	}
}
