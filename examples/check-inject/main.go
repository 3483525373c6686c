// Command check-inject is an offline `istioctl x check-inject`: it reads
// Namespaces and pod-bearing workloads from a YAML stream and prints, per
// workload, whether Istio would inject a sidecar, from which revision,
// through which webhook, and why.
//
// Usage:
//
//	go run ./examples/check-inject -f manifests.yaml [--mesh mesh.yaml] [--istio-version 1.26.8]
//	kubectl get ns,deploy,sts,ds,pod -A -o yaml | go run ./examples/check-inject -f -
//
// The mesh file describes what is installed, in policy.Mesh's fields:
//
//	revisions:
//	- policy: enabled           # the revisionless install
//	- revision: canary
//	  revisionTags: [prod]
//	  istioVersion: "1.26.8"    # the Istio release its istiod runs (default: newest)
//
// Without --mesh, the mesh is the revisionless install with Istio's
// defaults. --istio-version is the release of every revision that does
// not give its own istioVersion; the release decides how a pod's
// sidecar.istio.io/inject value is read (up to 1.26 "False" opts out, from
// 1.27 it is ignored). A workload without a namespace is taken to be in "default", and
// a namespace that is not in the input is taken to have no labels (the
// output says so). Webhook names are printed without the common
// ".sidecar-injector.istio.io" suffix. The exit status is 1 when an input
// cannot be read and 2 for a usage error.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"reflect"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode"

	"sigs.k8s.io/yaml"

	"github.com/kinject/kinject/examples/internal/cliconfig"
	"github.com/kinject/kinject/policy"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is the whole command, with its inputs and outputs passed in so that
// tests can drive it.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("check-inject", flag.ContinueOnError)
	flags.SetOutput(stderr)
	file := flags.String("f", "", "manifests to check: a YAML file, or - for standard input (required)")
	meshFile := flags.String("mesh", "", "YAML file listing the installed revisions (default: the revisionless install)")
	var release cliconfig.ReleaseFlag
	release.Register(flags)
	if err := flags.Parse(args); err != nil {
		return 2
	}
	if *file == "" || flags.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: check-inject -f manifests.yaml [--mesh mesh.yaml]")
		return 2
	}
	if err := check(*file, *meshFile, release, stdin, stdout); err != nil {
		fmt.Fprintf(stderr, "check-inject: %v\n", err)
		return 1
	}
	return 0
}

func check(file, meshFile string, release cliconfig.ReleaseFlag, stdin io.Reader, stdout io.Writer) error {
	mesh := policy.Mesh{Revisions: []policy.Revision{{}}}
	if meshFile != "" {
		data, err := os.ReadFile(meshFile)
		if err != nil {
			return err
		}
		mesh = policy.Mesh{}
		if err := yaml.UnmarshalStrict(data, &mesh); err != nil {
			return fmt.Errorf("%s: %w", meshFile, err)
		}
	}
	// --istio-version is the release of every revision the mesh file does
	// not give one (istioVersion).
	for i := range mesh.Revisions {
		if release.Given && mesh.Revisions[i].Release.IsNewest() {
			mesh.Revisions[i].Release = release.Release
		}
	}
	decider, err := mesh.Compile()
	if err != nil {
		return fmt.Errorf("%s: %w", meshFile, err)
	}

	var data []byte
	if file == "-" {
		file = "standard input"
		data, err = io.ReadAll(stdin)
	} else {
		data, err = os.ReadFile(file)
	}
	if err != nil {
		return err
	}
	in, err := read(data)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	report(stdout, decider, in)
	return nil
}

// input is what the stream holds: namespaces by name, and workloads in
// document order.
type input struct {
	namespaces map[string]map[string]string
	workloads  []workload
}

type workload struct {
	namespace, kind, name string
	target                policy.Target
	note                  string // a CronJob's pod-template opt-out kube-inject does not read
}

// object is the part of a Kubernetes object check-inject reads.
type object struct {
	Kind     string            `json:"kind"`
	Metadata metadata          `json:"metadata"`
	Spec     json.RawMessage   `json:"spec"`
	Items    []json.RawMessage `json:"items"`
}

