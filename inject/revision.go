package inject

import (
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kinject/kinject/policy"
)

// Revision returns the injection policy the Injector decides with: its
// revision, tags, policy, selectors and ignored namespaces as New read
// them from the Config. Its Webhooks (and Configurations) are the webhook
// selectors to install in front of this injector, and its Required is the
// injector's own decision for a webhook request, so a webhook server
// prints exactly the configuration its Injector decides with. The result
// is a copy; changing it changes nothing in the Injector.
func (i *Injector) Revision() policy.Revision {
	if i == nil {
		return policy.Revision{}
	}
	r := i.rev
	r.Tags = slices.Clone(r.Tags)
	r.IgnoredNamespaces = slices.Clone(r.IgnoredNamespaces)
	r.AlwaysInjectSelector = cloneSelectors(r.AlwaysInjectSelector)
	r.NeverInjectSelector = cloneSelectors(r.NeverInjectSelector)
	return r
}

func cloneSelectors(s []metav1.LabelSelector) []metav1.LabelSelector {
	if s == nil {
		return nil
	}
	out := make([]metav1.LabelSelector, len(s))
	for k := range s {
		s[k].DeepCopyInto(&out[k])
	}
	return out
}
