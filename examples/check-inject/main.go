// Command check-inject is an offline `istioctl x check-inject` that also
// answers the mesh guides' migration questions: which revision injects what,
// which running pods have a stale sidecar, what a relabel or a tag move will
// do, whether every pod shows 2/2 READY afterwards, and what is wrong with
// the labels. It reads what kubectl prints; it never talks to a cluster.
//
// # Input
//
// Every -f is a file (or - for standard input) of kubectl output, YAML or
// JSON, a List or a stream, in any order and mix:
//
//	kubectl get configmap -n istio-system -o yaml > configmaps.yaml    # istio-sidecar-injector[-REV], istio[-REV]
//	kubectl get mutatingwebhookconfigurations -o yaml > webhooks.yaml
//	kubectl get namespaces -o yaml > namespaces.yaml
//	kubectl get pods,replicasets,deployments,statefulsets,daemonsets,jobs,cronjobs -A -o yaml > workloads.yaml
//
// Manifests that are not applied yet work too: their workloads are checked
// against the revisions of the dumps, or, without Istio's ConfigMaps and
// webhooks, against --mesh (kinject's mesh file, policy.Mesh's fields) or
// the revisionless install with Istio's defaults. --istio-version is the
// release of every revision whose own is not known (a mesh file revision
// without istioVersion, a dump whose proxy tag names no release); the
// release decides how a pod's sidecar.istio.io/inject value is read (up to
// 1.26 "False" opts out, from 1.27 it is ignored). An object without a
// namespace is taken to be in "default"; a namespace missing from the input
// is taken to have no labels (a note says so). A malformed object is named
// by file, line, kind and name; the rest are still checked (exit 1).
//
// # Modes
//
//	check-inject -f ... [<type>/]<name>[.<namespace>] [-n NS]   # one pod or workload, as istioctl
//	check-inject -f ... -n NS -l app=web,version=v1             # a pod that does not exist yet, as istioctl
//	check-inject -f ... [-n NS] [-l SELECTOR]                   # every workload, with lint findings
//	check-inject -f ... --verify [-n NS] [-l SELECTOR]          # the guides' 2/2 READY check
//	check-inject -f ... [-n NS] [-l SELECTOR] --plan [CHANGE]   # what CHANGE does; no CHANGE: what is due now
//
// For one pod or workload (type pod, deployment, statefulset, daemonset,
// replicaset, job or cronjob, with kubectl's short names), check-inject
// prints istioctl's table, one row per installed webhook configuration
// decided from its selectors alone (WEBHOOK REVISION INJECTED REASON), and
// "ERROR: multiple webhooks will inject" when more than one would; then
// kinject's additions: the injector's own verdict (its policy, selectors,
// opt-outs), the staleness of the workload's running pods and the lint
// findings about it.
//
// CHANGE is everything after --plan, in the guides' own words:
//
//	--plan kubectl label namespace shop istio-injection- istio.io/rev=canary --overwrite
//	--plan istioctl tag set default --revision canary --overwrite
//
// (kubectl and istioctl may be left out; several commands are separated by
// a lone ";"). So check-inject's own flags come before --plan. The plan
// lists every workload with the revisions its pods run now, the revision
// after the change and the action (Nothing, RestartToUpdate,
// RestartToInject, RestartToRemove, DeleteAndRecreate for bare pods, Wait
// for running Jobs), then the commands to run, in order: the change, then
// the restarts, namespace by namespace.
//
// Flags take kubectl's and istioctl's names: -f or --filename, -o or
// --output, -n or --namespace, -l or --labels (istioctl) or --selector
// (kubectl). A target's namespace is what follows its last dot, as
// istioctl reads it; a ReplicaSet or Job that a Deployment or CronJob owns
// can be a target too.
//
// -l is kubectl's label selector: with a target or alone with -n it gives
// the pod's labels (istioctl's meaning, equality only); with --plan,
// --verify or in the report it selects the workloads whose new pods carry
// those labels.
//
// # Output
//
// -o table (the default) prints aligned tables; -o json and -o yaml print
// one document, stable across releases (fields are only ever added):
//
//	apiVersion: kinject.io/v1      # always
//	kind: CheckInject | Report | Plan | Verification
//	target:    {kind, namespace, name, labels}                     # CheckInject
//	webhooks:  [{webhook, revision, injected, matchedWebhook, deactivated, reason}]  # CheckInject: istioctl's rows
//	decision:  {inject, revision, configuration, webhook, reason, rule, warnings}    # CheckInject: the full verdict
//	workloads: [{namespace, kind, name, inject, revision, configuration, webhook, reason, rule, pods, stale}]  # Report
//	pods:      [{namespace, name, stale, action, runningRevision, currentRevision, reason, changes, moreChanges}]  # CheckInject
//	plan:      {change, workloads: [{kind, namespace, name, pods, now, after, action, need, stale, reason, changes}], commands, restarts}
//	verify:    {pods: [{namespace, name, workload, containers, want, revision, intended, ok, action, reason}], total, ok, injected}
//	findings:  [{code, severity, object, message, fix}]           # every kind
//	notes:     [text]                                              # every kind
//
// revision values are istio.io/rev values ("default" is the revisionless
// install, "" none). Actions, rules and finding codes are the constants of
// inject/cluster (Action), inject (StaleAction) and policy (Rule, Code).
//
// # Exit status
//
// 0 when all is well; 1 when a lint error is found or a pod must be
// restarted (so CI can gate on it), or an input cannot be read or holds a
// malformed object; 2 for a usage error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"

	"github.com/kinject/kinject/examples/internal/cliconfig"
	"github.com/kinject/kinject/inject"
	"github.com/kinject/kinject/inject/cluster"
	"github.com/kinject/kinject/policy"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

