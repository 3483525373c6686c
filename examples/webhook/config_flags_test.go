package main

import (
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kinject/kinject/examples/internal/cliconfig"
)

// TestConfigFileFlags: the webhook takes kube-inject's (istioctl's) names
// for the configuration files, and its former names as deprecated aliases.
func TestConfigFileFlags(t *testing.T) {
	want := cliconfig.Files{InjectConfig: "c.yaml", Values: "v.json", Mesh: "m.yaml"}
	tls := []string{"--tls-cert", "a", "--tls-key", "b"}
	cases := []struct {
		name, reason string
		args         []string
	}{
		{"istioctl names", "the same flags as kube-inject", []string{"--injectConfigFile", "c.yaml", "--valuesFile", "v.json", "--meshConfigFile", "m.yaml"}},
		{"deprecated names", "deployments written for the old names keep working", []string{"--inject-config", "c.yaml", "--values", "v.json", "--mesh", "m.yaml"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o, err := parse(append(tls, c.args...), io.Discard)
			if err != nil {
				t.Fatalf("%v (%s)", err, c.reason)
			}
			if d := cmp.Diff(want, o.src.files); d != "" {
				t.Errorf("files (-want +got) (%s):\n%s", c.reason, d)
			}
		})
	}
	o, err := parse(append(tls, "-r", "canary", "--native-sidecars"), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o.src.knobs.Revision != "canary" || o.src.knobs.NativeSidecars != "true" {
		t.Errorf("-r canary --native-sidecars: revision %q, native %q", o.src.knobs.Revision, o.src.knobs.NativeSidecars)
	}
}
