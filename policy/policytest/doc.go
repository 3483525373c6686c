// Package policytest runs table-driven injection-policy tests written in
// YAML, so that a platform team can pin down which of its workloads get a
// sidecar, from which revision, before any cluster sees the change.
//
// # The case file
//
// A case file holds the mesh (what is installed, in the field names of
// policy.Mesh) and a list of cases:
//
//	mesh:
//	  revisions:
//	  - policy: enabled              # the revisionless install (revision "")
//	  - revision: canary
//	    revisionTags: [prod]
//	    neverInjectSelector: [{matchLabels: {app: migrate}}]
//	cases:
//	- name: shop is injected         # unique; the subtest's name
//	  reason: the namespace opts in  # required: one line on why the case exists
//	  namespace:
//	    name: shop                   # "default" when omitted
//	    labels: {istio-injection: enabled}
//	  pod:
//	    labels: {app: web}
//	    annotations: {}
//	    hostNetwork: false
//	  want:
//	    inject: true                 # required
//	    revision: ""                 # optional: the injecting revision's name
//	    webhook: namespace.sidecar-injector.istio.io   # optional
//	    reason: istio-injection      # optional: a substring of Decision.Reason
//	    warnings: []                 # optional: substrings, each in some warning;
//	                                 # an empty list means "no warnings"
//	- name: ...
//	  mesh: {revisions: [{enableNamespacesByDefault: true}]}  # optional: this case's own mesh
//
// Unknown fields are errors, so a misspelt key cannot silently weaken a
// test; the error names the key's line, where it sits and the fields known
// there (`injection-policy.yaml:14: cases[3].want: unknown field "revison"
// (known fields: inject, reason, revision, warnings, webhook)`). The mesh
// must pass policy.Mesh.Validate.
//
// # Traps
//
// The file is YAML 1.1 (sigs.k8s.io/yaml): unquoted on, off, yes and no are
// booleans and become "true" and "false" where a string is expected, so
// quote label values ("false", "on"). Brackets start a flow sequence: quote
// a reason such as "neverInjectSelector[0]" inside braces.
//
// # Running
//
// In a test, RunFile(t, name, data) makes each case a subtest; a failure
// prints the case's place (name:line, so an editor jumps to it), what was
// expected, and the decision's Reason, Trace and Warnings, and go test
// shows it at the line of the test that called RunFile. The package never
// reads files: the test reads the file and passes its name along.
//
//	func TestMeshPolicy(t *testing.T) {
//		const file = "testdata/injection-policy.yaml"
//		data, err := os.ReadFile(file)
//		if err != nil {
//			t.Fatal(err)
//		}
//		policytest.RunFile(t, file, data)
//	}
//
// Run(t, data) is the same without a name (places are "case file line
// 12"). Check and CheckFile do the same outside go test and return the
// failure reports.
package policytest
