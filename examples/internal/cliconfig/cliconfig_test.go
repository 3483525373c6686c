package cliconfig

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kinject/kinject/inject"
)

// TestApply parses flags onto a Config that already holds values from its
// files and checks what changed.
func TestApply(t *testing.T) {
	base := func() *inject.Config {
		return &inject.Config{
			Revision: "files", ClusterID: "from-values", Tags: []string{"stable"},
			Env: map[string]string{"A": "file"}, EnableNamespacesByDefault: true,
		}
	}
	tests := []struct {
		name, reason string
		args         []string
		want         func(c *inject.Config)
		wantErr      string
	}{
		{"nothing", "no flag leaves the files' settings alone", nil, func(*inject.Config) {}, ""},
		{"revision default", "istioctl maps --revision default to the revisionless install",
			[]string{"--revision", "default"}, func(c *inject.Config) { c.Revision = "" }, ""},
		{"revision empty", "an explicit empty revision is given, not absent",
			[]string{"--revision="}, func(c *inject.Config) { c.Revision = "" }, ""},
		{"revision", "a named revision", []string{"--revision", "canary"}, func(c *inject.Config) { c.Revision = "canary" }, ""},
		{"native", "true and false both apply", []string{"--native-sidecars", "true"}, func(c *inject.Config) { c.NativeSidecars = true }, ""},
		{"namespaces by default off", "false is distinct from not given",
			[]string{"--enable-namespaces-by-default", "false"}, func(c *inject.Config) { c.EnableNamespacesByDefault = false }, ""},
		{"strings", "cluster, network, platform, compliance policy",
			[]string{"--cluster-id", "c1", "--network", "n1", "--platform", "openshift", "--compliance-policy", "fips-140-2"},
			func(c *inject.Config) {
				c.ClusterID, c.Network, c.Platform, c.CompliancePolicy = "c1", "n1", "openshift", "fips-140-2"
			}, ""},
		{"empty cluster", "an empty value does not clear the files' setting", []string{"--cluster-id", ""}, func(*inject.Config) {}, ""},
		{"env and tags add", "--env and --tag add to the files' settings",
			[]string{"--env", "B=flag", "--env", "A=over", "--tag", "prod", "--tag", "canary"},
			func(c *inject.Config) {
				c.Env = map[string]string{"A": "over", "B": "flag"}
				c.Tags = []string{"stable", "prod", "canary"}
			}, ""},
		{"ignored", "a comma-separated list", []string{"--ignored-namespaces", "a,b"}, func(c *inject.Config) { c.IgnoredNamespaces = []string{"a", "b"} }, ""},
		{"bad bool", "the flag is named", []string{"--native-sidecars", "yes"}, nil, `--native-sidecars: "yes" is neither true nor false`},
		{"bad env", "KEY=VALUE is required", []string{"--env", "NOEQUALS"}, nil, `"NOEQUALS" is not KEY=VALUE`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := flag.NewFlagSet("t", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			var k Knobs
			k.Register(fs)
			got := base()
			err := fs.Parse(tt.args)
			if err == nil {
				err = k.Apply(got)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q (%s)", err, tt.wantErr, tt.reason)
				}
				return
			}
			if err != nil {
				t.Fatalf("%v (%s)", err, tt.reason)
			}
			want := base()
			tt.want(want)
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("config (-want +got) (%s):\n%s", tt.reason, d)
			}
		})
	}
}

// TestApplyDoesNotShareEnv: the Config's Env map is replaced, not written,
// so a map shared with another Config is left alone.
func TestApplyDoesNotShareEnv(t *testing.T) {
	shared := map[string]string{"A": "1"}
	k := Knobs{Env: map[string]string{"B": "2"}}
	if err := k.Apply(&inject.Config{Env: shared}); err != nil {
		t.Fatal(err)
	}
	if len(shared) != 1 {
		t.Errorf("shared Env map written: %v", shared)
	}
}

// TestLoadFiles: no names give the embedded default configuration; a file
// replaces its part only; a missing file is an error naming it.
func TestLoadFiles(t *testing.T) {
	def, err := LoadFiles("", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(inject.DefaultConfig(), def); d != "" {
		t.Errorf("LoadFiles with no names differs from DefaultConfig (-want +got):\n%s", d)
	}
	values := filepath.Join(t.TempDir(), "values.json")
	if err := os.WriteFile(values, []byte(`{"revision":"from-file"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadFiles("", values, "")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Revision != "from-file" || len(cfg.Templates) == 0 {
		t.Errorf("values file not applied over the embedded templates: revision %q, %d templates", cfg.Revision, len(cfg.Templates))
	}
	if _, err := LoadFiles("/nonexistent/inject-config.yaml", "", ""); err == nil || !strings.Contains(err.Error(), "/nonexistent/inject-config.yaml") {
		t.Errorf("missing file: error %v does not name it", err)
	}
}