const usage = `usage: check-inject -f FILE [-f FILE...] [--mesh mesh.yaml] [--istio-version V] [-o table|json|yaml] [-n NS] [-l SELECTOR]
         [[<type>/]<name>[.<namespace>] | --verify | --plan [CHANGE...]]
       (-f, -o, -n and -l also as --filename, --output, --namespace and --labels or --selector)`

// options are the parsed command line.
type options struct {
	files    []string
	meshFile string
	output   string
	ns       string
	selector string
	target   string
	verify   bool
	plan     bool
	change   []string
	release  cliconfig.ReleaseFlag
}

type fileList []string

func (f *fileList) String() string     { return strings.Join(*f, ",") }
func (f *fileList) Set(v string) error { *f = append(*f, v); return nil }

// parseArgs reads flags wherever they stand among the arguments, as kubectl
// does, up to --plan: what follows --plan is the change.
func parseArgs(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("check-inject", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, usage)
		fs.PrintDefaults()
	}
	fs.Var((*fileList)(&o.files), "f", "a file of kubectl output or manifests, or - for standard input (repeatable; required)")
	fs.StringVar(&o.meshFile, "mesh", "", "kinject's mesh file (policy.Mesh) for manifests checked without Istio's ConfigMaps and webhooks")
	fs.StringVar(&o.output, "o", "table", "output format: table, json or yaml")
	fs.StringVar(&o.ns, "n", "", "namespace: of the target, or the only one to check")
	fs.StringVar(&o.selector, "l", "", "label selector: the pod's labels for a pod that does not exist yet, or the workloads to check")
	// The long names kubectl and istioctl give the same flags.
	fs.Var((*fileList)(&o.files), "filename", "same as -f")
	fs.StringVar(&o.output, "output", "table", "same as -o")
	fs.StringVar(&o.ns, "namespace", "", "same as -n")
	fs.StringVar(&o.selector, "labels", "", "same as -l (istioctl's name)")
	fs.StringVar(&o.selector, "selector", "", "same as -l (kubectl's name)")
	fs.BoolVar(&o.verify, "verify", false, "check that every pod has the sidecar it should have (the guides' 2/2 READY)")
	fs.Bool("plan", false, "plan the change given by the remaining arguments (none: what is due now)")
	o.release.Register(fs)
	var positional []string
	for len(args) > 0 {
		if i := indexOf(args, "--plan", "-plan"); i >= 0 {
			o.plan, o.change = true, args[i+1:]
			args = args[:i]
			continue
		}
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			// flag has printed the error and the usage.
			return nil, errUsagePrinted
		}
		args = fs.Args()
		if len(args) > 0 {
			positional = append(positional, args[0])
			args = args[1:]
		}
	}
	switch {
	case len(o.files) == 0:
		return nil, errors.New("at least one -f is required")
	case len(positional) > 1:
		return nil, fmt.Errorf("one target at most, got %q", positional)
	case o.output != "table" && o.output != "json" && o.output != "yaml":
		return nil, fmt.Errorf("-o %q: want table, json or yaml", o.output)
	}
	if len(positional) == 1 {
		o.target = positional[0]
	}
	if o.target != "" && (o.plan || o.verify) {
		return nil, errors.New("a target cannot be combined with --plan or --verify")
	}
	if o.plan && o.verify {
		return nil, errors.New("--plan and --verify are separate runs")
	}
	return o, nil
}

