package fieldpaths_test

import (
	"fmt"

	"github.com/kinject/kinject/internal/fieldpaths"
)

// A value meant for the proxy's args also added hostNetwork: the change
// outside the allowed prefix is reported.
func Example() {
	before, _ := fieldpaths.Flatten([]byte(`{"spec":{"containers":[{"name":"istio-proxy","args":["a"]}]}}`))
	after, _ := fieldpaths.Flatten([]byte(`{"spec":{"hostNetwork":true,"containers":[{"name":"istio-proxy","args":["b"]}]}}`))
	fmt.Println(fieldpaths.ChangedOutside(before, after, []string{"spec.containers[istio-proxy].args"}))
	// Output: [spec.hostNetwork]
}
