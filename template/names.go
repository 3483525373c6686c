package template

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/kinject/kinject/internal/codec"
	corev1 "k8s.io/api/core/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	k8sschema "k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"
)

// ErrInvalidName is wrapped by every error of ValidateNames; each names the
// field and quotes the value.
var ErrInvalidName = errors.New("invalid name")

// ValidateNames checks every object name a template can see in d with
// Kubernetes' own syntax for it, as the API server does: the pod's
// namespace, name and generateName (a prefix), its owner references' names
// (DNS-1123 subdomains), kinds and API versions, its container, init
// container and ephemeral container names (DNS-1123 labels), its service
// account, and the workload (DeploymentMeta, TypeMeta); and the names the
// shipped templates leave alone but a template may write: finalizers,
// volume, port and image pull secret names, hostname, subdomain, node,
// scheduler, priority and runtime class names. Empty names are not
// checked.
//
// Call it before rendering. Names are data, but templates write them into
// YAML without quoting (Istio's writes the workload name and namespace into
// ISTIO_META_OWNER, the container names into ISTIO_META_APP_CONTAINERS): a
// name holding a line break or a quote would add fields, for example a
// privileged container. The API server checks these names only after a
// mutating webhook has run, and never checks an owner reference's name,
// and manual injection reads files no API server has seen; a name that
// passes holds only letters, digits, '.' and '-' and cannot leave its
// scalar. Capitals are accepted although Kubernetes refuses them in these
// names: they cannot add a field, and istioctl kube-inject, of every
// release, prints such objects (Istio's own test data names a Deployment
// statusPort), so kinject prints them too and leaves the refusal to the
// API server.
//
// Each finding names its field as the pod spells it (metadata.namespace,
// spec.containers[1].name, metadata.ownerReferences[0].name) or, for the
// workload, as the templates do (DeploymentMeta.Name, TypeMeta.Kind), and
// wraps ErrInvalidName; all are returned together (errors.Join). A
// workload value that is part of a pod value already found invalid (the
// workload is usually derived from the pod's namespace and owner) is not
// reported again.
func ValidateNames(d *Data) error {
	_, err := validateNames(d)
	return err
}

// validateNames is ValidateNames, also saying how many names went to the
// reference (TestFastPathsTaken wants none on the corpus pods).
func validateNames(d *Data) (declined int, err error) {
	var c nameCheck
	m := &d.ObjectMeta
	c.check(fixed("metadata.namespace"), m.Namespace, ruleNamespace, false)
	c.check(fixed("metadata.name"), m.Name, ruleSubdomain, false)
	c.check(fixed("metadata.generateName"), m.GenerateName, ruleSubdomain, true)
	for k, ref := range m.OwnerReferences {
		at := func(leaf string) func() string {
			return func() string { return fmt.Sprintf("metadata.ownerReferences[%d].%s", k, leaf) }
		}
		c.check(at("name"), ref.Name, ruleSubdomain, false)
		c.kind(at("kind"), ref.Kind)
		c.apiVersion(at("apiVersion"), ref.APIVersion)
	}
	for k := range d.Spec.InitContainers {
		c.check(indexed("spec.initContainers[%d].name", k), d.Spec.InitContainers[k].Name, ruleLabel, false)
	}
	for k := range d.Spec.Containers {
		c.check(indexed("spec.containers[%d].name", k), d.Spec.Containers[k].Name, ruleLabel, false)
	}
	for k := range d.Spec.EphemeralContainers {
		c.check(indexed("spec.ephemeralContainers[%d].name", k), d.Spec.EphemeralContainers[k].Name, ruleLabel, false)
	}
	c.check(fixed("spec.serviceAccountName"), d.Spec.ServiceAccountName, ruleServiceAccount, false)
	c.check(fixed("spec.serviceAccount"), d.Spec.DeprecatedServiceAccount, ruleServiceAccount, false)
	// The pod's other names, checked as the API server checks them: the
	// shipped templates do not write them, but a template may. Finalizers
	// are rare on a pod being created and have no fast check.
	for k, f := range m.Finalizers {
		if !(codec.Fast && qualifiedNameOK(f)) {
			c.declined++
			c.report(indexed("metadata.finalizers[%d]", k), f, validation.IsQualifiedName(f))
		}
	}
	for k := range d.Spec.Volumes {
		c.check(indexed("spec.volumes[%d].name", k), d.Spec.Volumes[k].Name, ruleLabel, false)
	}
	for _, list := range []struct {
		field string
		cs    []corev1.Container
	}{{"spec.initContainers", d.Spec.InitContainers}, {"spec.containers", d.Spec.Containers}} {
		for k := range list.cs {
			for n, p := range list.cs[k].Ports {
				if p.Name != "" && !(codec.Fast && portNameOK(p.Name)) {
					c.declined++
					c.report(func() string { return fmt.Sprintf("%s[%d].ports[%d].name", list.field, k, n) }, p.Name, validation.IsValidPortName(p.Name))
				}
			}
		}
	}
	for k, s := range d.Spec.ImagePullSecrets {
		c.check(indexed("spec.imagePullSecrets[%d].name", k), s.Name, ruleSubdomain, false)
	}
	c.check(fixed("spec.hostname"), d.Spec.Hostname, ruleLabel, false)
	c.check(fixed("spec.subdomain"), d.Spec.Subdomain, ruleLabel, false)
	c.check(fixed("spec.nodeName"), d.Spec.NodeName, ruleSubdomain, false)
	c.check(fixed("spec.schedulerName"), d.Spec.SchedulerName, ruleSubdomain, false)
	c.check(fixed("spec.priorityClassName"), d.Spec.PriorityClassName, ruleSubdomain, false)
	if d.Spec.RuntimeClassName != nil {
		c.check(fixed("spec.runtimeClassName"), *d.Spec.RuntimeClassName, ruleSubdomain, false)
	}
	c.derived = true
	c.check(fixed("DeploymentMeta.Namespace"), d.DeploymentMeta.Namespace, ruleNamespace, false)
	c.check(fixed("DeploymentMeta.Name"), d.DeploymentMeta.Name, ruleSubdomain, false)
	c.kind(fixed("TypeMeta.Kind"), d.TypeMeta.Kind)
	c.apiVersion(fixed("TypeMeta.APIVersion"), d.TypeMeta.APIVersion)
	return c.declined, errors.Join(c.errs...)
}