func indexOf(list []string, values ...string) int {
	for i, s := range list {
		for _, v := range values {
			if s == v || s == v+"=true" {
				return i
			}
		}
	}
	return -1
}

// errUsagePrinted is a flag error the flag package has already reported.
var errUsagePrinted = errors.New("usage")

// run is the whole command, with its inputs and outputs passed in so that
// tests can drive it.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	o, err := parseArgs(args, stderr)
	if errors.Is(err, flag.ErrHelp) || errors.Is(err, errUsagePrinted) {
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "check-inject: %v\n%s\n", err, usage)
		return 2
	}
	w, loadErr := load(o, stdin)
	if w == nil {
		fmt.Fprintf(stderr, "check-inject: %v\n", loadErr)
		return 1
	}
	if loadErr != nil {
		for _, line := range strings.Split(loadErr.Error(), "\n") {
			fmt.Fprintf(stderr, "check-inject: %s\n", line)
		}
	}
	out, err := w.check(context.Background(), o)
	if err != nil {
		fmt.Fprintf(stderr, "check-inject: %v\n", err)
		return 1
	}
	if err := write(stdout, o.output, out); err != nil {
		fmt.Fprintf(stderr, "check-inject: %v\n", err)
		return 1
	}
	if loadErr != nil || out.failing() {
		return 1
	}
	return 0
}

// world is what the inputs describe.
type world struct {
	state    *cluster.State
	mesh     *inject.Mesh // nil without any revision's configuration
	policy   policy.Mesh
	decider  *policy.Decider
	handMesh bool // the policy came from --mesh or the default, not from the dumps
	notes    []string
}

