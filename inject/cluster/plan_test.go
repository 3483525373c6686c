package cluster_test

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kinject/kinject/inject/cluster"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./inject/cluster -update to create it)", err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, d)
	}
}

// planCases are the changes the guides make, on the e2e cluster.
var planCases = []struct {
	name, why  string
	namespaces string // which namespaces dump: before or after the e2e's relabelling
	change     []string
	want       map[string]cluster.Action // workload ID -> action; unlisted: Nothing
	commands   []string
}{
	{"relabel-to-canary", "the guides' migration: kubectl label namespace NS istio-injection- istio.io/rev=1-31 --overwrite; the Deployment restarts, the bare pod is recreated",
		"namespaces-before.yaml", []string{"kubectl", "label", "namespace", "stable-shop", "istio-injection-", "istio.io/rev=1-31", "--overwrite"},
		map[string]cluster.Action{"deployment/web.stable-shop": cluster.RestartToUpdate, "pod/debug.stable-shop": cluster.DeleteAndRecreate},
		[]string{
			"kubectl label namespace stable-shop istio-injection- istio.io/rev=1-31 --overwrite",
			"kubectl rollout restart -n stable-shop deployment/web",
			"kubectl delete pod debug -n stable-shop   # then create it again from its manifest",
		}},
	{"move-default-tag", "istioctl tag set default --revision 1-31: istio-injection=enabled namespaces move, the prod-stable tag and the revision's own name stay",
		"namespaces-before.yaml", []string{"istioctl", "tag", "set", "default", "--revision", "1-31", "--overwrite"},
		map[string]cluster.Action{"deployment/api.default-shop": cluster.RestartToUpdate, "statefulset/db.default-shop": cluster.RestartToUpdate},
		[]string{
			"istioctl tag set default --revision 1-31 --overwrite",
			"kubectl rollout restart -n default-shop deployment/api statefulset/db",
		}},
	{"enable-namespace", "labelling a namespace whose pods started without a sidecar: restart to inject (the guides' 1/1 instead of 2/2)",
		"namespaces-before.yaml", []string{"label", "ns", "plain-shop", "istio-injection=enabled"},
		map[string]cluster.Action{"deployment/legacy.plain-shop": cluster.RestartToInject, "daemonset/agent.plain-shop": cluster.RestartToInject},
		[]string{
			"kubectl label namespace plain-shop istio-injection=enabled",
			"kubectl rollout restart -n plain-shop daemonset/agent deployment/legacy",
		}},
	{"disable-namespace", "taking a namespace out of the mesh: restart to remove the sidecar",
		"namespaces-before.yaml", []string{"label", "namespace", "leaving-shop", "istio.io/rev-", "istio-injection=disabled"},
		map[string]cluster.Action{"deployment/old.leaving-shop": cluster.RestartToRemove},
		[]string{
			"kubectl label namespace leaving-shop istio.io/rev- istio-injection=disabled",
			"kubectl rollout restart -n leaving-shop deployment/old",
		}},
	{"jobs-wait", "moving a namespace with Jobs: the Deployment restarts, running Jobs (and the CronJob's) are waited for",
		"namespaces-before.yaml", []string{"label", "namespace", "canary-shop", "istio.io/rev=1-30", "--overwrite"},
		map[string]cluster.Action{"deployment/cart.canary-shop": cluster.RestartToUpdate, "job/migrate.canary-shop": cluster.Wait, "cronjob/report.canary-shop": cluster.Wait},
		[]string{
			"kubectl label namespace canary-shop istio.io/rev=1-30 --overwrite",
			"kubectl rollout restart -n canary-shop deployment/cart",
		}},
	{"as-is", "no change: the plan for the state after the e2e's relabelling lists every stale workload",
		"namespaces.yaml", nil,
		map[string]cluster.Action{
			"deployment/web.stable-shop": cluster.RestartToUpdate, "pod/debug.stable-shop": cluster.DeleteAndRecreate,
			"deployment/legacy.plain-shop": cluster.RestartToInject, "daemonset/agent.plain-shop": cluster.RestartToInject,
			"deployment/old.leaving-shop": cluster.RestartToRemove,
		},
		[]string{
			"kubectl rollout restart -n leaving-shop deployment/old",
			"kubectl rollout restart -n plain-shop daemonset/agent deployment/legacy",
			"kubectl rollout restart -n stable-shop deployment/web",
			"kubectl delete pod debug -n stable-shop   # then create it again from its manifest",
		}},
	{"up-to-date", "no change on the state as created: nothing to do", "namespaces-before.yaml", nil, map[string]cluster.Action{}, []string{}},
}

