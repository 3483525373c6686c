package policytest_test

import (
	"fmt"

	"github.com/kinject/kinject/policy/policytest"
)

// Check runs a case file outside go test; in a test, call
// policytest.RunFile(t, name, data) instead and each case becomes a
// subtest. Failures name the case's line in the file.
func ExampleCheckFile() {
	file := []byte(`
mesh:
  revisions:
  - {}                       # the revisionless install
cases:
- name: shop is injected
  reason: the namespace opts in
  namespace: {name: shop, labels: {istio-injection: enabled}}
  want: {inject: true, webhook: namespace.sidecar-injector.istio.io}
- name: jobs opt out
  reason: a wrong expectation, to show the failure report
  namespace: {name: shop, labels: {istio-injection: enabled}}
  pod: {labels: {sidecar.istio.io/inject: "false"}}
  want: {inject: true}
`)
	failures, err := policytest.CheckFile("injection-policy.yaml", file)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range failures {
		fmt.Print(f)
	}
	// Output:
	// injection-policy.yaml:10: case "jobs opt out" (a wrong expectation, to show the failure report):
	//   got SKIP, want INJECT
	//   got: SKIP revision="" webhook=""
	//   reason: pod label sidecar.istio.io/inject="false" opts out of the namespace's injection
	//   trace:
	//     webhook rev.namespace.sidecar-injector.istio.io of the revisionless install: namespaceSelector "!istio-injection,istio.io/rev in (default)" does not match the namespace
	//     webhook rev.object.sidecar-injector.istio.io of the revisionless install: namespaceSelector "!istio-injection,!istio.io/rev" does not match the namespace
	//     webhook namespace.sidecar-injector.istio.io of the revisionless install: namespaceSelector matches; objectSelector "sidecar.istio.io/inject notin (false)" does not match the pod
	//     webhook object.sidecar-injector.istio.io of the revisionless install: namespaceSelector "!istio-injection,!istio.io/rev" does not match the namespace
}
