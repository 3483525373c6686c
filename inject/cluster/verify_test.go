package cluster_test

import (
	"context"
	"strings"
	"testing"

	"github.com/kinject/kinject/inject/cluster"
	"github.com/kinject/kinject/policy"
)

func TestVerify(t *testing.T) {
	for _, tc := range []struct {
		name, why  string
		namespaces string
		problems   map[string]string // pod namespace/name -> reason substring; every other pod OK
		notes      map[string]string // OK pods without a sidecar -> reason substring
		injected   int
	}{
		{"as created", "every pod as intended: the injected ones 2/2, the opted-out and hostNetwork ones explained",
			"namespaces-before.yaml", nil, map[string]string{
				"default-shop/tools":         "it opts out",
				"default-shop/node-exporter": "hostNetwork",
				"plain-shop/agent-x7k2p":     "neither namespace",
			}, 9},
		{"after relabelling", "pods created before the change are listed with why",
			"namespaces.yaml", map[string]string{
				"stable-shop/debug":                `created before the change: its sidecar is revision "1-30"'s, new pods get revision "1-31"'s`,
				"plain-shop/agent-x7k2p":           `created before the change: it has no sidecar, new pods get revision "1-30"'s (1/1 where 2/2 is due)`,
				"leaving-shop/old-587cbc7c6-abcde": `it has revision "1-30"'s sidecar, new pods get none`,
			}, nil, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := loadFixtures(t, tc.namespaces, nil)
			v, err := s.Verify(context.Background(), cluster.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if v.Total != len(s.Pods) || v.Total != len(v.Pods) {
				t.Errorf("%s: %d pods checked of %d", tc.why, v.Total, len(s.Pods))
			}
			for _, c := range v.Pods {
				id := c.Namespace + "/" + c.Name
				if want, ok := tc.problems[id]; ok {
					if c.OK || !strings.Contains(c.Reason, want) {
						t.Errorf("%s: %s: ok=%v %q, want a problem with %q", tc.why, id, c.OK, c.Reason, want)
					}
					continue
				}
				if want, ok := tc.notes[id]; ok && (!c.OK || !strings.Contains(c.Reason, want)) {
					t.Errorf("%s: %s: ok=%v %q, want OK with %q", tc.why, id, c.OK, c.Reason, want)
				}
				if c.Revision != "" && c.OK && c.Ready() != "2/2" {
					t.Errorf("%s: %s: an injected pod shows %s", tc.why, id, c.Ready())
				}
			}
			if tc.problems == nil && v.OK != v.Total {
				t.Errorf("%s: %d of %d OK", tc.why, v.OK, v.Total)
			}
			if tc.injected > 0 && v.Injected < tc.injected {
				t.Errorf("%s: %d pods with the intended sidecar, want at least %d", tc.why, v.Injected, tc.injected)
			}
		})
	}
}

func TestLintState(t *testing.T) {
	extra := []byte(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: greedy
  namespace: default-shop
spec:
  selector:
    matchLabels: {app: greedy}
  template:
    metadata:
      labels: {app: greedy}
      annotations:
        sidecar.istio.io/proxyCPU: lots
    spec:
      containers:
      - name: app
        image: registry.example/app:1.0
`)
	for _, tc := range []struct {
		name, why string
		extra     []byte
		want      []string // code object
	}{
		{"fixtures", "the fixtures' labels are clean; a hostNetwork pod in an injecting namespace is the one finding", nil,
			[]string{string(policy.CodeHostNetwork) + " pod/node-exporter.default-shop"}},
		{"refused annotation", "a workload whose next pod its revision's injector refuses: found with the templates", extra,
			[]string{string(cluster.CodeInjectionFails) + " deployment/greedy.default-shop", string(policy.CodeHostNetwork) + " pod/node-exporter.default-shop"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dumps := [][]byte{readFixture(t, "configmaps.yaml"), readFixture(t, "webhooks.yaml"), readFixture(t, "namespaces.yaml"), readFixture(t, "workloads.yaml")}
			if tc.extra != nil {
				dumps = append(dumps, tc.extra)
			}
			s, err := cluster.Load(dumps...)
			if err != nil {
				t.Fatal(err)
			}
			f, err := s.Lint(context.Background(), cluster.Options{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, x := range f {
				got = append(got, string(x.Code)+" "+x.Object)
				if x.Code == cluster.CodeInjectionFails && !strings.Contains(x.Message, "sidecar.istio.io/proxyCPU") {
					t.Errorf("%s: the finding does not name the annotation: %s", tc.why, x.Message)
				}
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("%s: findings\n%s\nwant\n%s", tc.why, strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}
