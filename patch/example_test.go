package patch_test

import (
	"encoding/json"
	"fmt"
	"log"

	corev1 "k8s.io/api/core/v1"

	"github.com/kinject/kinject/patch"
)

// Diff works on any two JSON documents. An inserted element is one "add",
// object keys with "/" are escaped, unchanged values are not touched.
func ExampleDiff() {
	original := []byte(`{"metadata":{"annotations":{"team":"payments"}},"args":["--port","8080","--verbose"]}`)
	modified := []byte(`{"metadata":{"annotations":{"team":"payments","sidecar.istio.io/inject":"true"}},"args":["--port","8080","--log-json","--verbose"]}`)

	p, err := patch.Diff(original, modified)
	if err != nil {
		log.Fatal(err)
	}
	for _, op := range p {
		fmt.Printf("%s %s %s\n", op.Op, op.Path, op.Value)
	}
	// Output:
	// add /args/2 "--log-json"
	// add /metadata/annotations/sidecar.istio.io~1inject "true"
}

// DiffPod aligns containers by name: a sidecar inserted in front of the app
// container is one operation, and the app container, now second, is edited
// where it is.
func ExampleDiffPod() {
	original := []byte(`{"spec":{"containers":[{"name":"app","image":"shop:1.4"}]}}`)
	modified := []byte(`{"spec":{"containers":[{"name":"istio-proxy","image":"proxyv2:1.28"},{"name":"app","image":"shop:1.5"}]}}`)

	p, err := patch.DiffPod(original, modified)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p)
	// Output:
	// [{"op":"add","path":"/spec/containers/0","value":{"name":"istio-proxy","image":"proxyv2:1.28"}},{"op":"replace","path":"/spec/containers/1/image","value":"shop:1.5"}]
}

// A webhook diffs two documents that went through the same typed
// conversion, so fields of the raw request that corev1 does not know are
// left alone, and applies to the raw request as the API server does.
func ExampleDiffPod_webhook() {
	raw := []byte(`{"metadata":{"name":"web"},"spec":{"containers":[{"name":"app","image":"shop:1.4","futureField":true}]}}`)

	var pod corev1.Pod
	if err := json.Unmarshal(raw, &pod); err != nil {
		log.Fatal(err)
	}
	original, _ := json.Marshal(&pod)
	injected := pod.DeepCopy()
	injected.Spec.Containers = append([]corev1.Container{{Name: "istio-proxy", Image: "proxyv2"}}, injected.Spec.Containers...)
	modified, _ := json.Marshal(injected)

	p, err := patch.DiffPod(original, modified)
	if err != nil {
		log.Fatal(err)
	}
	body, _ := p.MarshalJSON() // AdmissionResponse.Patch
	fmt.Println(string(body))

	patched, err := p.Apply(raw)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(patched))
	// Output:
	// [{"op":"add","path":"/spec/containers/0","value":{"name":"istio-proxy","image":"proxyv2","resources":{}}}]
	// {"metadata":{"name":"web"},"spec":{"containers":[{"name":"istio-proxy","image":"proxyv2","resources":{}},{"name":"app","image":"shop:1.4","futureField":true}]}}
}

// Options carries a Schema for documents other than pods.
func ExampleOptions() {
	type Route struct {
		Host string `json:"host"`
		Port int    `json:"port"`
	}
	type Config struct {
		Routes []Route `json:"routes" patchMergeKey:"host"`
	}
	opts := patch.Options{Schema: patch.SchemaOf(Config{})}

	original := []byte(`{"routes":[{"host":"a.example","port":80},{"host":"b.example","port":80}]}`)
	modified := []byte(`{"routes":[{"host":"b.example","port":8080},{"host":"a.example","port":80}]}`)
	p, err := opts.Diff(original, modified)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p)
	// Output:
	// [{"op":"move","path":"/routes/0","from":"/routes/1"},{"op":"replace","path":"/routes/0/port","value":8080}]
}

func ExampleSchema_MergeKey() {
	s := patch.PodSchema()
	fmt.Println(s.MergeKey("/spec/containers"))
	fmt.Println(s.MergeKey("/spec/containers/0/ports"))
	fmt.Println(s.MergeKey("/spec/initContainers/0/volumeMounts"))
	fmt.Printf("%q\n", s.MergeKey("/spec/tolerations"))
	// Output:
	// name
	// containerPort
	// mountPath
	// ""
}

func ExamplePatch_Apply() {
	p := patch.Patch{
		{Op: "add", Path: "/metadata/labels/version", Value: json.RawMessage(`"v2"`)},
		{Op: "remove", Path: "/spec/replicas"},
	}
	out, err := p.Apply([]byte(`{"metadata":{"labels":{"app":"web"}},"spec":{"replicas":3}}`))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(out))

	_, err = p.Apply([]byte(`{"metadata":{}}`))
	fmt.Println(err)
	// Output:
	// {"metadata":{"labels":{"app":"web","version":"v2"}},"spec":{}}
	// patch: operation 0 (add /metadata/labels/version): add operation does not apply: doc is missing path: "/metadata/labels/version": missing value
}

func ExamplePatch_MarshalJSON() {
	var empty patch.Patch
	b, _ := empty.MarshalJSON()
	fmt.Println(string(b))

	b, _ = patch.Patch{{Op: "replace", Path: "/a", Value: json.RawMessage("null")}}.MarshalJSON()
	fmt.Println(string(b))
	// Output:
	// []
	// [{"op":"replace","path":"/a","value":null}]
}
