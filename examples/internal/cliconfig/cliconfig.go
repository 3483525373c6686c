package cliconfig

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/kinject/kinject/inject"
	"github.com/kinject/kinject/policy"
)

// Knobs are the Config settings that Istio takes from its environment or
// its cluster rather than from the three ConfigMap dumps. The zero value
// changes nothing; Register binds them to flags.
type Knobs struct {
	Revision            string            // --revision or -r; "default" means revisionless
	RevisionSet         bool              // whether --revision (or -r) was given at all
	NativeSidecars      string            // --native-sidecars (a boolean flag): "", "true" or "false"
	ClusterID           string            // --cluster-id
	Network             string            // --network
	Platform            string            // --platform, e.g. openshift
	CompliancePolicy    string            // --compliance-policy, e.g. fips-140-2
	Env                 map[string]string // --env KEY=VALUE, repeatable
	IgnoredNamespaces   string            // --ignored-namespaces, comma-separated
	Tags                []string          // --tag, repeatable
	NamespacesByDefault string            // --enable-namespaces-by-default (a boolean flag): "", "true" or "false"
	IstioVersion        ReleaseFlag       // --istio-version: the Istio release whose behaviour to follow
}

// ReleaseFlag is the --istio-version flag (a flag.Value): the Istio release
// whose behaviour a program follows, read with policy.ParseRelease
// ("1.23.6", "1.23.3-asm.2"; "newest" for the newest).
type ReleaseFlag struct {
	Release policy.Release // the release given (the zero Release is the newest)
	Given   bool           // whether the flag was given at all
}

// Register defines --istio-version on fs, bound to f.
func (f *ReleaseFlag) Register(fs *flag.FlagSet) {
	fs.Var(f, "istio-version", `Istio release whose behaviour to follow, e.g. 1.23.6 or 1.23.3-asm.2; "newest" for the newest (default: values.global.tag when it is a version, else newest)`)
}

// String returns the release given, or "" when none was.
func (f *ReleaseFlag) String() string {
	if f == nil || !f.Given {
		return ""
	}
	return f.Release.String()
}

// Set reads one release; text that names none is an error.
func (f *ReleaseFlag) Set(s string) error {
	r, err := policy.ParseRelease(s)
	if err != nil {
		return err
	}
	f.Release, f.Given = r, true
	return nil
}

// Register defines the shared flags on fs, bound to k. Like istioctl's,
// -r is short for --revision, and the boolean flags need no value
// (--native-sidecars means true; write --native-sidecars=false for false).
func (k *Knobs) Register(fs *flag.FlagSet) {
	revision := func(s string) error {
		k.Revision, k.RevisionSet = s, true
		return nil
	}
	fs.Func("revision", `control plane revision to inject ("default" means the revisionless install; default: values.revision)`, revision)
	fs.Func("r", "shorthand for --revision", revision)
	fs.Var(boolString{&k.NativeSidecars}, "native-sidecars", "run istio-proxy as a native sidecar (restartable init container), as Istio's ENABLE_NATIVE_SIDECARS=true; default false")
	fs.StringVar(&k.ClusterID, "cluster-id", "", "cluster ID written to the proxy's ISTIO_META_CLUSTER_ID (default: values.global.multiCluster.clusterName or Kubernetes)")
	fs.StringVar(&k.Network, "network", "", "network written to the proxy's ISTIO_META_NETWORK")
	fs.StringVar(&k.Platform, "platform", "", "Istio's PLATFORM setting: openshift takes the proxy's UID/GID from the namespace's annotations")
	fs.StringVar(&k.CompliancePolicy, "compliance-policy", "", "Istio's COMPLIANCE_POLICY, for example fips-140-2")
	fs.Var((*KeyValues)(&k.Env), "env", "KEY=VALUE seen by the templates' env function (repeatable)")
	fs.StringVar(&k.IgnoredNamespaces, "ignored-namespaces", "", "comma-separated namespaces never injected (default: kube-system,kube-public,kube-node-lease,local-path-storage)")
	fs.Func("tag", "revision tag that points at this revision, for the full decision (the webhook; kube-inject with --namespace-label) (repeatable)", func(s string) error {
		k.Tags = append(k.Tags, s)
		return nil
	})
	k.IstioVersion.Register(fs)
	fs.Var(boolString{&k.NamespacesByDefault}, "enable-namespaces-by-default", "inject namespaces without an injection label, in the full decision (default: values.sidecarInjectorWebhook.enableNamespacesByDefault)")
}

// boolString is a boolean flag (it takes no value, or =true / =false) that
// records its value as "true" or "false" in a string, which stays "" when
// the flag is not given.
type boolString struct{ p *string }

func (b boolString) String() string {
	if b.p == nil {
		return ""
	}
	return *b.p
}

func (b boolString) Set(s string) error {
	if s != "true" && s != "false" {
		return fmt.Errorf("%q is neither true nor false", s)
	}
	*b.p = s
	return nil
}

// IsBoolFlag lets the flag package accept the flag without a value.
func (b boolString) IsBoolFlag() bool { return true }

