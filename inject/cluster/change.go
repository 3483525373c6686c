package cluster

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/kinject/kinject/policy"
)

// Change is what a plan is made for: namespace label edits, revision tag
// moves, or nothing (the plan for the state as it is).
type Change struct {
	// Labels are namespace label edits, as `kubectl label namespace`
	// takes them.
	Labels []LabelChange `json:"labels,omitempty"`
	// Tags are revision tags pointed at a revision, as `istioctl tag set`
	// does.
	Tags []TagMove `json:"tags,omitempty"`
}

// LabelChange is one `kubectl label namespace NS... KEY=VALUE... KEY-...
// [--overwrite]`.
type LabelChange struct {
	// Namespaces are the namespaces to label; Apply fails on one the state
	// does not have.
	Namespaces []string `json:"namespaces"`
	// Set are the labels to give each namespace (KEY=VALUE).
	Set map[string]string `json:"set,omitempty"`
	// Remove are the label keys to take off (KEY-); a key absent is no
	// error. ParseChange refuses a key both set and removed.
	Remove []string `json:"remove,omitempty"`
	// Overwrite is --overwrite: without it, setting a label that already
	// has another value is an error.
	Overwrite bool `json:"overwrite,omitempty"`
}

// TagMove is one `istioctl tag set TAG --revision REVISION [--overwrite]`.
type TagMove struct {
	// Tag is the revision tag to point, such as "default" or "prod".
	Tag string `json:"tag"`
	// Revision is the installed revision the tag points at after the
	// change ("default" for the revisionless install).
	Revision string `json:"revision"`
	// Overwrite is --overwrite: without it, moving a tag that points at
	// another revision is an error.
	Overwrite bool `json:"overwrite,omitempty"`
}

// ErrChange is matched (errors.Is) by ParseChange's errors.
var ErrChange = errors.New("not a change kinject can plan")

// ParseChange reads a change in the guides' own words: the arguments of
//
//	kubectl label namespace NS [NS...] istio-injection- istio.io/rev=canary --overwrite
//	istioctl tag set default --revision canary [--overwrite]
//
// (the leading kubectl or istioctl is optional; ns and namespaces may
// stand for namespace; -r for --revision). Several commands may be given,
// separated by a lone ";". No arguments is the empty Change.
func ParseChange(args []string) (Change, error) {
	var c Change
	for len(args) > 0 {
		cmd := args
		rest := []string(nil)
		for i, a := range args {
			if a == ";" {
				cmd, rest = args[:i], args[i+1:]
				break
			}
		}
		if err := c.parseOne(cmd); err != nil {
			return Change{}, err
		}
		args = rest
	}
	return c, nil
}

func (c *Change) parseOne(args []string) error {
	if len(args) > 0 && (args[0] == "kubectl" || args[0] == "istioctl") {
		args = args[1:]
	}
	switch {
	case len(args) == 0:
		return nil
	case len(args) >= 2 && args[0] == "label" && (args[1] == "namespace" || args[1] == "namespaces" || args[1] == "ns"):
		return c.parseLabel(args[2:])
	case len(args) >= 2 && args[0] == "tag" && args[1] == "set":
		return c.parseTag(args[2:])
	}
	return fmt.Errorf("%w: %q (want `kubectl label namespace NS KEY=VALUE KEY- --overwrite` or `istioctl tag set TAG --revision REV`)", ErrChange, strings.Join(args, " "))
}

