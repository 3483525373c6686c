package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"sigs.k8s.io/yaml"

	"github.com/kinject/kinject/policy"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata and the generated files in deploy/")

const goldenDir = "../../testdata/examples/webhook"

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./examples/webhook -update to create it)", err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, d)
	}
}

// command runs the program with args and returns its standard output.
func command(t *testing.T, args ...string) ([]byte, error) {
	t.Helper()
	var stdout bytes.Buffer
	err := runEnv(context.Background(), args, env{stdout: &stdout, stderr: io.Discard})
	return stdout.Bytes(), err
}

// TestConfigGolden prints webhook configurations as a user would.
func TestConfigGolden(t *testing.T) {
	ca := filepath.Join(goldenDir, "ca.crt")
	cases := []struct {
		name   string
		args   []string
		reason string
	}{
		{"revisionless", []string{"--ca-bundle", ca}, "the embedded configuration: the default injector's four webhooks in one configuration"},
		{"canary-tags", []string{"--revision", "canary", "--tag", "default", "--tag", "prod-stable", "--ca-bundle", ca},
			"a revision with tags: one configuration each, the default tag taking the default injector's webhooks"},
		{"url", []string{"--url", "https://127.0.0.1:9443/inject", "--failure-policy", "Ignore", "--timeout-seconds", "5",
			"--reinvocation-policy", "IfNeeded", "--side-effects", "NoneOnDryRun", "-r", "asm-1233-2"},
			"a webhook outside the cluster, every API-server setting changed"},
		{"namespaces-by-default", []string{"--enable-namespaces-by-default", "--service-name", "injector", "--service-namespace", "mesh", "--service-port", "15017", "--path", "/inject/cluster/c1/net/n1"},
			"enableNamespacesByDefault installs the auto webhook; another service"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := command(t, append([]string{"config"}, c.args...)...)
			if err != nil {
				t.Fatalf("config %q: %v (%s)", c.args, err, c.reason)
			}
			golden(t, filepath.Join(goldenDir, "config-"+c.name+".golden.yaml"), out)
		})
	}
}

func TestConfigFlagErrors(t *testing.T) {
	cases := []struct {
		args   []string
		want   string
		reason string
	}{
		{[]string{"--failure-policy", "fail"}, "Fail or Ignore", "the API server's values are case-sensitive"},
		{[]string{"--timeout-seconds", "0"}, "1 to 30", "the API server refuses 0"},
		{[]string{"--timeout-seconds", "31"}, "1 to 30", "the API server refuses more than 30"},
		{[]string{"--side-effects", "Some"}, "NoneOnDryRun", "v1 allows only None and NoneOnDryRun"},
		{[]string{"--reinvocation-policy", "Always"}, "Never or IfNeeded", "two values exist"},
		{[]string{"--url", "http://127.0.0.1/inject"}, "https", "the API server only calls https"},
		{[]string{"--url", "https://127.0.0.1/inject?x=1"}, "query", "the API server refuses a query"},
		{[]string{"--ca-bundle", "config_test.go"}, "no PEM certificate", "a file that is not a CA bundle"},
		{[]string{"--ca-bundle", "/nonexistent/ca.crt"}, "no such file", "an unreadable file"},
		{[]string{"--service-port", "0"}, "not a port", "a Service port is 1 to 65535"},
		{[]string{"--tag", "default"}, "default", "the revisionless install is the default injector already"},
		{[]string{"--valuesFile", "/nonexistent/values.json"}, "no such file", "the configuration must load, as the server's does"},
		{[]string{"stray"}, "unexpected argument", "arguments are flags only"},
	}
	for _, c := range cases {
		_, err := command(t, append([]string{"config"}, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("config %q: error %v, want one containing %q (%s)", c.args, err, c.want, c.reason)
		}
	}
}

// TestConfigIsPolicy: the printed configurations hold exactly the webhooks
// policy's Revision.Webhooks returns, selectors, rules and names unchanged,
// each configuration with names the API server accepts (no repeats).
func TestConfigIsPolicy(t *testing.T) {
	revs := []struct {
		rev    policy.Revision
		reason string
	}{
		{policy.Revision{}, "revisionless"},
		{policy.Revision{EnableNamespacesByDefault: true}, "with the auto webhook"},
		{policy.Revision{Name: "canary"}, "a revision"},
		{policy.Revision{Name: "canary", Tags: []string{"prod", "default"}}, "tags, the default one last"},
		{policy.Revision{Name: "asm-1233-2", Tags: []string{"default"}, EnableNamespacesByDefault: true}, "the default tag with the auto webhook"},
	}
	opts := hookOptions{serviceName: "s", serviceNS: "ns", servicePort: 443, path: "/inject",
		failurePolicy: "Ignore", timeoutSeconds: 7, reinvocationPolicy: "IfNeeded", sideEffects: "NoneOnDryRun"}
	for _, r := range revs {
		cfgs, err := webhookConfigurations(r.rev, opts)
		if err != nil {
			t.Fatalf("%s: %v", r.reason, err)
		}
		var got []admissionregistrationv1.MutatingWebhook
		for _, c := range cfgs {
			seen := map[string]bool{}
			for _, w := range c.Webhooks {
				if seen[w.Name] {
					t.Errorf("%s: configuration %s has webhook %s twice; the API server refuses it", r.reason, c.Name, w.Name)
				}
				seen[w.Name] = true
				if *w.FailurePolicy != "Ignore" || *w.TimeoutSeconds != 7 || *w.ReinvocationPolicy != "IfNeeded" || *w.SideEffects != "NoneOnDryRun" || w.ClientConfig.Service.Name != "s" {
					t.Errorf("%s: webhook %s does not carry the flags' settings", r.reason, w.Name)
				}
				w.ClientConfig, w.FailurePolicy, w.TimeoutSeconds, w.ReinvocationPolicy, w.SideEffects = admissionregistrationv1.WebhookClientConfig{}, nil, nil, nil, nil
				got = append(got, w)
			}
		}
		want := r.rev.Webhooks()
		for i := range want {
			w := &want[i]
			w.ClientConfig, w.FailurePolicy, w.TimeoutSeconds, w.ReinvocationPolicy, w.SideEffects = admissionregistrationv1.WebhookClientConfig{}, nil, nil, nil, nil
		}
		sortHooks := func(hs []admissionregistrationv1.MutatingWebhook) []string {
			var out []string
			for _, h := range hs {
				b, _ := yaml.Marshal(h)
				out = append(out, string(b))
			}
			return out
		}
		if d := cmp.Diff(sortHooks(want), sortHooksSorted(sortHooks(got), sortHooks(want))); d != "" {
			t.Errorf("%s: the configurations' webhooks differ from policy's (-policy +printed):\n%s", r.reason, d)
		}
	}
}

// sortHooksSorted orders got as want is ordered when both hold the same
// items, so that cmp.Diff shows only real differences: the configurations
// regroup Webhooks' list by revision and tag.
func sortHooksSorted(got, want []string) []string {
	out := make([]string, 0, len(got))
	used := make([]bool, len(got))
	for _, w := range want {
		for i, g := range got {
			if !used[i] && g == w {
				used[i] = true
				out = append(out, g)
				break
			}
		}
	}
	for i, g := range got {
		if !used[i] {
			out = append(out, g)
		}
	}
	return out
}
