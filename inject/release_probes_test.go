package inject

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kinject/kinject/policy"
)

// The behaviour probes of ../shared/istio-releases (read its README): 23
// small Deployments, each run through three Istio releases' own
// `istioctl kube-inject` with that release's default dumps (probes/), and
// through istioctl at the corpus commit with the same dumps (probes-head/).
// kinject, given a release's dumps, must print that release's output byte
// for byte (its release is read from values.global.tag), and the newest
// code's output when the release is set to the newest explicitly. Where
// istioctl failed, kinject must fail too, naming what Istio's message
// names; where istioctl warned about a sidecar.istio.io/inject value or
// skipped the workload, kinject must say so too.

var probeReleases = []string{"1.23.6", "1.26.8", "1.29.6"}

func releasesDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("KINJECT_ISTIO_RELEASES")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "istio-releases")
	}
	if _, err := os.Stat(filepath.Join(dir, "inputs")); err != nil {
		t.Skipf("Istio release probes not found at %s (set KINJECT_ISTIO_RELEASES to run them): %v", dir, err)
	}
	return dir
}

// releaseConfig loads a release's dumps as kube-inject --revision default
// does.
func releaseConfig(t testing.TB, dir, tag string) *Config {
	t.Helper()
	d := filepath.Join(dir, tag, "dumps")
	cfg, err := LoadConfig(readFile(t, filepath.Join(d, "inject-config.yaml")), readFile(t, filepath.Join(d, "values.json")), readFile(t, filepath.Join(d, "mesh.yaml")))
	if err != nil {
		t.Fatalf("%s dumps: %v", tag, err)
	}
	cfg.Revision = ""
	return cfg
}

func TestIstioReleaseProbes(t *testing.T) {
	dir := releasesDir(t)
	inputs, err := filepath.Glob(filepath.Join(dir, "inputs", "*.yaml"))
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no inputs under %s: %v", dir, err)
	}
	for _, kind := range []string{"probes", "probes-head"} {
		for _, tag := range probeReleases {
			cfg := releaseConfig(t, dir, tag)
			want, _ := policy.ParseRelease(tag)
			if cfg.Release != want {
				t.Fatalf("%s: LoadConfig read release %v from values.global.tag, want %v", tag, cfg.Release, want)
			}
			if kind == "probes-head" {
				cfg.Release = policy.Release{} // newest, set explicitly
			}
			inj, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			passed := 0
			for _, in := range inputs {
				name := strings.TrimSuffix(filepath.Base(in), ".yaml")
				t.Run(kind+"/"+tag+"/"+name, func(t *testing.T) {
					if checkProbe(t, inj, in, filepath.Join(dir, tag, kind, name)) {
						passed++
					}
				})
			}
			t.Logf("%s %s: %d/%d probes", kind, tag, passed, len(inputs))
		}
	}
}

// istioMessageTerms are what an Istio error names that kinject's must name
// too: annotation keys and double-quoted values.
var istioMessageTerms = regexp.MustCompile(`[a-z0-9.-]+\.io/[A-Za-z0-9.-]+|"[^"\n]+"`)

// checkProbe runs one probe and reports whether it matched.
func checkProbe(t *testing.T, inj *Injector, input, base string) bool {
	t.Helper()
	res, err := inj.InjectManifests(context.Background(), readFile(t, input), ManifestOptions{})
	if istioErr, e := os.ReadFile(base + ".istio.err"); e == nil {
		if err == nil {
			t.Errorf("istioctl failed with\n%s\nkinject succeeded", istioErr)
			return false
		}
		ok := true
		for _, term := range istioMessageTerms.FindAllString(string(istioErr), -1) {
			if !strings.Contains(err.Error(), term) {
				t.Errorf("kinject's error does not name %s, which istioctl's does\nkinject: %v\nistioctl: %s", term, err, istioErr)
				ok = false
			}
		}
		return ok
	}
	if err != nil {
		t.Errorf("istioctl succeeded, kinject failed: %v", err)
		return false
	}
	ok := true
	if d := cmp.Diff(string(readFile(t, base+".istio.yaml")), string(res.Output)); d != "" {
		t.Errorf("output differs from istioctl's (-istioctl +kinject):\n%s", d)
		ok = false
	}
	stderr, _ := os.ReadFile(base + ".istio.stderr")
	warnings := strings.Join(res.Warnings, "\n")
	for _, m := range regexp.MustCompile(`Invalid value for sidecar.istio.io/inject: ("[^"]*")`).FindAllStringSubmatch(string(stderr), -1) {
		if !strings.Contains(warnings, "sidecar.istio.io/inject="+m[1]) {
			t.Errorf("istioctl warned about sidecar.istio.io/inject=%s, kinject did not:\n%s", m[1], warnings)
			ok = false
		}
	}
	if strings.Contains(string(stderr), "Skipping injection") && !strings.Contains(warnings, "Skipping injection") {
		t.Errorf("istioctl skipped the workload with a warning, kinject did not say so:\n%s", warnings)
		ok = false
	}
	return ok
}