type metadata struct {
	Name         string            `json:"name"`
	GenerateName string            `json:"generateName"`
	Namespace    string            `json:"namespace"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
}

type podTemplate struct {
	Metadata metadata `json:"metadata"`
	Spec     struct {
		HostNetwork bool `json:"hostNetwork"`
	} `json:"spec"`
}

// read splits the stream into documents and collects namespaces and
// workloads; errors name the document (counting non-empty documents from 1)
// and the line it starts on.
func read(data []byte) (*input, error) {
	in := &input{namespaces: map[string]map[string]string{}}
	number := 0
	for _, doc := range splitDocuments(data) {
		if isEmpty(doc.text) {
			continue
		}
		number++
		where := fmt.Sprintf("document %d (line %d)", number, doc.line)
		js, err := yaml.YAMLToJSON(doc.text)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		if err := in.add(js, where); err != nil {
			return nil, err
		}
	}
	return in, nil
}

// add records one object (and, for a List, its items).
func (in *input) add(js []byte, where string) error {
	if bytes.Equal(bytes.TrimSpace(js), []byte("null")) {
		return nil
	}
	var obj object
	if err := decodeJSON(js, &obj); err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	where = fmt.Sprintf("%s: %s", where, describe(obj.Kind, obj.Metadata))
	if strings.HasSuffix(obj.Kind, "List") {
		for i, item := range obj.Items {
			if err := in.add(item, fmt.Sprintf("%s: items[%d]", where, i)); err != nil {
				return err
			}
		}
		return nil
	}
	var path []string // where the pod template sits in spec
	switch obj.Kind {
	case "Namespace":
		in.namespaces[obj.Metadata.Name] = obj.Metadata.Labels
		return nil
	case "Pod":
		var spec struct {
			HostNetwork bool `json:"hostNetwork"`
		}
		if err := unmarshalSpec(obj.Spec, &spec); err != nil {
			return fmt.Errorf("%s: spec: %w", where, err)
		}
		in.addWorkload(obj, obj.Metadata, spec.HostNetwork)
		return nil
	case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job", "DeploymentConfig":
		path = []string{"template"}
	case "CronJob":
		path = []string{"jobTemplate", "spec", "template"}
	default:
		return nil // not pod-bearing
	}
	raw := obj.Spec
	for _, key := range path {
		var m map[string]json.RawMessage
		if err := unmarshalSpec(raw, &m); err != nil {
			return fmt.Errorf("%s: spec: %w", where, err)
		}
		raw = m[key]
	}
	var tmpl podTemplate
	if err := unmarshalSpec(raw, &tmpl); err != nil {
		return fmt.Errorf("%s: spec.%s: %w", where, strings.Join(path, "."), err)
	}
	in.addWorkload(obj, tmpl.Metadata, tmpl.Spec.HostNetwork)
	if obj.Kind == "CronJob" {
		var spec struct {
			JobTemplate struct {
				Metadata metadata `json:"metadata"`
			} `json:"jobTemplate"`
		}
		if err := unmarshalSpec(obj.Spec, &spec); err != nil {
			return fmt.Errorf("%s: spec: %w", where, err)
		}
		in.workloads[len(in.workloads)-1].note = cronJobNote(spec.JobTemplate.Metadata, tmpl.Metadata)
	}
	return nil
}

// cronJobNote says where kube-inject and the webhook part ways on a
// CronJob: the webhook decides its pods from the pod template (the verdict
// above), but manual injection, like istioctl kube-inject, reads the Job
// template's metadata, so an opt-out on the pod template alone does not
// stop it (kube-inject warns the same way).
func cronJobNote(job, pod metadata) string {
	const key = "sidecar.istio.io/inject"
	field, v := "labels", ""
	if l, ok := pod.Labels[key]; ok {
		v = l
	} else if a, ok := pod.Annotations[key]; ok {
		field, v = "annotations", a
	}
	if v != "false" || job.Labels[key] == "false" || job.Annotations[key] == "false" {
		return ""
	}
	return fmt.Sprintf("%s: %q in spec.jobTemplate.spec.template.metadata.%s skips the pods in the webhook, but kube-inject "+
		"(manual injection, as istioctl) reads spec.jobTemplate.metadata and injects this CronJob; set it in spec.jobTemplate.metadata.%s too",
		key, v, field, field)
}

func unmarshalSpec(raw json.RawMessage, v any) error {
	if len(raw) == 0 {
		return nil
	}
	return decodeJSON(raw, v)
}

// decodeJSON is json.Unmarshal with type errors worded in the document's
// terms ("metadata.labels: want an object, got a list"), never Go's type
// names.
func decodeJSON(b []byte, v any) error {
	err := json.Unmarshal(b, v)
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) {
		return err
	}
	want := "an object"
	switch te.Type.Kind() {
	case reflect.Slice:
		want = "a list"
	case reflect.String:
		want = "a string"
	case reflect.Bool:
		want = "true or false"
	case reflect.Int, reflect.Int32, reflect.Int64:
		want = "a whole number"
	}
	if te.Field == "" {
		return fmt.Errorf("want %s, got %s", want, te.Value)
	}
	return fmt.Errorf("%s: want %s, got %s", te.Field, want, te.Value)
}

func (in *input) addWorkload(obj object, pod metadata, hostNetwork bool) {
	namespace := obj.Metadata.Namespace
	if namespace == "" {
		namespace = "default"
	}
	in.workloads = append(in.workloads, workload{
		namespace: namespace,
		kind:      strings.ToLower(obj.Kind),
		name:      name(obj.Metadata),
		target: policy.Target{
			Namespace:   namespace,
			Labels:      pod.Labels,
			Annotations: pod.Annotations,
			HostNetwork: hostNetwork,
		},
	})
}

func name(m metadata) string {
	switch {
	case m.Name != "":
		return m.Name
	case m.GenerateName != "":
		return m.GenerateName + "*"
	}
	return "(unnamed)"
}

func describe(kind string, m metadata) string {
	if kind == "" {
		kind = "object without kind"
	}
	return clean(strings.ToLower(kind) + "/" + name(m))
}

// report prints the decisions as an aligned table, then the notes and
// warnings.
func report(w io.Writer, decider *policy.Decider, in *input) {
	var notes []string
	missing := map[string]bool{}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAMESPACE\tWORKLOAD\tRESULT\tREVISION\tWEBHOOK\tREASON")
	for _, wl := range in.workloads {
		nsLabels, known := in.namespaces[wl.namespace]
		if !known && !missing[wl.namespace] {
			missing[wl.namespace] = true
			notes = append(notes, fmt.Sprintf("namespace %s is not in the input: assuming it has no labels", clean(wl.namespace)))
		}
		t := wl.target
		t.NamespaceLabels = nsLabels
		d := decider.Decide(t)
		result, revision, webhook := "SKIP", "-", "-"
		if d.Inject {
			result = "INJECT"
		}
		if d.Webhook != "" {
			revision = d.Revision
			if revision == "" {
				revision = "default"
			}
			webhook = strings.TrimSuffix(d.Webhook, ".sidecar-injector.istio.io")
		}
		id := wl.kind + "/" + wl.name
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", clean(wl.namespace), clean(id), result, clean(revision), webhook, d.Reason)
		for _, warning := range d.Warnings {
			notes = append(notes, fmt.Sprintf("%s %s: %s", clean(wl.namespace), clean(id), warning))
		}
		if wl.note != "" {
			notes = append(notes, fmt.Sprintf("%s %s: %s", clean(wl.namespace), clean(id), wl.note))
		}
	}
	tw.Flush()
	if len(in.workloads) == 0 {
		fmt.Fprintln(w, "no pod-bearing workloads in the input")
	}
	if len(notes) > 0 {
		fmt.Fprintln(w, "\nWarnings:")
		for _, n := range notes {
			fmt.Fprintf(w, "  %s\n", n)
		}
	}
}

// clean quotes a name from the input when it holds spaces or control
// characters, so that it cannot break the table's columns or lines.
func clean(s string) string {
	if s == "" || strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) >= 0 {
		return strconv.Quote(s)
	}
	return s
}

// document is one YAML document of a stream and the line it starts on.
type document struct {
	text []byte
	line int
}

// splitDocuments splits a YAML stream at "---" lines.
func splitDocuments(data []byte) []document {
	var docs []document
	start, startLine := 0, 1
	line := 1
	for pos := 0; pos < len(data); {
		end := bytes.IndexByte(data[pos:], '\n')
		next := len(data)
		if end >= 0 {
			next = pos + end + 1
		}
		text := strings.TrimRight(string(data[pos:next]), "\r\n")
		if text == "---" || strings.HasPrefix(text, "--- ") {
			docs = append(docs, document{data[start:pos], startLine})
			start, startLine = next, line+1
		}
		pos = next
		line++
	}
	return append(docs, document{data[start:], startLine})
}

// isEmpty reports whether a document holds only blank lines and comments.
func isEmpty(doc []byte) bool {
	for _, line := range strings.Split(string(doc), "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			return false
		}
	}
	return true
}
