package policytest

import (
	"os"
	"strings"
	"testing"

	"github.com/kinject/kinject/policy"
)

func TestShippedCaseFile(t *testing.T) {
	data, err := os.ReadFile("../../testdata/policy/cases.yaml")
	if err != nil {
		t.Fatal(err)
	}
	Run(t, data)
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		why  string
		file string
		want []string
	}{
		{"not yaml", "a broken file names the problem", "mesh: [", []string{"policytest: case file:"}},
		{"unknown field", "typos in field names are errors, not silently ignored", "mesh: {}\ncases:\n- {name: a, reason: r, want: {inject: true}, namspace: {}}", []string{`unknown field "namspace"`}},
		{"no cases", "an empty file tests nothing", "mesh: {revisions: [{}]}", []string{"no cases"}},
		{"invalid mesh", "the mesh is validated", "mesh: {revisions: [{policy: sometimes}]}\ncases: [{name: a, reason: r, want: {inject: false}}]", []string{`mesh: policy: invalid mesh: revisions[0] the revisionless install: policy: "sometimes"`}},
		{"missing fields", "name, reason and want.inject are required",
			"cases:\n- {reason: r, want: {inject: true}}\n- {name: b, want: {inject: true}}\n- {name: c, reason: r}\n- {name: c, reason: r, want: {inject: true}}",
			[]string{"cases[0] \"\": name is required", `cases[1] "b": reason is required`, `cases[2] "c": want.inject is required`, `cases[3] "c": name is used twice`}},
		{"invalid case mesh", "a case's own mesh is validated too", "cases: [{name: a, reason: r, mesh: {revisions: [{revision: default}]}, want: {inject: false}}]",
			[]string{`cases[0] "a": mesh: policy: invalid mesh:`, "reserved"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse([]byte(tc.file))
			if err == nil {
				t.Fatalf("%s: no error", tc.why)
			}
			for _, s := range tc.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("%s: error %q lacks %q", tc.why, err, s)
				}
			}
			if _, cerr := Check([]byte(tc.file)); cerr == nil {
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
			[]string{`case "c" (why):`, "got INJECT, want SKIP", "reason: because", "    step 1\n    step 2", "warnings:\n    careful"}},
		{"revision and webhook", "optional fields are compared when set", want{Inject: &yes, Revision: &canary, Webhook: &hook},
			[]string{`revision: got "", want "canary"`, `webhook: got "namespace.sidecar-injector.istio.io", want "object.sidecar-injector.istio.io"`}},
		{"reason", "reason is a substring", want{Inject: &yes, Reason: "since"}, []string{`reason does not contain "since"`}},
		{"no warnings", "an empty warnings list means none", want{Inject: &yes, Warnings: []string{}}, []string{"got warnings, want none"}},
		{"missing warning", "each listed warning must appear", want{Inject: &yes, Warnings: []string{"deprecated"}}, []string{`no warning contains "deprecated"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := testCase{Name: "c", Reason: "why", Want: tc.want}
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