func (c *Change) parseLabel(args []string) error {
	lc := LabelChange{Set: map[string]string{}}
	for _, a := range args {
		switch {
		case a == "--overwrite" || a == "--overwrite=true":
			lc.Overwrite = true
		case a == "--overwrite=false":
			lc.Overwrite = false
		case strings.HasPrefix(a, "-"):
			return fmt.Errorf("%w: kubectl label flag %q is not supported", ErrChange, a)
		case strings.Contains(a, "="):
			k, v, _ := strings.Cut(a, "=")
			if msgs := validation.IsQualifiedName(k); len(msgs) > 0 {
				return fmt.Errorf("%w: label key %q: %s", ErrChange, k, strings.Join(msgs, "; "))
			}
			if msgs := validation.IsValidLabelValue(v); len(msgs) > 0 {
				return fmt.Errorf("%w: label %s=%q: %s", ErrChange, k, v, strings.Join(msgs, "; "))
			}
			lc.Set[k] = v
		case strings.HasSuffix(a, "-"):
			k := strings.TrimSuffix(a, "-")
			if msgs := validation.IsQualifiedName(k); len(msgs) > 0 {
				return fmt.Errorf("%w: label key %q: %s", ErrChange, k, strings.Join(msgs, "; "))
			}
			lc.Remove = append(lc.Remove, k)
		default:
			if len(lc.Set) > 0 || len(lc.Remove) > 0 {
				return fmt.Errorf("%w: %q: namespaces come before the labels", ErrChange, a)
			}
			lc.Namespaces = append(lc.Namespaces, a)
		}
	}
	if len(lc.Namespaces) == 0 {
		return fmt.Errorf("%w: kubectl label namespace needs a namespace", ErrChange)
	}
	if len(lc.Set) == 0 && len(lc.Remove) == 0 {
		return fmt.Errorf("%w: kubectl label namespace needs at least one KEY=VALUE or KEY-", ErrChange)
	}
	for _, k := range lc.Remove {
		if _, both := lc.Set[k]; both {
			return fmt.Errorf("%w: label %q is both set and removed", ErrChange, k)
		}
	}
	if len(lc.Set) == 0 {
		lc.Set = nil
	}
	c.Labels = append(c.Labels, lc)
	return nil
}

func (c *Change) parseTag(args []string) error {
	tm := TagMove{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--overwrite" || a == "--overwrite=true":
			tm.Overwrite = true
		case a == "--revision" || a == "-r":
			if i+1 >= len(args) {
				return fmt.Errorf("%w: %s needs a revision", ErrChange, a)
			}
			i++
			tm.Revision = args[i]
		case strings.HasPrefix(a, "--revision="):
			tm.Revision = strings.TrimPrefix(a, "--revision=")
		case strings.HasPrefix(a, "-"):
			return fmt.Errorf("%w: istioctl tag set flag %q is not supported", ErrChange, a)
		case tm.Tag == "":
			tm.Tag = a
		default:
			return fmt.Errorf("%w: istioctl tag set takes one tag, got %q too", ErrChange, a)
		}
	}
	if tm.Tag == "" || tm.Revision == "" {
		return fmt.Errorf("%w: istioctl tag set needs a tag and --revision", ErrChange)
	}
	c.Tags = append(c.Tags, tm)
	return nil
}

// IsEmpty reports whether the change changes nothing.
func (c Change) IsEmpty() bool { return len(c.Labels) == 0 && len(c.Tags) == 0 }

// Commands returns the change as the commands the guides use, in order:
// tags first (a namespace relabelled onto a tag needs the tag), then labels.
func (c Change) Commands() []string {
	var out []string
	for _, t := range c.Tags {
		cmd := fmt.Sprintf("istioctl tag set %s --revision %s", t.Tag, t.Revision)
		if t.Overwrite {
			cmd += " --overwrite"
		}
		out = append(out, cmd)
	}
	for _, l := range c.Labels {
		parts := []string{"kubectl label namespace"}
		parts = append(parts, l.Namespaces...)
		parts = append(parts, sortedRemovals(l.Remove)...)
		for _, k := range sortedKeys(l.Set) {
			parts = append(parts, k+"="+l.Set[k])
		}
		if l.Overwrite {
			parts = append(parts, "--overwrite")
		}
		out = append(out, strings.Join(parts, " "))
	}
	return out
}

func sortedRemovals(keys []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k + "-"
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// neverMatch is the selector istioctl writes to switch a webhook off.
func neverMatch() *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchLabels: map[string]string{"istio.io/deactivated": "never-match"}}
}

