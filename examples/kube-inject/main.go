// Command kube-inject injects sidecars into Kubernetes manifests, the way
// `istioctl kube-inject` does, with kinject's library instead of a cluster.
//
//	kube-inject -f deployment.yaml                  # embedded default configuration
//	kubectl get deploy web -o yaml | kube-inject -f - | kubectl apply -f -
//	kube-inject --injectConfigFile inject-config.yaml --valuesFile values.json \
//	    --meshConfigFile mesh.yaml -f deployment.yaml -o injected.yaml
//
// The three configuration files are what Istio keeps in its ConfigMaps:
//
//	kubectl -n istio-system get configmap istio-sidecar-injector -o=jsonpath='{.data.config}' > inject-config.yaml
//	kubectl -n istio-system get configmap istio-sidecar-injector -o=jsonpath='{.data.values}' > values.json
//	kubectl -n istio-system get configmap istio -o=jsonpath='{.data.mesh}' > mesh.yaml
//
// Without any of them the embedded default configuration is used. Warnings go
// to stderr; an error goes to stderr with exit status 1.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/kinject/kinject/inject"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "kube-inject:", err)
		}
		os.Exit(1)
	}
}

// options are the command line.
type options struct {
	filename, output                       string
	injectConfigFile, meshFile, valuesFile string
	revision                               string
	revisionSet                            bool
	nativeSidecars                         string
	clusterID, network                     string
	platform, compliancePolicy             string
	env                                    keyValues
	nsLabels, nsAnnotations                keyValues
	ignoredNamespaces                      string
	tags                                   []string
	namespacesByDefault                    string
	keepGoing                              bool
}

func parse(args []string, stderr io.Writer) (*options, error) {
	o := options{env: keyValues{}, nsLabels: keyValues{}, nsAnnotations: keyValues{}}
	fs := flag.NewFlagSet("kube-inject", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.filename, "f", "", "input manifest file, or - for stdin (shorthand)")
	fs.StringVar(&o.filename, "filename", "", "input manifest file, or - for stdin")
	fs.StringVar(&o.output, "o", "", "output file (shorthand; default stdout)")
	fs.StringVar(&o.output, "output", "", "output file (default stdout)")
	fs.StringVar(&o.injectConfigFile, "injectConfigFile", "", "injection configuration: the config key of ConfigMap istio-sidecar-injector")
	fs.StringVar(&o.valuesFile, "valuesFile", "", "injection values: the values key of ConfigMap istio-sidecar-injector (JSON)")
	fs.StringVar(&o.meshFile, "meshConfigFile", "", "mesh configuration: the mesh key of ConfigMap istio")
	fs.Var(revisionFlag{&o}, "revision", `control plane revision to inject ("default" means the revisionless install; default: values.revision)`)
	fs.StringVar(&o.nativeSidecars, "native-sidecars", "", "true runs istio-proxy as a native sidecar (restartable init container), as Istio's ENABLE_NATIVE_SIDECARS=true; default false")
	fs.StringVar(&o.clusterID, "cluster-id", "", "cluster ID written to the proxy's ISTIO_META_CLUSTER_ID (default: values.global.multiCluster.clusterName or Kubernetes)")
	fs.StringVar(&o.network, "network", "", "network written to the proxy's ISTIO_META_NETWORK")
	fs.StringVar(&o.platform, "platform", "", "Istio's PLATFORM setting: openshift takes the proxy's UID/GID from the namespace's annotations")
	fs.StringVar(&o.compliancePolicy, "compliance-policy", "", "Istio's COMPLIANCE_POLICY, for example fips-140-2")
	fs.Var(o.env, "env", "KEY=VALUE seen by the templates' env function (repeatable)")
	fs.Var(o.nsLabels, "namespace-label", "KEY=VALUE label of the target namespace, for the injection decision (repeatable)")
	fs.Var(o.nsAnnotations, "namespace-annotation", "KEY=VALUE annotation of the target namespace, e.g. OpenShift's openshift.io/sa.scc.uid-range (repeatable)")
	fs.StringVar(&o.ignoredNamespaces, "ignored-namespaces", "", "comma-separated namespaces never injected (default: kube-system,kube-public,kube-node-lease,local-path-storage)")
	fs.Func("tag", "revision tag that points at this revision, for the full decision (repeatable)", func(s string) error {
		o.tags = append(o.tags, s)
		return nil
	})
	fs.StringVar(&o.namespacesByDefault, "enable-namespaces-by-default", "", "true injects namespaces without an injection label in the full decision (default: values.sidecarInjectorWebhook.enableNamespacesByDefault)")
	fs.BoolVar(&o.keepGoing, "keep-going", false, "inject the good documents of a stream with bad ones (they are copied unchanged) and report every error")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: kube-inject -f FILE|- [-o FILE] [--injectConfigFile F] [--valuesFile F] [--meshConfigFile F] [flags]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (the manifest is given with -f)", fs.Arg(0))
	}
	if o.filename == "" {
		return nil, errors.New("-f/--filename is required (use - for stdin)")
	}
	return &o, nil
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	o, err := parse(args, stderr)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(o)
	if err != nil {
		return err
	}
	inj, err := inject.New(cfg)
	if err != nil {
		return err
	}

	in := stdin
	if o.filename != "-" {
		f, err := os.Open(o.filename)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	// An output file is written under a temporary name and renamed at the
	// end, so a failed run does not leave a truncated file behind.
	out := stdout
	var file *os.File
	if o.output != "" {
		file, err = os.CreateTemp(filepath.Dir(o.output), ".kube-inject-*")
		if err != nil {
			return err
		}
		defer os.Remove(file.Name())
		defer file.Close()
		out = file
	}

	opts := inject.ManifestOptions{KeepGoing: o.keepGoing}
	// Namespace labels switch on the full (webhook-like) decision; without
	// them every pod template is injected, as istioctl kube-inject does.
	if len(o.nsLabels) > 0 {
		opts.NamespaceLabels = o.nsLabels
	}
	if len(o.nsAnnotations) > 0 {
		opts.NamespaceAnnotations = o.nsAnnotations
	}
	res, err := inj.InjectManifestStream(in, out, opts)
	if res != nil {
		for _, w := range res.Warnings {
			fmt.Fprintln(stderr, "warning:", w)
		}
	}
	if err != nil && !(o.keepGoing && errors.Is(err, inject.ErrBadDocument)) {
		return err
	}
	if file != nil {
		if err := file.Close(); err != nil {
			return err
		}
		if err := os.Rename(file.Name(), o.output); err != nil {
			return err
		}
	}
	// In keep-going mode the output is complete and the errors still fail
	// the command.
	return err
}

