package inject

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kinject/kinject/policy"
)

func TestInjectorRevision(t *testing.T) {
	never := []metav1.LabelSelector{{MatchLabels: map[string]string{"app": "batch"}}}
	cases := []struct {
		name   string
		mutate func(*Config)
		want   policy.Revision
		reason string
	}{
		{"embedded", nil, policy.Revision{Policy: "enabled", AlwaysInjectSelector: []metav1.LabelSelector{}, NeverInjectSelector: []metav1.LabelSelector{}},
			"the embedded configuration: the revisionless install, policy enabled"},
		{"revision default", func(c *Config) { c.Revision = "default" }, policy.Revision{Policy: "enabled", AlwaysInjectSelector: []metav1.LabelSelector{}, NeverInjectSelector: []metav1.LabelSelector{}},
			"revision default is the revisionless install, as New reads it"},
		{"everything", func(c *Config) {
			c.Revision, c.Tags, c.Policy, c.NeverInjectSelector = "canary", []string{"prod"}, "disabled", never
			c.AlwaysInjectSelector, c.EnableNamespacesByDefault, c.IgnoredNamespaces = nil, true, []string{"batch"}
		}, policy.Revision{Name: "canary", Tags: []string{"prod"}, Policy: "disabled", NeverInjectSelector: never, EnableNamespacesByDefault: true, IgnoredNamespaces: []string{"batch"}},
			"every policy field of the Config"},
	}
	for _, c := range cases {
		inj := newTestInjector(t, c.mutate)
		got := inj.Revision()
		if d := cmp.Diff(c.want, got); d != "" {
			t.Errorf("%s: Revision() (-want +got) (%s):\n%s", c.name, c.reason, d)
		}
		// A copy: changing it leaves the Injector alone.
		got.Tags = append(got.Tags, "x")
		got.NeverInjectSelector = append(got.NeverInjectSelector, metav1.LabelSelector{})
		if len(got.Tags) > 0 && len(inj.Revision().Tags) == len(got.Tags) {
			t.Errorf("%s: Revision shares its Tags with the Injector", c.name)
		}
		if d := cmp.Diff(c.want, inj.Revision()); d != "" {
			t.Errorf("%s: the Injector changed through its Revision's result:\n%s", c.name, d)
		}
	}
	if (*Injector)(nil).Revision().Name != "" {
		t.Error("nil Injector")
	}
}
