package policytest

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/kinject/kinject/policy"
)

func TestShippedCaseFile(t *testing.T) {
	const name = "../../testdata/policy/cases.yaml"
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	RunFile(t, name, data)
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		why  string
		file string
		want []string
	}{
		{"not yaml", "a broken file names the problem", "mesh: [", []string{"policytest: p.yaml: "}},
		{"unknown field", "a typo in a field name is an error with its line, its place and the fields known there",
			"mesh: {}\ncases:\n- name: a\n  reason: r\n  want: {inject: true}\n- name: b\n  reason: r\n  want:\n    inject: true\n    revison: canary\n",
			[]string{`policytest: p.yaml:10: cases[1].want: unknown field "revison" (known fields: inject, reason, revision, warnings, webhook)`}},
		{"unknown top-level field", "the top level too", "mesh: {}\ncase: []\n",
			[]string{`policytest: p.yaml:2: the top level: unknown field "case" (known fields: cases, mesh)`}},
		{"unknown mesh field", "inside the mesh's own types", "mesh:\n  revisions:\n  - revision: canary\n    revisonTags: [prod]\ncases: []\n",
			[]string{`policytest: p.yaml:4: mesh.revisions[0]: unknown field "revisonTags"`}},
		{"no cases", "an empty file tests nothing", "mesh: {revisions: [{}]}", []string{"no cases"}},
		{"invalid mesh", "the mesh is validated, and located", "mesh: {revisions: [{policy: sometimes}]}\ncases: [{name: a, reason: r, want: {inject: false}}]", []string{`policytest: p.yaml:1: mesh: policy: invalid mesh: revisions[0] the revisionless install: policy: "sometimes"`}},
		{"missing fields", "name, reason and want.inject are required; each case is named by its line",
			"cases:\n- {reason: r, want: {inject: true}}\n- {name: b, want: {inject: true}}\n- {name: c, reason: r}\n- {name: c, reason: r, want: {inject: true}}",
			[]string{"p.yaml:2: cases[0] \"\": name is required", `p.yaml:3: cases[1] "b": reason is required`, `p.yaml:4: cases[2] "c": want.inject is required`, `p.yaml:5: cases[3] "c": name is used twice`}},
		{"invalid case mesh", "a case's own mesh is validated too", "cases: [{name: a, reason: r, mesh: {revisions: [{revision: default}]}, want: {inject: false}}]",
			[]string{`cases[0] "a": mesh: policy: invalid mesh:`, "reserved"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse("p.yaml", []byte(tc.file))
			if err == nil {
				t.Fatalf("%s: no error", tc.why)
			}
			for _, s := range tc.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("%s: error %q lacks %q", tc.why, err, s)
				}
			}
			if _, cerr := CheckFile("p.yaml", []byte(tc.file)); cerr == nil {
				t.Errorf("%s: Check accepted a file parse rejects", tc.why)
			}
		})
	}
}

func TestFailureMessage(t *testing.T) {
	yes, no, canary, hook := true, false, "canary", "object.sidecar-injector.istio.io"
	d := policy.Decision{Inject: true, Revision: "", Webhook: "namespace.sidecar-injector.istio.io",
		Reason: "because", Trace: []string{"step 1", "step 2"}, Warnings: []string{"careful"}}
	tests := []struct {
		name string
		why  string
		want want
		msg  []string // substrings; none: the case passes
	}{
		{"pass", "matching expectations produce no message", want{Inject: &yes, Warnings: []string{"care"}}, nil},
		{"verdict", "the verdict is named both ways", want{Inject: &no},
			[]string{`p.yaml:7: case "c" (why):`, "got INJECT, want SKIP", "reason: because", "    step 1\n    step 2", "warnings:\n    careful"}},
		{"revision and webhook", "optional fields are compared when set", want{Inject: &yes, Revision: &canary, Webhook: &hook},
			[]string{`revision: got "", want "canary"`, `webhook: got "namespace.sidecar-injector.istio.io", want "object.sidecar-injector.istio.io"`}},
		{"reason", "reason is a substring", want{Inject: &yes, Reason: "since"}, []string{`reason does not contain "since"`}},
		{"no warnings", "an empty warnings list means none", want{Inject: &yes, Warnings: []string{}}, []string{"got warnings, want none"}},
		{"missing warning", "each listed warning must appear", want{Inject: &yes, Warnings: []string{"deprecated"}}, []string{`no warning contains "deprecated"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := testCase{Name: "c", Reason: "why", Want: tc.want, where: "p.yaml:7"}
			msg := c.check(d)
			if len(tc.msg) == 0 {
				if msg != "" {
					t.Errorf("%s: unexpected failure:\n%s", tc.why, msg)
				}
				return
			}
			for _, s := range tc.msg {
				if !strings.Contains(msg, s) {
					t.Errorf("%s: message lacks %q:\n%s", tc.why, s, msg)
				}
			}
		})
	}
}

// TestFailureLocation: go test reports a failing case at the line of the
// test that called RunFile (not inside policytest), and the message starts
// with the case's own file:line. The failing run is this test binary run
// again in a child process.
func TestFailureLocation(t *testing.T) {
	if os.Getenv("POLICYTEST_FAILING_CHILD") == "1" {
		RunFile(t, "fail.yaml", []byte("mesh: {revisions: [{}]}\ncases:\n- name: ok\n  reason: passes\n  want: {inject: false}\n- name: wrong\n  reason: fails on purpose\n  want: {inject: true}\n"))
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestFailureLocation$")
	cmd.Env = append(os.Environ(), "POLICYTEST_FAILING_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the failing case did not fail:\n%s", out)
	}
	if !regexp.MustCompile(`policytest_test\.go:\d+: fail\.yaml:6: case "wrong" \(fails on purpose\):`).Match(out) {
		t.Errorf("failure not reported at the caller with the case's file:line:\n%s", out)
	}
	if strings.Contains(string(out), "policytest.go:") {
		t.Errorf("failure points into policytest.go:\n%s", out)
	}
}

// FuzzCheckFile: any bytes give failures or an error, never a panic (the
// locating walk follows the YAML node tree and the decoded types).
func FuzzCheckFile(f *testing.F) {
	f.Add([]byte("mesh: {revisions: [{}]}\ncases:\n- {name: a, reason: r, want: {inject: true}, namspace: {}}\n"))
	f.Add([]byte("mesh:\n  revisions:\n  - revision: canary\n    revisonTags: [prod]\ncases: []\n"))
	f.Add([]byte("a: &x {b: *x}\n"))
	f.Add([]byte("cases:\n- name: a\n  reason: r\n  want: {inject: true, revison: x}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = CheckFile("f.yaml", data)
	})
}
