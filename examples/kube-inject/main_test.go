package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

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
		t.Fatalf("%v (run go test ./examples/kube-inject -update to create it)", err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, d)
	}
}

const examples = "../../testdata/examples"

// TestKubeInjectGolden runs the command as a user would and compares its
// standard output and standard error with golden files.
func TestKubeInjectGolden(t *testing.T) {
	cases := []struct {
		name   string
		args   []string
		stdin  string
		reason string
	}{
		{"deployment", []string{"-f", examples + "/deployment.yaml"}, "", "the README's first command: embedded default configuration"},
		{"stdin-native", []string{"--filename", "-", "--native-sidecars", "-r", "canary"}, examples + "/deployment.yaml", "-f - reads stdin; native sidecars (a boolean flag: it takes no value) and -r, istioctl's shorthand for --revision"},
		{"custom-config", []string{"--injectConfigFile", examples + "/custom-inject-config.yaml", "-f", examples + "/deployment.yaml"}, "", "a config file of your own; values and mesh fall back to the embedded ones"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stdin bytes.Buffer
			if c.stdin != "" {
				b, err := os.ReadFile(c.stdin)
				if err != nil {
					t.Fatal(err)
				}
				stdin.Write(b)
			}
			var stdout, stderr bytes.Buffer
			if err := run(context.Background(), c.args, &stdin, &stdout, &stderr); err != nil {
				t.Fatalf("run(%q): %v\n%s", c.args, err, stderr.String())
			}
			golden(t, filepath.Join(examples, c.name+".injected.yaml"), stdout.Bytes())
			if stderr.Len() != 0 {
				t.Errorf("unexpected stderr: %s", stderr.String())
			}
		})
	}
}

// TestKubeInjectOutputFile checks -o: the file holds what stdout would.
func TestKubeInjectOutputFile(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out.yaml")
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"-f", examples + "/deployment.yaml", "-o", out}, nil, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout is not empty with -o: %q", stdout.String())
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, filepath.Join(examples, "deployment.injected.yaml"), got)
}

// TestKubeInjectErrors: every failure is an error (main prints it to stderr
// and exits 1) that says what is wrong.
func TestKubeInjectErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: ok}\nspec: {containers: [{name: a, image: a}]}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: broken}\nspec: {containers: 7}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	unknown := filepath.Join(t.TempDir(), "inject.yaml")
	if err := os.WriteFile(unknown, []byte("polcy: enabled\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		args   []string
		want   string
		reason string
	}{
		{"no filename", nil, "-f/--filename is required", "istioctl requires it too"},
		{"missing file", []string{"-f", "/nonexistent.yaml"}, "nonexistent.yaml", "the path is named"},
		{"bad document", []string{"-f", bad}, `document 1 (pod "broken")`, "fail-fast names the document"},
		{"keep going", []string{"-f", bad, "--keep-going"}, `document 1 (pod "broken")`, "keep-going still fails the command"},
		{"unknown config field", []string{"--injectConfigFile", unknown, "-f", bad}, "polcy", "config typos are errors naming the field"},
		{"bad native flag", []string{"-f", bad, "--native-sidecars=yes"}, "-native-sidecars", "a typo must not mean false"},
		{"boolean flag value", []string{"-f", bad, "--native-sidecars", "false"}, "--flag=false", "a boolean flag takes no separate value; the error says how to write false"},
		{"bad env flag", []string{"-f", bad, "--env", "NOVALUE"}, "KEY=VALUE", "malformed repeatable flag"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), c.args, strings.NewReader(""), &stdout, &stderr)
			if err == nil {
				t.Fatalf("run(%q) succeeded, want an error (%s)", c.args, c.reason)
			}
			if !strings.Contains(err.Error()+stderr.String(), c.want) {
				t.Errorf("error %q (stderr %q) does not mention %q (%s)", err, stderr.String(), c.want, c.reason)
			}
			if c.name == "keep going" && !strings.Contains(stdout.String(), "name: ok") {
				t.Errorf("keep-going output lost the good document:\n%s", stdout.String())
			}
			if c.name != "keep going" && stdout.Len() != 0 {
				t.Errorf("a failed run wrote %d bytes to stdout, want none (fail-fast output is held until the stream is done):\n%s", stdout.Len(), stdout.String())
			}
		})
	}
}