// loadConfig reads the configuration files. A file that is not given is
// taken from the embedded default configuration, so with no flags at all the
// result is inject.DefaultConfig().
func loadConfig(o *options) (*inject.Config, error) {
	var files [3][]byte
	files[0], files[1], files[2] = inject.DefaultConfigFiles()
	for n, name := range []string{o.injectConfigFile, o.valuesFile, o.meshFile} {
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
	if err != nil {
		return nil, err
	}
	return cfg, applyKnobs(cfg, o)
}

// applyKnobs sets the Config fields that Istio takes from its environment or
// its cluster rather than from the three files.
func applyKnobs(cfg *inject.Config, o *options) error {
	if o.revisionSet {
		// istioctl maps --revision default to the revisionless install.
		cfg.Revision = o.revision
		if o.revision == "default" {
			cfg.Revision = ""
		}
	}
	if o.nativeSidecars != "" {
		switch o.nativeSidecars {
		case "true":
			cfg.NativeSidecars = true
		case "false":
			cfg.NativeSidecars = false
		default:
			return fmt.Errorf("--native-sidecars: %q is neither true nor false", o.nativeSidecars)
		}
	}
	if o.clusterID != "" {
		cfg.ClusterID = o.clusterID
	}
	if o.network != "" {
		cfg.Network = o.network
	}
	if o.platform != "" {
		cfg.Platform = o.platform
	}
	if o.compliancePolicy != "" {
		cfg.CompliancePolicy = o.compliancePolicy
	}
	if o.ignoredNamespaces != "" {
		cfg.IgnoredNamespaces = strings.Split(o.ignoredNamespaces, ",")
	}
	if len(o.tags) > 0 {
		cfg.Tags = append(cfg.Tags, o.tags...)
	}
	switch o.namespacesByDefault {
	case "":
	case "true", "false":
		cfg.EnableNamespacesByDefault = o.namespacesByDefault == "true"
	default:
		return fmt.Errorf("--enable-namespaces-by-default: %q is neither true nor false", o.namespacesByDefault)
	}
	if len(o.env) > 0 {
		if cfg.Env == nil {
			cfg.Env = map[string]string{}
		}
		for k, v := range o.env {
			cfg.Env[k] = v
		}
	}
	return nil
}

// keyValues is a repeatable KEY=VALUE flag.
type keyValues map[string]string

func (kv keyValues) String() string { return "" }

func (kv keyValues) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("%q is not KEY=VALUE", s)
	}
	kv[k] = v
	return nil
}

// revisionFlag records whether --revision was given at all.
type revisionFlag struct{ o *options }

func (r revisionFlag) String() string { return "" }

func (r revisionFlag) Set(s string) error {
	r.o.revision, r.o.revisionSet = s, true
	return nil
}
