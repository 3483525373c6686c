package policy_test

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kinject/kinject/policy"
)

// A cluster with the revisionless install and a canary revision tagged
// "prod": who gets a sidecar, from which revision, and why.
func Example() {
	mesh := policy.Mesh{Revisions: []policy.Revision{
		{}, // the revisionless install: istio-injection=enabled, istio.io/rev=default
		{Name: "canary", Tags: []string{"prod"}},
	}}
	for _, t := range []policy.Target{
		{Namespace: "shop", NamespaceLabels: map[string]string{"istio-injection": "enabled"}},
		{Namespace: "payments", NamespaceLabels: map[string]string{"istio.io/rev": "prod"}},
		{Namespace: "shop", NamespaceLabels: map[string]string{"istio-injection": "enabled"},
			Labels: map[string]string{"sidecar.istio.io/inject": "false"}},
		{Namespace: "tools"},
	} {
		d := mesh.Decide(t)
		fmt.Printf("%s: inject=%v revision=%q webhook=%q\n  %s\n", t.Namespace, d.Inject, d.Revision, d.Webhook, d.Reason)
	}
	// Output:
	// shop: inject=true revision="" webhook="namespace.sidecar-injector.istio.io"
	//   namespace label istio-injection="enabled" selects the revisionless install; policy is enabled and nothing on the pod opts out
	// payments: inject=true revision="canary" webhook="rev.namespace.sidecar-injector.istio.io"
	//   namespace label istio.io/rev="prod" (a tag of revision "canary") selects revision "canary"; policy is enabled and nothing on the pod opts out
	// shop: inject=false revision="" webhook=""
	//   pod label sidecar.istio.io/inject="false" opts out of the namespace's injection
	// tools: inject=false revision="" webhook=""
	//   neither namespace "tools" nor the pod opts in (no istio-injection or istio.io/rev namespace label, no sidecar.istio.io/inject or istio.io/rev pod label) and the default injector does not set enableNamespacesByDefault
}

// Warnings point out where Istio's actual behaviour differs from the
// documented table: label values are case-sensitive, so "True" is not an
// opt-in, and the injector falls back to its policy.
func ExampleMesh_Decide_warnings() {
	mesh := policy.Mesh{Revisions: []policy.Revision{{Policy: "disabled"}}}
	d := mesh.Decide(policy.Target{
		Namespace:       "shop",
		NamespaceLabels: map[string]string{"istio-injection": "enabled"},
		Labels:          map[string]string{"sidecar.istio.io/inject": "True"},
	})
	fmt.Println(d.Inject, d.Reason)
	for _, w := range d.Warnings {
		fmt.Println("warning:", w)
	}
	// Output:
	// false namespace label istio-injection="enabled" selects the revisionless install; policy is disabled and nothing on the pod opts in
	// warning: pod label sidecar.istio.io/inject="True" is neither "true" nor "false": webhook selectors compare it exactly and the injector ignores it
}

// A webhook deciding many pods prepares the mesh once.
func ExampleMesh_Compile() {
	decider, err := policy.Mesh{Revisions: []policy.Revision{{Name: "canary", Tags: []string{"default"}}}}.Compile()
	if err != nil {
		fmt.Println(err)
		return
	}
	d := decider.Decide(policy.Target{Namespace: "shop", NamespaceLabels: map[string]string{"istio-injection": "enabled"}})
	fmt.Println(d.Inject, d.Revision, d.Webhook)
	// Output:
	// true canary namespace.sidecar-injector.istio.io
}

func ExampleMesh_Validate() {
	err := policy.Mesh{Revisions: []policy.Revision{
		{},
		{Name: "canary", Tags: []string{"default"}, Policy: "Enabled"},
	}}.Validate()
	fmt.Println(err)
	// Output:
	// revisions[1] revision "canary": revisionTags[0]: istio.io/rev="default" is already served by revisions[0] the revisionless install
	// revisions[1] revision "canary": policy: "Enabled" is neither "enabled" nor "disabled"
}

