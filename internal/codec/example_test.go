package codec_test

import (
	"encoding/json"
	"fmt"

	"github.com/kinject/kinject/internal/codec"
	corev1 "k8s.io/api/core/v1"
)

// A Plan is a type's JSON shape, with Kubernetes' merge keys.
func ExamplePlanFor() {
	p := codec.PlanFor[corev1.PodSpec]()
	f := p.FieldByName("containers")
	fmt.Println(f.Name, f.MergeKey, f.Strategies, f.OmitEmpty)
	// Output: containers name [merge] false
}

// AppendQuote writes a string as encoding/json does, with or without its
// HTML escaping.
func ExampleAppendQuote() {
	fmt.Println(string(codec.AppendQuote(nil, "a<b>\n", codec.EscapeHTML)))
	fmt.Println(string(codec.AppendQuote(nil, "a<b>\n", 0)))
	// Output:
	// "a\u003cb\u003e\n"
	// "a<b>\n"
}

// Tree and DecodeTree convert between a typed object and the tree
// encoding/json would give, without JSON text. Each reports whether it was
// taken; where it declines (always, in a kinject_reference build) the
// caller runs the reference, encoding/json, with the same result.
func ExampleTree() {
	pod := &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app"}}}}
	tree, ok := codec.Tree(pod)
	if !ok {
		b, _ := json.Marshal(pod)
		_ = json.Unmarshal(b, &tree)
	}
	spec := tree.(map[string]any)["spec"].(map[string]any)
	fmt.Println(spec["containers"])

	var back corev1.Pod
	if !codec.DecodeTree(tree, &back) {
		back = corev1.Pod{}
		b, _ := json.Marshal(tree)
		_ = json.Unmarshal(b, &back)
	}
	fmt.Println(back.Spec.Containers[0].Name)
	// Output:
	// [map[name:app resources:map[]]]
	// app
}