func TestPlan(t *testing.T) {
	for _, tc := range planCases {
		t.Run(tc.name, func(t *testing.T) {
			s := loadFixtures(t, tc.namespaces, nil)
			c, err := cluster.ParseChange(tc.change)
			if err != nil {
				t.Fatal(err)
			}
			p, err := s.Plan(context.Background(), c, cluster.Options{})
			if err != nil {
				t.Fatal(err)
			}
			restarts := 0
			for _, w := range p.Workloads {
				want, ok := tc.want[w.ID()]
				if !ok {
					want = cluster.Nothing
				}
				if w.Action != want {
					t.Errorf("%s: %s: %s (%s), want %s", tc.why, w.ID(), w.Action, w.Reason, want)
				}
				if w.Action != cluster.Nothing {
					restarts++
				}
			}
			if restarts != len(tc.want) || p.Restarts != restarts {
				t.Errorf("%s: %d workloads to act on (Restarts %d), want %d", tc.why, restarts, p.Restarts, len(tc.want))
			}
			if tc.commands == nil {
				tc.commands = []string{}
			}
			if d := cmp.Diff(tc.commands, p.Commands); d != "" {
				t.Errorf("%s: commands (-want +got):\n%s", tc.why, d)
			}
			b, err := json.MarshalIndent(p, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("..", "..", "testdata", "cluster", "plans", tc.name+".json"), append(b, '\n'))
		})
	}
}

// TestPlanThenRestart: after the plan's restarts (pods recreated under
// the new labels, as the e2e does), the plan is empty.
func TestPlanOptions(t *testing.T) {
	s := loadFixtures(t, "namespaces.yaml", nil)
	for _, tc := range []struct {
		name, why string
		opts      cluster.Options
		want      []string // workload IDs with an action
	}{
		{"namespace", "-n limits the plan to one namespace", cluster.Options{Namespace: "plain-shop"},
			[]string{"daemonset/agent.plain-shop", "deployment/legacy.plain-shop"}},
		{"selector", "-l selects workloads by their new pods' labels", cluster.Options{Selector: labels.SelectorFromSet(labels.Set{"app": "web"})},
			[]string{"deployment/web.stable-shop"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := s.Plan(context.Background(), cluster.Change{}, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, w := range p.Workloads {
				if w.Action != cluster.Nothing {
					got = append(got, w.ID())
				}
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("%s (-want +got):\n%s", tc.why, d)
			}
		})
	}
}

func TestPlanRefuses(t *testing.T) {
	s := loadFixtures(t, "namespaces-before.yaml", nil)
	for _, tc := range []struct {
		name, why string
		change    []string
		err       string
	}{
		{"no namespace", "kubectl label fails on a namespace that does not exist", []string{"label", "namespace", "nope", "istio.io/rev=1-31"}, `namespaces "nope" not found`},
		{"no overwrite", "kubectl refuses to change a label without --overwrite", []string{"label", "namespace", "stable-shop", "istio.io/rev=1-31"}, `"istio.io/rev" already has a value (1-30), and --overwrite is false`},
		{"unknown revision", "a tag cannot point at a revision that is not installed", []string{"tag", "set", "default", "--revision", "1-29"}, `revision "1-29" is not installed`},
		{"tag exists", "istioctl refuses to move an existing tag without --overwrite", []string{"tag", "set", "default", "--revision", "1-31"}, `revision tag "default" already exists (pointing at "1-30"), and --overwrite is false`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := cluster.ParseChange(tc.change)
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.Plan(context.Background(), c, cluster.Options{})
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want %q", tc.why, err, tc.err)
			}
		})
	}
}

func TestParseChange(t *testing.T) {
	for _, tc := range []struct {
		name, why string
		args      []string
		want      []string // Commands(); nil with err
		err       string
	}{
		{"guides' relabel", "the guides' command, word for word", []string{"kubectl", "label", "namespace", "shop", "istio-injection-", "istio.io/rev=canary", "--overwrite"},
			[]string{"kubectl label namespace shop istio-injection- istio.io/rev=canary --overwrite"}, ""},
		{"several namespaces", "kubectl label takes several names", []string{"label", "namespaces", "a", "b", "istio.io/rev=canary"},
			[]string{"kubectl label namespace a b istio.io/rev=canary"}, ""},
		{"tag with -r", "istioctl's short flag for --revision", []string{"istioctl", "tag", "set", "prod", "-r", "canary"},
			[]string{"istioctl tag set prod --revision canary"}, ""},
		{"two commands", "a tag move and a relabel, separated by a lone ;", []string{"label", "ns", "shop", "istio.io/rev=prod", ";", "tag", "set", "prod", "--revision=canary"},
			[]string{"istioctl tag set prod --revision canary", "kubectl label namespace shop istio.io/rev=prod"}, ""},
		{"empty", "no arguments plan for the state as it is", nil, nil, ""},
		{"bad value", "label values are checked as kubectl checks them", []string{"label", "ns", "shop", "istio.io/rev=a b"}, nil, "label istio.io/rev=\"a b\""},
		{"no labels", "a relabel needs a label", []string{"label", "ns", "shop"}, nil, "at least one KEY=VALUE"},
		{"other command", "only the guides' two commands are planned", []string{"kubectl", "delete", "ns", "shop"}, nil, "not a change kinject can plan"},
		{"tag without revision", "istioctl tag set needs --revision", []string{"tag", "set", "prod"}, nil, "needs a tag and --revision"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := cluster.ParseChange(tc.args)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("%s: error %v, want %q", tc.why, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, c.Commands()); d != "" {
				t.Errorf("%s (-want +got):\n%s", tc.why, d)
			}
		})
	}
}