// The webhooks of a revision with a tag, as the API server evaluates them.
func ExampleRevision_Webhooks() {
	for _, w := range (policy.Revision{Name: "canary", Tags: []string{"prod"}}).Webhooks() {
		ns, _ := metav1.LabelSelectorAsSelector(w.NamespaceSelector)
		obj, _ := metav1.LabelSelectorAsSelector(w.ObjectSelector)
		fmt.Printf("%s -> %s\n  namespace: %s\n  pod:       %s\n", w.Name, w.ClientConfig.Service.Name, ns, obj)
	}
	// Output:
	// rev.namespace.sidecar-injector.istio.io -> istiod-canary
	//   namespace: !istio-injection,istio.io/rev in (canary)
	//   pod:       sidecar.istio.io/inject notin (false)
	// rev.object.sidecar-injector.istio.io -> istiod-canary
	//   namespace: !istio-injection,!istio.io/rev
	//   pod:       istio.io/rev in (canary),sidecar.istio.io/inject notin (false)
	// rev.namespace.sidecar-injector.istio.io -> istiod-canary
	//   namespace: !istio-injection,istio.io/rev in (prod)
	//   pod:       sidecar.istio.io/inject notin (false)
	// rev.object.sidecar-injector.istio.io -> istiod-canary
	//   namespace: !istio-injection,!istio.io/rev
	//   pod:       istio.io/rev in (prod),sidecar.istio.io/inject notin (false)
}

// Required is the injector's own decision, once the API server has called
// the webhook: here neverInjectSelector refuses a migration job.
func ExampleRevision_Required() {
	rev := policy.Revision{NeverInjectSelector: []metav1.LabelSelector{
		{MatchLabels: labels.Set{"app": "migrate"}},
	}}
	d := rev.Required(policy.Target{Namespace: "shop", Labels: map[string]string{"app": "migrate"}})
	fmt.Println(d.Inject, d.Reason)
	for _, line := range d.Trace {
		fmt.Println(" ", line)
	}
	// Output:
	// false pod labels match neverInjectSelector[0] ("app=migrate")
	//   injector of the revisionless install: hostNetwork is not set
	//   injector of the revisionless install: namespace is not one of the ignored namespaces ["kube-system" "kube-public" "kube-node-lease" "local-path-storage"]
	//   injector of the revisionless install: pod has no sidecar.istio.io/inject label or annotation
	//   injector of the revisionless install: neverInjectSelector[0] ("app=migrate") matches the pod labels: do not inject
}

// The webhooks as installed decide, so a selector a user edited counts:
// here the default injector's namespace webhook was narrowed to namespaces
// that also carry team=mesh.
func ExampleMesh_Decide_installedWebhooks() {
	rev := policy.Revision{Name: "stable", Tags: []string{"default"}}
	webhooks := rev.Configurations()
	for i := range webhooks {
		for j := range webhooks[i].Webhooks {
			if w := &webhooks[i].Webhooks[j]; w.Name == "namespace.sidecar-injector.istio.io" {
				w.NamespaceSelector.MatchLabels = map[string]string{"team": "mesh"}
			}
		}
	}
	mesh := policy.Mesh{Revisions: []policy.Revision{rev}, Webhooks: webhooks}
	for _, labels := range []map[string]string{
		{"istio-injection": "enabled"},
		{"istio-injection": "enabled", "team": "mesh"},
	} {
		d := mesh.Decide(policy.Target{Namespace: "shop", NamespaceLabels: labels})
		fmt.Printf("%v inject=%v configuration=%q\n", labels, d.Inject, d.Configuration)
	}
	// Output:
	// map[istio-injection:enabled] inject=false configuration=""
	// map[istio-injection:enabled team:mesh] inject=true configuration="istio-revision-tag-default"
}

// Each revision reads sidecar.istio.io/inject by its own Istio release: up
// to 1.26 "False" opts a pod out, from 1.27 it is ignored. A migration from
// a 1.26 revision to a newer one can start injecting pods that opted out.
func ExampleRelease_InjectIntent() {
	old, _ := policy.ParseRelease("1.26.8")
	current, _ := policy.ParseRelease("1.29.6")
	for _, v := range []string{"false", "False", "yes"} {
		fmt.Printf("%q: 1.26 %v, 1.29 %v\n", v, old.InjectIntent(v), current.InjectIntent(v))
	}
	fmt.Println(policy.InjectValueNote("False"))
	// Output:
	// "false": 1.26 skip, 1.29 skip
	// "False": 1.26 skip, 1.29 default
	// "yes": 1.26 inject, 1.29 default
	// sidecar.istio.io/inject="False": Istio 1.26 and earlier lower-case the value and opt the pod out; 1.27 and later ignore it and fall back to the injector's selectors and policy
}

// ParseRelease reads image tags, including Anthos Service Mesh's; text
// that names no release is an error, and the caller follows the newest
// behaviour (the zero Release).
func ExampleParseRelease() {
	for _, tag := range []string{"1.23.6-distroless", "1.23.3-asm.2", "latest", "asm-1233-2"} {
		r, err := policy.ParseRelease(tag)
		fmt.Println(r, err)
	}
	// Output:
	// 1.23.6 <nil>
	// 1.23.3 <nil>
	// newest <nil>
	// newest not an Istio release: "asm-1233-2" (want MAJOR.MINOR[.PATCH], for example 1.23.6)
}