// Apply returns the state as it will be after c, sharing everything c does
// not touch with s (s is not modified). It refuses what kubectl and
// istioctl refuse: a namespace that does not exist, a label that already
// has another value without --overwrite, a tag that already exists
// without --overwrite, a revision that is not installed. Setting the tag
// "default" deactivates the revisionless install's webhooks, as istioctl
// does.
func (s *State) Apply(c Change) (*State, error) {
	out := *s
	if len(c.Labels) > 0 {
		out.Namespaces = make([]corev1.Namespace, len(s.Namespaces))
		for i := range s.Namespaces {
			out.Namespaces[i] = *s.Namespaces[i].DeepCopy()
		}
	}
	for _, lc := range c.Labels {
		for _, name := range lc.Namespaces {
			ns, ok := out.Namespace(name)
			if !ok {
				return nil, fmt.Errorf("kubectl label namespace: namespaces %q not found", name)
			}
			for _, k := range sortedKeys(lc.Set) {
				if old, has := ns.Labels[k]; has && old != lc.Set[k] && !lc.Overwrite {
					return nil, fmt.Errorf("kubectl label namespace %s: %q already has a value (%s), and --overwrite is false", name, k, old)
				}
				if ns.Labels == nil {
					ns.Labels = map[string]string{}
				}
				ns.Labels[k] = lc.Set[k]
			}
			for _, k := range lc.Remove {
				delete(ns.Labels, k)
			}
		}
	}
	if len(c.Tags) > 0 {
		out.Webhooks = make([]admissionregistrationv1.MutatingWebhookConfiguration, len(s.Webhooks))
		for i := range s.Webhooks {
			out.Webhooks[i] = *s.Webhooks[i].DeepCopy()
		}
		out.Revisions = make([]Revision, len(s.Revisions))
		for i, r := range s.Revisions {
			r.Tags = append([]string(nil), r.Tags...)
			if r.Config != nil {
				cfg := *r.Config
				r.Config = &cfg
			}
			out.Revisions[i] = r
		}
	}
	for _, tm := range c.Tags {
		if err := out.moveTag(tm); err != nil {
			return nil, err
		}
	}
	return &out, nil
}

func (s *State) moveTag(tm TagMove) error {
	target := tm.Revision
	if target == "default" {
		target = ""
	}
	rev, ok := s.Revision(target)
	if !ok {
		return fmt.Errorf("istioctl tag set %s: revision %q is not installed", tm.Tag, tm.Revision)
	}
	var existing *admissionregistrationv1.MutatingWebhookConfiguration
	var own *admissionregistrationv1.MutatingWebhookConfiguration
	for i := range s.Webhooks {
		c := &s.Webhooks[i]
		if policy.ConfigurationTag(c) == tm.Tag {
			existing = c
		}
		if r, known := policy.ConfigurationRevision(c); known && r == target && policy.ConfigurationTag(c) == "" {
			own = c
		}
	}
	for i := range s.Revisions {
		r := &s.Revisions[i]
		if k := indexOf(r.Tags, tm.Tag); k >= 0 {
			if !tm.Overwrite && r.Name != target {
				return fmt.Errorf("istioctl tag set %s: revision tag %q already exists (pointing at %q), and --overwrite is false", tm.Tag, tm.Tag, revLabel(r.Name))
			}
			r.Tags = append(r.Tags[:k:k], r.Tags[k+1:]...)
		}
	}
	rev.Tags = append(rev.Tags, tm.Tag)
	sort.Strings(rev.Tags)
	for i := range s.Revisions {
		if c := s.Revisions[i].Config; c != nil {
			c.Tags = s.Revisions[i].Tags
		}
	}
	if len(s.Webhooks) == 0 {
		return nil // no installed webhooks: Istio's, from the tags, decide
	}
	// The tag's configuration, as Istio renders it for the target, calling
	// the target's own service (or URL).
	fresh := policy.Revision{Name: target, Tags: []string{tm.Tag}}.Configurations()[1]
	if own != nil && len(own.Webhooks) > 0 {
		for i := range fresh.Webhooks {
			fresh.Webhooks[i].ClientConfig = *own.Webhooks[0].ClientConfig.DeepCopy()
		}
	}
	if existing != nil {
		fresh.ObjectMeta.Name = existing.Name
		for k, v := range existing.Labels {
			if _, set := fresh.Labels[k]; !set {
				fresh.Labels[k] = v
			}
		}
		*existing = fresh
	} else {
		s.Webhooks = append(s.Webhooks, fresh)
		sort.Slice(s.Webhooks, func(a, b int) bool { return s.Webhooks[a].Name < s.Webhooks[b].Name })
	}
	if tm.Tag == "default" {
		// istioctl switches the revisionless injector off so that the
		// tag alone serves istio-injection=enabled.
		for i := range s.Webhooks {
			c := &s.Webhooks[i]
			if r, known := policy.ConfigurationRevision(c); known && r == "" && policy.ConfigurationTag(c) == "" && target != "" {
				for j := range c.Webhooks {
					c.Webhooks[j].NamespaceSelector, c.Webhooks[j].ObjectSelector = neverMatch(), neverMatch()
				}
			}
		}
	}
	return nil
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}
