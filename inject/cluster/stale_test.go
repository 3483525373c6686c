package cluster_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kinject/kinject/inject"
	"github.com/kinject/kinject/inject/cluster"
)

// e2eDir holds the dumps the e2e suite took from a real kube-apiserver
// (refreshed with its -update flag, never by hand).
const e2eDir = "../../testdata/cluster/e2e"

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(e2eDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// loadFixtures loads the e2e cluster with the namespaces file given;
// edit, when set, rewrites the ConfigMaps dump first.
func loadFixtures(t testing.TB, namespaces string, edit func(string) string) *cluster.State {
	t.Helper()
	cms := string(readFixture(t, "configmaps.yaml"))
	if edit != nil {
		cms = edit(cms)
	}
	s, err := cluster.Load([]byte(cms), readFixture(t, "webhooks.yaml"), readFixture(t, namespaces), readFixture(t, "workloads.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStalenessOnServerPods(t *testing.T) {
	type want struct {
		action inject.StaleAction
		reason string // substring
	}
	bumped := func(cms string) string {
		return strings.ReplaceAll(cms, `"tag": "1.30.2"`, `"tag": "1.30.3"`)
	}
	for _, tc := range []struct {
		name, why  string
		namespaces string
		edit       func(string) string
		want       map[string]want // pod namespace/name prefix -> outcome
	}{
		{"as created", "every pod read back from the API server right after creation is up to date: defaults, status and admission's additions never make a pod stale",
			"namespaces-before.yaml", nil, map[string]want{
				"": {inject.UpToDate, ""},
			}},
		{"after relabelling", "each namespace's new labels give its pods the outcome the fixture was built for",
			"namespaces.yaml", nil, map[string]want{
				"stable-shop/":  {inject.RestartToUpdate, `injected by revision "1-30"; revision "1-31" injects it now`},
				"default-shop/": {inject.UpToDate, ""},
				"plain-shop/":   {inject.RestartToInject, `no sidecar, but revision "1-30" would inject one now`},
				"canary-shop/":  {inject.UpToDate, ""},
				"leaving-shop/": {inject.RestartToRemove, `istio-injection="disabled"`},
			}},
		{"new proxy tag", "the same revision with a new proxy image: its pods must restart, and the fields are named",
			"namespaces-before.yaml", bumped, map[string]want{
				"stable-shop/":               {inject.RestartToUpdate, `spec.containers[istio-proxy].image "docker.io/istio/proxyv2:1.30.2" → "docker.io/istio/proxyv2:1.30.3"`},
				"default-shop/api":           {inject.RestartToUpdate, `proxyv2:1.30.3`},
				"default-shop/db":            {inject.RestartToUpdate, `proxyv2:1.30.3`},
				"default-shop/tools":         {inject.UpToDate, "opts out"},
				"default-shop/node-exporter": {inject.UpToDate, "hostNetwork"},
				"plain-shop/":                {inject.UpToDate, ""},
				"canary-shop/":               {inject.UpToDate, ""},
				"leaving-shop/":              {inject.RestartToUpdate, `proxyv2:1.30.3`},
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := loadFixtures(t, tc.namespaces, tc.edit)
			m, err := s.Mesh(nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(s.Pods) < 12 {
				t.Fatalf("%d pods in the fixtures, want at least 12", len(s.Pods))
			}
			for i := range s.Pods {
				p := &s.Pods[i]
				id := p.Namespace + "/" + p.Name
				var w want
				best := -1
				for prefix, cand := range tc.want {
					if strings.HasPrefix(id, prefix) && len(prefix) > best {
						w, best = cand, len(prefix)
					}
				}
				if best < 0 {
					t.Fatalf("no expectation for pod %s", id)
				}
				st, err := m.CheckStale(context.Background(), inject.PodRequest{Pod: p})
				if err != nil {
					t.Fatalf("%s: %v", id, err)
				}
				if st.Action != w.action || !strings.Contains(st.Reason, w.reason) {
					t.Errorf("%s: %s: %s (%s)\nwant %s with %q", tc.why, id, st.Action, st.Reason, w.action, w.reason)
					for _, c := range st.Changes {
						t.Logf("  %s: %s -> %s", c.Path, c.Running, c.Current)
					}
				}
			}
		})
	}
}
