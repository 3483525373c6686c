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
// to stderr; an error goes to stderr with exit status 1. A failed run writes
// nothing to stdout and leaves no -o file: in fail-fast mode (the default)
// the output is held in memory until the whole stream is injected (with -o
// FILE, in a temporary file beside it). --keep-going streams the output as
// it goes, since it is complete either way (bad documents copied as they
// were).
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"

	"github.com/kinject/kinject/examples/internal/cliconfig"
	"github.com/kinject/kinject/inject"
)

func main() {
	if os.Getenv("GOGC") == "" {
		// A batch run over a stream keeps little alive (a window of
		// documents) and allocates a lot: collecting four times less often
		// saves about a quarter of the CPU for tens of MB.
		debug.SetGCPercent(400)
	}
	if err := run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "kube-inject:", err)
		}
		os.Exit(1)
	}
}

// options are the command line.
type options struct {
	filename, output        string
	files                   cliconfig.Files
	knobs                   cliconfig.Knobs
	nsLabels, nsAnnotations cliconfig.KeyValues
	keepGoing               bool
}

func parse(args []string, stderr io.Writer) (*options, error) {
	var o options
	fs := flag.NewFlagSet("kube-inject", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.filename, "f", "", "input manifest file, or - for stdin (shorthand)")
	fs.StringVar(&o.filename, "filename", "", "input manifest file, or - for stdin")
	fs.StringVar(&o.output, "o", "", "output file (shorthand; default stdout)")
	fs.StringVar(&o.output, "output", "", "output file (default stdout)")
	o.files.Register(fs)
	o.knobs.Register(fs)
	fs.Var(&o.nsLabels, "namespace-label", "KEY=VALUE label of the target namespace, for the injection decision (repeatable)")
	fs.Var(&o.nsAnnotations, "namespace-annotation", "KEY=VALUE annotation of the target namespace, e.g. OpenShift's openshift.io/sa.scc.uid-range (repeatable)")
	fs.BoolVar(&o.keepGoing, "keep-going", false, "inject the good documents of a stream with bad ones (they are copied unchanged) and report every error")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: kube-inject -f FILE|- [-o FILE] [--injectConfigFile F] [--valuesFile F] [--meshConfigFile F] [flags]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		if a := fs.Arg(0); a == "true" || a == "false" {
			return nil, fmt.Errorf("unexpected argument %q (a boolean flag takes its value as --flag=%s)", a, a)
		}
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
	for _, n := range o.knobs.Notes(cfg) {
		fmt.Fprintln(stderr, "note:", n)
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
	// end, so a failed run does not leave a truncated file behind. Anything
	// that is not a regular file (-o /dev/stdout, /dev/null, a pipe) is
	// written to directly: renaming over it would replace the device.
	out := stdout
	var file *os.File
	if o.output != "" {
		if fi, err := os.Stat(o.output); err == nil && !fi.Mode().IsRegular() {
			dev, err := os.OpenFile(o.output, os.O_WRONLY, 0)
			if err != nil {
				return err
			}
			defer dev.Close()
			out = dev
		} else {
			file, err = os.CreateTemp(filepath.Dir(o.output), ".kube-inject-*")
			if err != nil {
				return err
			}
			defer os.Remove(file.Name())
			defer file.Close()
			out = file
		}
	}

	// In fail-fast mode a failed run prints nothing to standard output (or
	// to a device given with -o), as it leaves no file behind with -o FILE:
	// the output is held until the whole stream is injected. Keep-going
	// output is complete whatever happens, so it streams.
	var held *bytes.Buffer
	final := out
	if file == nil && !o.keepGoing {
		held = &bytes.Buffer{}
		out = held
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
	// Warnings are printed as each document is done, so memory does not
	// grow with the number of documents.
	opts.OnDocument = func(d inject.DocumentResult) {
		for _, w := range d.Warnings {
			fmt.Fprintf(stderr, "warning: %s: %s\n", d.Label(), w)
		}
	}
	_, err = inj.InjectManifestStream(ctx, in, out, opts)
	if err != nil && !(o.keepGoing && errors.Is(err, inject.ErrBadDocument)) {
		return err
	}
	if held != nil {
		if _, err := final.Write(held.Bytes()); err != nil {
			return err
		}
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

// loadConfig reads the configuration files (each one not given is taken
// from the embedded default configuration, so with no flags at all the
// result is inject.DefaultConfig()) and applies the other flags.
func loadConfig(o *options) (*inject.Config, error) {
	cfg, err := o.files.Load()
	if err != nil {
		return nil, err
	}
	return cfg, o.knobs.Apply(cfg)
}
