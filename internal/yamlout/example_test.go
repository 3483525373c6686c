package yamlout_test

import (
	"fmt"

	"github.com/kinject/kinject/internal/yamlout"
)

func ExampleJSONToYAML() {
	out, err := yamlout.JSONToYAML([]byte(`{"spec":{"containers":[{"name":"web","args":["--port","8080"]}]},"kind":"Pod","metadata":{"labels":{"on":"yes"}}}`))
	if err != nil {
		panic(err)
	}
	fmt.Print(string(out))
	// Output:
	// kind: Pod
	// metadata:
	//   labels:
	//     "on": "yes"
	// spec:
	//   containers:
	//   - args:
	//     - --port
	//     - "8080"
	//     name: web
}