// fixed and indexed name a field for a finding. The name is built only
// when there is one: nearly every pod has none, and formatting a path for
// each of its names was most of the check's cost.
func fixed(field string) func() string { return func() string { return field } }

func indexed(format string, k int) func() string {
	return func() string { return fmt.Sprintf(format, k) }
}

// nameCheck collects the findings of ValidateNames.
type nameCheck struct {
	errs     []error
	bad      []string // the values reported
	derived  bool     // checking the workload, derived from the pod
	declined int      // names the fast checks left to the reference
}

// nameRule is one of the API server's name syntaxes.
type nameRule int

const (
	ruleNamespace      nameRule = iota // apivalidation.ValidateNamespaceName
	ruleLabel                          // apivalidation.NameIsDNSLabel
	ruleSubdomain                      // apivalidation.NameIsDNSSubdomain
	ruleServiceAccount                 // apivalidation.ValidateServiceAccountName
)

// reference is the rule as apimachinery states it, with its messages.
func (r nameRule) reference(value string, prefix bool) []string {
	switch r {
	case ruleNamespace:
		return apivalidation.ValidateNamespaceName(value, prefix)
	case ruleLabel:
		return apivalidation.NameIsDNSLabel(value, prefix)
	case ruleServiceAccount:
		return apivalidation.ValidateServiceAccountName(value, prefix)
	default:
		return apivalidation.NameIsDNSSubdomain(value, prefix)
	}
}

// fast reports that the reference accepts value (given in lower case),
// without its regular expressions: a fast path (internal/codec's doc), whose
// false only means "ask the reference", which alone writes findings.
// A prefix (generateName) is masked as apimachinery masks it: a trailing
// '-' turns the last two bytes into an 'a'.
func (r nameRule) fast(value string, prefix bool) bool {
	if !codec.Fast {
		return false
	}
	var tail byte
	if prefix && len(value) > 1 && value[len(value)-1] == '-' {
		if value[len(value)-2] >= utf8.RuneSelf {
			// Lowering may change the length; the reference masks
			// the lowered value.
			return false
		}
		value, tail = value[:len(value)-2], 'a'
	}
	if r == ruleNamespace || r == ruleLabel {
		return dnsLabelOK(value, tail, false, true)
	}
	return dnsSubdomainOK(value, tail, true)
}

func (c *nameCheck) check(field func() string, value string, rule nameRule, prefix bool) {
	if value == "" || rule.fast(value, prefix) {
		return
	}
	c.declined++
	c.report(field, value, rule.reference(strings.ToLower(value), prefix))
}

func (c *nameCheck) report(field func() string, value string, problems []string) {
	if len(problems) == 0 {
		return
	}
	if c.derived {
		for _, b := range c.bad {
			if strings.Contains(b, value) {
				return
			}
		}
	}
	c.bad = append(c.bad, value)
	c.errs = append(c.errs, fmt.Errorf("%s: %w %s: %s", field(), ErrInvalidName, shortQuote(value), strings.Join(problems, "; ")))
}

// kind checks a kind as the API server checks a custom resource's: in
// lower case, a DNS-1035 label (built-in kinds all are).
func (c *nameCheck) kind(field func() string, kind string) {
	if kind == "" || codec.Fast && dnsLabelOK(kind, 0, true, true) {
		return
	}
	c.declined++
	c.report(field, kind, validation.IsDNS1035Label(strings.ToLower(kind)))
}

