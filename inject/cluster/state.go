package cluster

import (
	"sort"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/kinject/kinject/inject"
	"github.com/kinject/kinject/policy"
)

// Namespace returns the namespace called name.
func (s *State) Namespace(name string) (*corev1.Namespace, bool) {
	k := sort.Search(len(s.Namespaces), func(i int) bool { return s.Namespaces[i].Name >= name })
	if k < len(s.Namespaces) && s.Namespaces[k].Name == name {
		return &s.Namespaces[k], true
	}
	return nil, false
}

// Revision returns the revision called name ("" or "default" for the
// revisionless install).
func (s *State) Revision(name string) (*Revision, bool) {
	if name == "default" {
		name = ""
	}
	for i := range s.Revisions {
		if s.Revisions[i].Name == name {
			return &s.Revisions[i], true
		}
	}
	return nil, false
}

// webhooks returns the installed webhooks for policy: nil (Istio's, from
// the revisions and their tags) when the dumps hold none.
func (s *State) webhooks() []admissionregistrationv1.MutatingWebhookConfiguration {
	if len(s.Webhooks) == 0 {
		return nil
	}
	return s.Webhooks
}

// Policy returns the state as a policy.Mesh: each revision with its tags
// and its injector's settings (Istio's defaults for a revision without a
// Config), and the installed webhooks (when the dumps hold none, the
// webhooks Istio would install for those revisions and tags). A
// policytest case file or a policy.Decider can thus be pinned to a real
// cluster's dumps.
func (s *State) Policy() policy.Mesh {
	m := policy.Mesh{Webhooks: s.webhooks()}
	for _, r := range s.Revisions {
		pr := policy.Revision{Name: r.Name, Tags: r.Tags, Release: r.Release}
		if c := r.Config; c != nil {
			pr.Policy = c.Policy
			pr.AlwaysInjectSelector = c.AlwaysInjectSelector
			pr.NeverInjectSelector = c.NeverInjectSelector
			pr.EnableNamespacesByDefault = c.EnableNamespacesByDefault
			pr.IgnoredNamespaces = c.IgnoredNamespaces
		}
		m.Revisions = append(m.Revisions, pr)
	}
	return m
}

// NamespaceMeta returns every namespace's labels and annotations, as
// inject.MeshOptions and inject.Config take them.
func (s *State) NamespaceMeta() map[string]inject.NamespaceMeta {
	out := make(map[string]inject.NamespaceMeta, len(s.Namespaces))
	for _, ns := range s.Namespaces {
		out[ns.Name] = inject.NamespaceMeta{Labels: ns.Labels, Annotations: ns.Annotations}
	}
	return out
}

// Mesh builds the multi-revision injector the state describes: one
// inject.Config per revision (adjust them with edit, which may be nil,
// before they are prepared: CacheBytes, NativeSidecars or other knobs the
// dumps cannot show), the installed webhooks and the namespaces. A
// revision without a Config (known only from a webhook, or whose
// ConfigMap Load refused) is left out: a pod the webhooks send to it is
// decided as going to a revision that is not installed, with a warning.
func (s *State) Mesh(edit func(*inject.Config)) (*inject.Mesh, error) {
	var configs []*inject.Config
	for i := range s.Revisions {
		r := &s.Revisions[i]
		if r.Config == nil {
			continue
		}
		c := *r.Config
		c.Namespaces = s.NamespaceMeta()
		if edit != nil {
			edit(&c)
		}
		configs = append(configs, &c)
	}
	return inject.NewMesh(configs, inject.MeshOptions{Webhooks: s.webhooks(), Namespaces: s.NamespaceMeta()})
}