// load reads every input. A nil world comes with the error that stops the
// run; a world with an error lists the malformed objects, which are left
// out.
func load(o *options, stdin io.Reader) (*world, error) {
	var dumps [][]byte
	for _, f := range o.files {
		var data []byte
		var err error
		if f == "-" {
			data, err = io.ReadAll(stdin)
		} else {
			data, err = os.ReadFile(f)
		}
		if err != nil {
			return nil, err
		}
		dumps = append(dumps, data)
	}
	state, loadErr := cluster.Load(dumps...)
	loadErr = nameInputs(loadErr, o.files)
	defaultNamespaces(state)
	w := &world{state: state}
	fromDumps := len(state.Revisions) > 0 || len(state.Webhooks) > 0
	switch {
	case o.meshFile != "" && fromDumps:
		return nil, fmt.Errorf("--mesh %s: the input already holds Istio's ConfigMaps or webhooks; use one or the other", o.meshFile)
	case o.meshFile != "":
		data, err := os.ReadFile(o.meshFile)
		if err != nil {
			return nil, err
		}
		if err := yaml.UnmarshalStrict(data, &w.policy); err != nil {
			return nil, fmt.Errorf("%s: %w", o.meshFile, err)
		}
		w.handMesh = true
	case fromDumps:
		w.policy = state.Policy()
	default:
		w.policy = policy.Mesh{Revisions: []policy.Revision{{}}}
		w.handMesh = true
	}
	if o.release.Given {
		// --istio-version is the release of every revision whose own is
		// not known (a mesh file without istioVersion, a dump whose proxy
		// tag names no release).
		for i := range w.policy.Revisions {
			if w.policy.Revisions[i].Release.IsNewest() {
				w.policy.Revisions[i].Release = o.release.Release
			}
		}
		for i := range state.Revisions {
			r := &state.Revisions[i]
			if r.Release.IsNewest() {
				r.Release = o.release.Release
				if r.Config != nil {
					cfg := *r.Config
					cfg.Release = o.release.Release
					r.Config = &cfg
				}
			}
		}
	}
	d, err := w.policy.Compile()
	if err != nil {
		where := "the dumps"
		if o.meshFile != "" {
			where = o.meshFile
		}
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	w.decider = d
	configured := false
	for _, r := range state.Revisions {
		configured = configured || r.Config != nil
	}
	if configured {
		if m, err := state.Mesh(nil); err == nil {
			w.mesh = m
		} else {
			return nil, err
		}
	}
	for _, warning := range state.Warnings {
		w.notes = append(w.notes, warning)
	}
	return w, loadErr
}

// nameInputs rewrites the loader's errors to name the file and line.
func nameInputs(err error, files []string) error {
	if err == nil {
		return nil
	}
	var lines []string
	var joined interface{ Unwrap() []error }
	errs := []error{err}
	if errors.As(err, &joined) {
		errs = joined.Unwrap()
	}
	for _, e := range errs {
		var oe *cluster.ObjectError
		if !errors.As(e, &oe) {
			lines = append(lines, e.Error())
			continue
		}
		file := "standard input"
		if oe.Input < len(files) && files[oe.Input] != "-" {
			file = files[oe.Input]
		}
		where := file
		if oe.Line > 0 {
			where = fmt.Sprintf("%s:%d", file, oe.Line)
		}
		what := strings.ToLower(oe.Kind)
		if what == "" {
			what = "object"
		}
		if oe.Name != "" {
			name := oe.Name
			if oe.Namespace != "" {
				name = oe.Namespace + "/" + name
			}
			what += fmt.Sprintf(" %q", name)
		}
		lines = append(lines, fmt.Sprintf("%s: %s: %v", where, what, oe.Err))
	}
	return errors.New(strings.Join(lines, "\n"))
}

// defaultNamespaces puts objects without a namespace (manifests not yet
// applied) in "default", where kubectl would create them.
func defaultNamespaces(s *cluster.State) {
	for i := range s.Pods {
		if s.Pods[i].Namespace == "" {
			s.Pods[i].Namespace = "default"
		}
	}
	fix := func(m *metav1.ObjectMeta) {
		if m.Namespace == "" {
			m.Namespace = "default"
		}
	}
	for i := range s.ReplicaSets {
		fix(&s.ReplicaSets[i].ObjectMeta)
	}
	for i := range s.Deployments {
		fix(&s.Deployments[i].ObjectMeta)
	}
	for i := range s.StatefulSets {
		fix(&s.StatefulSets[i].ObjectMeta)
	}
	for i := range s.DaemonSets {
		fix(&s.DaemonSets[i].ObjectMeta)
	}
	for i := range s.Jobs {
		fix(&s.Jobs[i].ObjectMeta)
	}
	for i := range s.CronJobs {
		fix(&s.CronJobs[i].ObjectMeta)
	}
}

// selector parses -l for filtering.
func (o *options) labelSelector() (labels.Selector, error) {
	if o.selector == "" {
		return nil, nil
	}
	s, err := labels.Parse(o.selector)
	if err != nil {
		return nil, fmt.Errorf("-l %q: %w", o.selector, err)
	}
	return s, nil
}