// apiVersion checks group/version (or a bare version, the core group): the
// group a DNS-1123 subdomain, the version a DNS-1035 label, as for a
// custom resource definition's group and versions.
func (c *nameCheck) apiVersion(field func() string, apiVersion string) {
	if apiVersion == "" || codec.Fast && apiVersionOK(apiVersion) {
		return
	}
	c.declined++
	gv, err := k8sschema.ParseGroupVersion(apiVersion)
	if err != nil {
		c.report(field, apiVersion, []string{"want a version or group/version"})
		return
	}
	var problems []string
	if gv.Group != "" {
		problems = append(problems, validation.IsDNS1123Subdomain(gv.Group)...)
	}
	problems = append(problems, validation.IsDNS1035Label(gv.Version)...)
	c.report(field, apiVersion, problems)
}

// The fast checks below decide exactly what apimachinery's regular
// expressions decide, for ASCII; fold accepts capitals as their lower case
// (the value is checked lowered). Each accepts s followed by tail when tail
// is not 0. TestNameRulesMatchReference and FuzzNameRules hold them to the
// references; anything they refuse goes to the reference.

func isLower(c byte, fold bool) bool {
	return 'a' <= c && c <= 'z' || fold && 'A' <= c && c <= 'Z'
}

func isAlnum(c byte, fold bool) bool { return isLower(c, fold) || '0' <= c && c <= '9' }

// dnsLabelOK: at most 63 bytes of [a-z0-9-], starting with a letter
// (DNS-1035, letterFirst) or an alphanumeric (DNS-1123), ending with an
// alphanumeric.
func dnsLabelOK(s string, tail byte, letterFirst, fold bool) bool {
	n := len(s)
	if tail != 0 {
		n++
	}
	if n == 0 || n > 63 {
		return false
	}
	var c byte
	for i := range n {
		c = tail
		if i < len(s) {
			c = s[i]
		}
		if i == 0 && (letterFirst && !isLower(c, fold) || !isAlnum(c, fold)) {
			return false
		}
		if !isAlnum(c, fold) && c != '-' {
			return false
		}
	}
	return c != '-'
}

// dnsSubdomainOK: at most 253 bytes, DNS-1123 labels of any length joined
// by '.'.
func dnsSubdomainOK(s string, tail byte, fold bool) bool {
	n := len(s)
	if tail != 0 {
		n++
	}
	if n == 0 || n > 253 {
		return false
	}
	prev := byte('.')
	for i := range n {
		c := tail
		if i < len(s) {
			c = s[i]
		}
		switch {
		case isAlnum(c, fold):
		case c == '-':
			if prev == '.' {
				return false
			}
		case c == '.':
			if prev == '.' || prev == '-' {
				return false
			}
		default:
			return false
		}
		prev = c
	}
	return prev != '.' && prev != '-'
}

// portNameOK: validation.IsValidPortName's rule, which does not fold case:
// 1 to 15 bytes of [a-z0-9-] with a letter, no "--", no '-' at either end.
func portNameOK(s string) bool {
	if len(s) == 0 || len(s) > 15 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	letter := false
	for i := range len(s) {
		c := s[i]
		switch {
		case isLower(c, false):
			letter = true
		case '0' <= c && c <= '9':
		case c == '-':
			if s[i-1] == '-' {
				return false
			}
		default:
			return false
		}
	}
	return letter
}

// apiVersionOK: a version, or group/version, as ParseGroupVersion splits
// it, the group a DNS-1123 subdomain and the version a DNS-1035 label,
// neither folded.
func apiVersionOK(s string) bool {
	group, version, found := strings.Cut(s, "/")
	if !found {
		return dnsLabelOK(s, 0, true, false)
	}
	if strings.Contains(version, "/") || group == "" {
		return false
	}
	return dnsSubdomainOK(group, 0, false) && dnsLabelOK(version, 0, true, false)
}

// qualifiedNameOK: validation.IsQualifiedName's rule (label keys,
// finalizers), which does not fold case: an optional DNS-1123 subdomain and
// '/', then a label value that is not empty.
func qualifiedNameOK(s string) bool {
	if prefix, name, found := strings.Cut(s, "/"); found {
		if !dnsSubdomainOK(prefix, 0, false) {
			return false
		}
		s = name // a second '/' is refused below
	}
	return s != "" && labelValueOK(s)
}

// labelValueOK: validation.IsValidLabelValue's rule: empty, or at most 63
// bytes of [A-Za-z0-9_.-] that begin and end with a letter or a digit.
func labelValueOK(s string) bool {
	if s == "" {
		return true
	}
	if len(s) > 63 || !isAlnum(s[0], true) || !isAlnum(s[len(s)-1], true) {
		return false
	}
	for i := range len(s) {
		if c := s[i]; !isAlnum(c, true) && c != '-' && c != '_' && c != '.' {
			return false
		}
	}
	return true
}
