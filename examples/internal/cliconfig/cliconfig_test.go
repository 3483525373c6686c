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
	"github.com/kinject/kinject/policy"
)

// TestApply parses flags onto a Config that already holds values from its
// files and checks what changed.
func TestApply(t *testing.T) {
	base := func() *inject.Config {
		return &inject.Config{
			Revision: "files", ClusterID: "from-values", Tags: []string{"stable"},
			Env: map[string]string{"A": "file"}, EnableNamespacesByDefault: true,
			Release: policy.Release{Major: 1, Minor: 26, Patch: 8},
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
		{"revision shorthand", "-r is istioctl's shorthand for --revision", []string{"-r", "canary"}, func(c *inject.Config) { c.Revision = "canary" }, ""},
		{"native", "a boolean flag given alone means true", []string{"--native-sidecars"}, func(c *inject.Config) { c.NativeSidecars = true }, ""},
		{"native explicit", "=true is the same", []string{"--native-sidecars=true"}, func(c *inject.Config) { c.NativeSidecars = true }, ""},
		{"namespaces by default off", "false is distinct from not given",
			[]string{"--enable-namespaces-by-default=false"}, func(c *inject.Config) { c.EnableNamespacesByDefault = false }, ""},
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
		{"bad bool", "the flag is named", []string{"--native-sidecars=yes"}, nil, `invalid boolean value "yes" for -native-sidecars: "yes" is neither true nor false`},
		{"bad env", "KEY=VALUE is required", []string{"--env", "NOEQUALS"}, nil, `"NOEQUALS" is not KEY=VALUE`},
		{"istio version", "an ASM tag selects its Istio release's behaviour", []string{"--istio-version", "1.23.3-asm.2"},
			func(c *inject.Config) { c.Release = policy.Release{Major: 1, Minor: 23, Patch: 3} }, ""},
		{"istio version newest", "newest overrides a release read from the files", []string{"--istio-version", "newest"},
			func(c *inject.Config) { c.Release = policy.Release{} }, ""},
		{"bad istio version", "a revision name is not a release", []string{"--istio-version", "asm-1233-2"}, nil, `not an Istio release: "asm-1233-2"`},
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

// TestBooleanFlagsTakeNoValue: a boolean flag does not swallow the next
// argument, so `--native-sidecars -f file` gives -f its file (it used to
// read "-f" as the flag's value and leave "file" as an argument).
func TestBooleanFlagsTakeNoValue(t *testing.T) {
	for _, name := range []string{"native-sidecars", "enable-namespaces-by-default"} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		var k Knobs
		k.Register(fs)
		f := fs.String("f", "", "file")
		if err := fs.Parse([]string{"--" + name, "-f", "file"}); err != nil {
			t.Fatalf("--%s -f file: %v", name, err)
		}
		if *f != "file" || fs.NArg() != 0 {
			t.Errorf("--%s -f file: -f = %q, %d arguments left", name, *f, fs.NArg())
		}
		cfg := &inject.Config{}
		if err := k.Apply(cfg); err != nil {
			t.Fatal(err)
		}
		if !cfg.NativeSidecars && !cfg.EnableNamespacesByDefault {
			t.Errorf("--%s given alone did not mean true", name)
		}
	}
}

// TestFiles: istioctl's names and the webhook's deprecated ones set the
// same fields.
func TestFiles(t *testing.T) {
	tests := []struct {
		name, reason string
		args         []string
		deprecated   bool
		want         Files
		wantErr      string
	}{
		{"istioctl names", "the names istioctl kube-inject takes",
			[]string{"--injectConfigFile", "c.yaml", "--valuesFile", "v.json", "--meshConfigFile", "m.yaml"}, false,
			Files{InjectConfig: "c.yaml", Values: "v.json", Mesh: "m.yaml"}, ""},
		{"deprecated names", "the webhook's former names still work where registered",
			[]string{"--inject-config", "c.yaml", "--values", "v.json", "--mesh", "m.yaml"}, true,
			Files{InjectConfig: "c.yaml", Values: "v.json", Mesh: "m.yaml"}, ""},
		{"deprecated not registered", "a program that never had the old names does not take them",
			[]string{"--values", "v.json"}, false, Files{}, "flag provided but not defined: -values"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := flag.NewFlagSet("t", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			var f Files
			f.Register(fs)
			if tt.deprecated {
				f.RegisterDeprecated(fs)
			}
			err := fs.Parse(tt.args)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q (%s)", err, tt.wantErr, tt.reason)
				}
				return
			}
			if err != nil {
				t.Fatalf("%v (%s)", err, tt.reason)
			}
			if d := cmp.Diff(tt.want, f); d != "" {
				t.Errorf("files (-want +got) (%s):\n%s", tt.reason, d)
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

// TestReleaseNotes: a values tag that names no release is reported once,
// unless --istio-version said which release to follow; the embedded values'
// tag (kinject's pinned proxy image) does not select a release.
func TestReleaseNotes(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	dev := write("dev.json", `{"global":{"tag":"master-latest-daily"}}`)
	old := write("old.json", `{"global":{"tag":"1.26.8"}}`)
	tests := []struct {
		name, reason string
		values       string
		args         []string
		release      policy.Release
		note         string
	}{
		{"embedded", "the embedded values follow the newest", "", nil, policy.Release{}, ""},
		{"release tag", "a dump's tag selects its release", old, nil, policy.Release{Major: 1, Minor: 26, Patch: 8}, ""},
		{"dev tag", "an unreadable tag follows the newest, with a note", dev, nil, policy.Release{}, `values.global.tag: not an Istio release: "master-latest-daily"`},
		{"dev tag with flag", "the flag says which release: no note", dev, []string{"--istio-version", "1.23.6"}, policy.Release{Major: 1, Minor: 23, Patch: 6}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := flag.NewFlagSet("t", flag.ContinueOnError)
			var k Knobs
			k.Register(fs)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			cfg, err := LoadFiles("", tt.values, "")
			if err != nil {
				t.Fatal(err)
			}
			if err := k.Apply(cfg); err != nil {
				t.Fatal(err)
			}
			if cfg.Release != tt.release {
				t.Errorf("release %v, want %v (%s)", cfg.Release, tt.release, tt.reason)
			}
			notes := strings.Join(k.Notes(cfg), "\n")
			if tt.note == "" && notes != "" || !strings.Contains(notes, tt.note) {
				t.Errorf("notes %q, want %q (%s)", notes, tt.note, tt.reason)
			}
		})
	}
}