// Apply sets the knobs that were given on cfg. An invalid boolean is an
// error naming its flag.
func (k *Knobs) Apply(cfg *inject.Config) error {
	if k.IstioVersion.Given {
		cfg.Release = k.IstioVersion.Release
	}
	if k.RevisionSet {
		cfg.Revision = k.Revision
		if k.Revision == "default" {
			cfg.Revision = ""
		}
	}
	native, err := boolFlag("native-sidecars", k.NativeSidecars)
	if err != nil {
		return err
	}
	if native != nil {
		cfg.NativeSidecars = *native
	}
	byDefault, err := boolFlag("enable-namespaces-by-default", k.NamespacesByDefault)
	if err != nil {
		return err
	}
	if byDefault != nil {
		cfg.EnableNamespacesByDefault = *byDefault
	}
	for _, s := range []struct {
		dst *string
		v   string
	}{{&cfg.ClusterID, k.ClusterID}, {&cfg.Network, k.Network}, {&cfg.Platform, k.Platform}, {&cfg.CompliancePolicy, k.CompliancePolicy}} {
		if s.v != "" {
			*s.dst = s.v
		}
	}
	if k.IgnoredNamespaces != "" {
		cfg.IgnoredNamespaces = strings.Split(k.IgnoredNamespaces, ",")
	}
	if len(k.Tags) > 0 {
		cfg.Tags = append(cfg.Tags, k.Tags...)
	}
	if len(k.Env) > 0 {
		env := make(map[string]string, len(cfg.Env)+len(k.Env))
		for key, v := range cfg.Env {
			env[key] = v
		}
		for key, v := range k.Env {
			env[key] = v
		}
		cfg.Env = env
	}
	return nil
}

// Notes are what a program tells its user about cfg before it starts: that
// the values' tag names no Istio release, so the newest behaviour is
// followed, unless --istio-version said which.
func (k *Knobs) Notes(cfg *inject.Config) []string {
	if k.IstioVersion.Given {
		return nil
	}
	if _, err := inject.ReleaseFromValues(cfg.Values); err != nil {
		return []string{fmt.Sprintf("%v; following the newest Istio release's behaviour (set --istio-version to follow another)", err)}
	}
	return nil
}

// boolFlag reads a true/false flag that may be absent (nil).
func boolFlag(name, v string) (*bool, error) {
	switch v {
	case "":
		return nil, nil
	case "true", "false":
		b := v == "true"
		return &b, nil
	}
	return nil, fmt.Errorf("--%s: %q is neither true nor false", name, v)
}

// Files names the three ConfigMap dumps a program loads. Register binds
// them to istioctl kube-inject's flag names, so a command line written for
// istioctl works as is.
type Files struct {
	InjectConfig string // --injectConfigFile: the config key of ConfigMap istio-sidecar-injector
	Values       string // --valuesFile: the values key of ConfigMap istio-sidecar-injector (JSON)
	Mesh         string // --meshConfigFile: the mesh key of ConfigMap istio
}

// Register defines --injectConfigFile, --valuesFile and --meshConfigFile
// on fs, bound to f.
func (f *Files) Register(fs *flag.FlagSet) {
	fs.StringVar(&f.InjectConfig, "injectConfigFile", "", "injection configuration: the config key of ConfigMap istio-sidecar-injector (default: embedded)")
	fs.StringVar(&f.Values, "valuesFile", "", "injection values: the values key of ConfigMap istio-sidecar-injector, JSON (default: embedded)")
	fs.StringVar(&f.Mesh, "meshConfigFile", "", "mesh configuration: the mesh key of ConfigMap istio (default: embedded)")
}

// RegisterDeprecated defines the names examples/webhook used before it
// took istioctl's (--inject-config, --values, --mesh) as aliases of
// Register's flags, so that existing deployments keep working.
func (f *Files) RegisterDeprecated(fs *flag.FlagSet) {
	fs.StringVar(&f.InjectConfig, "inject-config", "", "deprecated: use --injectConfigFile")
	fs.StringVar(&f.Values, "values", "", "deprecated: use --valuesFile")
	fs.StringVar(&f.Mesh, "mesh", "", "deprecated: use --meshConfigFile")
}

// Load reads the files with LoadFiles.
func (f *Files) Load() (*inject.Config, error) {
	return LoadFiles(f.InjectConfig, f.Values, f.Mesh)
}

// LoadFiles reads the three ConfigMap dumps (the config and values keys of
// istio-sidecar-injector, the mesh key of istio) and loads them with
// inject.LoadConfig. A name left empty is taken from the embedded default
// configuration, so LoadFiles("", "", "") equals inject.DefaultConfig().
// Without a values file the release is the newest, as DefaultConfig's: the
// embedded values' tag is kinject's pinned proxy image, not the release of
// the other files.
func LoadFiles(injectConfig, values, mesh string) (*inject.Config, error) {
	var files [3][]byte
	files[0], files[1], files[2] = inject.DefaultConfigFiles()
	for n, name := range []string{injectConfig, values, mesh} {
		if name == "" {
			continue
		}
		b, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		files[n] = b
	}
	cfg, err := inject.LoadConfig(files[0], files[1], files[2])
	if err == nil && values == "" {
		cfg.Release = policy.Release{}
	}
	return cfg, err
}

// KeyValues is a repeatable KEY=VALUE flag (flag.Value); a nil map is
// allocated on the first value.
type KeyValues map[string]string

// String returns "" (flag's default display).
func (kv *KeyValues) String() string { return "" }

// Set records one KEY=VALUE; a missing "=" or an empty key is an error.
func (kv *KeyValues) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("%q is not KEY=VALUE", s)
	}
	if *kv == nil {
		*kv = KeyValues{}
	}
	(*kv)[k] = v
	return nil
}
