package policytest

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/kinject/kinject/policy"
)

// caseFile is the YAML document Run reads; see the package documentation.
type caseFile struct {
	Mesh  policy.Mesh `json:"mesh"`
	Cases []testCase  `json:"cases"`
}

type testCase struct {
	Name      string       `json:"name"`
	Reason    string       `json:"reason"`
	Mesh      *policy.Mesh `json:"mesh"` // replaces the file's mesh for this case
	Namespace namespace    `json:"namespace"`
	Pod       pod          `json:"pod"`
	Want      want         `json:"want"`

	decider *policy.Decider
	where   string // the case's place in the file, "injection-policy.yaml:12"
}

type namespace struct {
	Name   string            `json:"name"`
	Labels map[string]string `json:"labels"`
}

type pod struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	HostNetwork bool              `json:"hostNetwork"`
}

type want struct {
	Inject   *bool    `json:"inject"`
	Revision *string  `json:"revision"`
	Webhook  *string  `json:"webhook"`
	Reason   string   `json:"reason"`
	Warnings []string `json:"warnings"`
}

// parse reads and checks a case file and prepares its mesh. name is the
// file's name for messages ("" when unknown).
func parse(name string, data []byte) (*caseFile, error) {
	pos := locate(data)
	var f caseFile
	if err := yaml.UnmarshalStrict(data, &f); err != nil {
		return nil, fmt.Errorf("policytest: %s", describeDecodeError(name, pos, err))
	}
	decider, err := f.Mesh.Compile()
	if err != nil {
		return nil, fmt.Errorf("policytest: %s: mesh: %w", place(name, nodeLine(member(pos.root, "mesh"))), err)
	}
	if len(f.Cases) == 0 {
		return nil, fmt.Errorf("policytest: %s: no cases", place(name, 0))
	}
	var errs []error
	seen := map[string]bool{}
	for i := range f.Cases {
		c := &f.Cases[i]
		c.where = place(name, pos.caseLine(i))
		where := fmt.Sprintf("policytest: %s: cases[%d] %q", c.where, i, c.Name)
		switch {
		case c.Name == "":
			errs = append(errs, fmt.Errorf("%s: name is required", where))
		case seen[c.Name]:
			errs = append(errs, fmt.Errorf("%s: name is used twice", where))
		}
		seen[c.Name] = true
		if strings.TrimSpace(c.Reason) == "" {
			errs = append(errs, fmt.Errorf("%s: reason is required: say in one line why the case exists", where))
		}
		if c.Want.Inject == nil {
			errs = append(errs, fmt.Errorf("%s: want.inject is required", where))
		}
		if c.Namespace.Name == "" {
			c.Namespace.Name = "default"
		}
		c.decider = decider
		if c.Mesh != nil {
			if c.decider, err = c.Mesh.Compile(); err != nil {
				errs = append(errs, fmt.Errorf("%s: mesh: %w", where, err))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &f, nil
}

// describeDecodeError words a decoding error of the case file. An unknown
// field (a typo such as "revison") is located: the line of the key, where
// it sits, and the fields that would be accepted there.
func describeDecodeError(name string, pos positions, err error) string {
	msg := strings.NewReplacer("error unmarshaling JSON: ", "", "while decoding JSON: ", "", "json: ", "").Replace(err.Error())
	const marker = `unknown field "`
	if k := strings.Index(msg, marker); k >= 0 && pos.root != nil {
		field, _, _ := strings.Cut(msg[k+len(marker):], `"`)
		if key, at, in := unknownField(pos.root, reflect.TypeFor[caseFile](), field, ""); key != nil {
			_, known := jsonFields(in)
			if at == "" {
				at = "the top level"
			}
			return fmt.Sprintf("%s: %s: unknown field %q (known fields: %s)", place(name, key.Line), at, field, strings.Join(known, ", "))
		}
	}
	return place(name, 0) + ": " + msg
}

// place names a position in the case file: "file.yaml:12", "line 12", the
// file's name, or "case file".
func place(name string, line int) string {
	switch {
	case name != "" && line > 0:
		return fmt.Sprintf("%s:%d", name, line)
	case line > 0:
		return fmt.Sprintf("case file line %d", line)
	case name != "":
		return name
	}
	return "case file"
}

func (c *testCase) target() policy.Target {
	return policy.Target{
		Namespace:       c.Namespace.Name,
		NamespaceLabels: c.Namespace.Labels,
		Labels:          c.Pod.Labels,
		Annotations:     c.Pod.Annotations,
		HostNetwork:     c.Pod.HostNetwork,
	}
}

// check compares d with the case's expectations and returns a readable
// failure, or "" when d is as expected.
func (c *testCase) check(d policy.Decision) string {
	var problems []string
	w := c.Want
	if d.Inject != *w.Inject {
		problems = append(problems, fmt.Sprintf("got %s, want %s", verdict(d.Inject), verdict(*w.Inject)))
	}
	if w.Revision != nil && d.Revision != *w.Revision {
		problems = append(problems, fmt.Sprintf("revision: got %q, want %q", d.Revision, *w.Revision))
	}
	if w.Webhook != nil && d.Webhook != *w.Webhook {
		problems = append(problems, fmt.Sprintf("webhook: got %q, want %q", d.Webhook, *w.Webhook))
	}
	if w.Reason != "" && !strings.Contains(d.Reason, w.Reason) {
		problems = append(problems, fmt.Sprintf("reason does not contain %q", w.Reason))
	}
	if w.Warnings != nil {
		if len(w.Warnings) == 0 && len(d.Warnings) > 0 {
			problems = append(problems, "got warnings, want none")
		}
		for _, s := range w.Warnings {
			if !slices.ContainsFunc(d.Warnings, func(g string) bool { return strings.Contains(g, s) }) {
				problems = append(problems, fmt.Sprintf("no warning contains %q", s))
			}
		}
	}
	if len(problems) == 0 {
		return ""
	}
	var b strings.Builder
	where := c.where
	if where == "" {
		where = "case file"
	}
	fmt.Fprintf(&b, "%s: case %q (%s):\n", where, c.Name, c.Reason)
	for _, p := range problems {
		fmt.Fprintf(&b, "  %s\n", p)
	}
	fmt.Fprintf(&b, "  got: %s revision=%q webhook=%q\n", verdict(d.Inject), d.Revision, d.Webhook)
	fmt.Fprintf(&b, "  reason: %s\n", d.Reason)
	b.WriteString("  trace:\n")
	for _, line := range d.Trace {
		fmt.Fprintf(&b, "    %s\n", line)
	}
	if len(d.Warnings) > 0 {
		b.WriteString("  warnings:\n")
		for _, line := range d.Warnings {
			fmt.Fprintf(&b, "    %s\n", line)
		}
	}
	return b.String()
}

func verdict(inject bool) string {
	if inject {
		return "INJECT"
	}
	return "SKIP"
}

// Run reads a case file and runs each case as a subtest of t, named after
// the case. A failing case reports where it is in the file (its line),
// what it expected, what Decide returned, the Reason, the Trace and the
// Warnings; go test shows it at the line of the test that called Run. A
// case file that does not parse (an unknown field is named with its
// line), whose mesh is invalid, or whose cases lack a name, a reason or
// want.inject fails t at once. RunFile also names the file.
func Run(t *testing.T, caseFile []byte) {
	t.Helper()
	RunFile(t, "", caseFile)
}

// RunFile is Run for a case file whose name is known: every message
// locates a case as name:line ("testdata/injection-policy.yaml:12"), so an
// editor can jump to it. policytest never reads files: name is only for
// the messages, and data is the file's contents.
func RunFile(t *testing.T, name string, data []byte) {
	t.Helper()
	f, err := parse(name, data)
	if err != nil {
		t.Fatal(err)
	}
	for i := range f.Cases {
		c := &f.Cases[i]
		t.Run(c.Name, func(t *testing.T) {
			// A helper all the way up: go test reports the failure at the
			// caller of Run, the message at the case.
			t.Helper()
			if msg := c.check(c.decider.Decide(c.target())); msg != "" {
				t.Error(msg)
			}
		})
	}
}

// Check runs a case file outside a test and returns one readable message
// per failing case (empty when all pass), or an error when the file cannot
// be used, for the same reasons Run fails at once. CheckFile also names
// the file.
func Check(caseFile []byte) ([]string, error) { return CheckFile("", caseFile) }

// CheckFile is Check for a case file whose name is known (see RunFile).
func CheckFile(name string, data []byte) ([]string, error) {
	f, err := parse(name, data)
	if err != nil {
		return nil, err
	}
	var failures []string
	for i := range f.Cases {
		c := &f.Cases[i]
		if msg := c.check(c.decider.Decide(c.target())); msg != "" {
			failures = append(failures, msg)
		}
	}
	return failures, nil
}
