package template

import (
	"errors"
	"fmt"
	"strings"

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
	var c nameCheck
	m := &d.ObjectMeta
	c.check("metadata.namespace", m.Namespace, apivalidation.ValidateNamespaceName, false)
	c.check("metadata.name", m.Name, apivalidation.NameIsDNSSubdomain, false)
	c.check("metadata.generateName", m.GenerateName, apivalidation.NameIsDNSSubdomain, true)
	for k, ref := range m.OwnerReferences {
		at := fmt.Sprintf("metadata.ownerReferences[%d]", k)
		c.check(at+".name", ref.Name, apivalidation.NameIsDNSSubdomain, false)
		c.kind(at+".kind", ref.Kind)
		c.apiVersion(at+".apiVersion", ref.APIVersion)
	}
	for k := range d.Spec.InitContainers {
		c.check(fmt.Sprintf("spec.initContainers[%d].name", k), d.Spec.InitContainers[k].Name, apivalidation.NameIsDNSLabel, false)
	}
	for k := range d.Spec.Containers {
		c.check(fmt.Sprintf("spec.containers[%d].name", k), d.Spec.Containers[k].Name, apivalidation.NameIsDNSLabel, false)
	}
	for k := range d.Spec.EphemeralContainers {
		c.check(fmt.Sprintf("spec.ephemeralContainers[%d].name", k), d.Spec.EphemeralContainers[k].Name, apivalidation.NameIsDNSLabel, false)
	}
	c.check("spec.serviceAccountName", d.Spec.ServiceAccountName, apivalidation.ValidateServiceAccountName, false)
	c.check("spec.serviceAccount", d.Spec.DeprecatedServiceAccount, apivalidation.ValidateServiceAccountName, false)
	// The pod's other names, checked as the API server checks them: the
	// shipped templates do not write them, but a template may.
	for k, f := range m.Finalizers {
		c.report(fmt.Sprintf("metadata.finalizers[%d]", k), f, validation.IsQualifiedName(f))
	}
	for k := range d.Spec.Volumes {
		c.check(fmt.Sprintf("spec.volumes[%d].name", k), d.Spec.Volumes[k].Name, apivalidation.NameIsDNSLabel, false)
	}
	for _, list := range []struct {
		field string
		cs    []corev1.Container
	}{{"spec.initContainers", d.Spec.InitContainers}, {"spec.containers", d.Spec.Containers}} {
		for k := range list.cs {
			for n, p := range list.cs[k].Ports {
				if p.Name != "" {
					c.report(fmt.Sprintf("%s[%d].ports[%d].name", list.field, k, n), p.Name, validation.IsValidPortName(p.Name))
				}
			}
		}
	}
	for k, s := range d.Spec.ImagePullSecrets {
		c.check(fmt.Sprintf("spec.imagePullSecrets[%d].name", k), s.Name, apivalidation.NameIsDNSSubdomain, false)
	}
	c.check("spec.hostname", d.Spec.Hostname, apivalidation.NameIsDNSLabel, false)
	c.check("spec.subdomain", d.Spec.Subdomain, apivalidation.NameIsDNSLabel, false)
	c.check("spec.nodeName", d.Spec.NodeName, apivalidation.NameIsDNSSubdomain, false)
	c.check("spec.schedulerName", d.Spec.SchedulerName, apivalidation.NameIsDNSSubdomain, false)
	c.check("spec.priorityClassName", d.Spec.PriorityClassName, apivalidation.NameIsDNSSubdomain, false)
	if d.Spec.RuntimeClassName != nil {
		c.check("spec.runtimeClassName", *d.Spec.RuntimeClassName, apivalidation.NameIsDNSSubdomain, false)
	}
	c.derived = true
	c.check("DeploymentMeta.Namespace", d.DeploymentMeta.Namespace, apivalidation.ValidateNamespaceName, false)
	c.check("DeploymentMeta.Name", d.DeploymentMeta.Name, apivalidation.NameIsDNSSubdomain, false)
	c.kind("TypeMeta.Kind", d.TypeMeta.Kind)
	c.apiVersion("TypeMeta.APIVersion", d.TypeMeta.APIVersion)
	return errors.Join(c.errs...)
}

// nameCheck collects the findings of ValidateNames.
type nameCheck struct {
	errs    []error
	bad     []string // the values reported
	derived bool     // checking the workload, derived from the pod
}

func (c *nameCheck) check(field, value string, rule apivalidation.ValidateNameFunc, prefix bool) {
	if value == "" {
		return
	}
	c.report(field, value, rule(strings.ToLower(value), prefix))
}

func (c *nameCheck) report(field, value string, problems []string) {
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
	c.errs = append(c.errs, fmt.Errorf("%s: %w %s: %s", field, ErrInvalidName, shortQuote(value), strings.Join(problems, "; ")))
}

// kind checks a kind as the API server checks a custom resource's: in
// lower case, a DNS-1035 label (built-in kinds all are).
func (c *nameCheck) kind(field, kind string) {
	if kind == "" {
		return
	}
	c.report(field, kind, validation.IsDNS1035Label(strings.ToLower(kind)))
}

// apiVersion checks group/version (or a bare version, the core group): the
// group a DNS-1123 subdomain, the version a DNS-1035 label, as for a
// custom resource definition's group and versions.
func (c *nameCheck) apiVersion(field, apiVersion string) {
	if apiVersion == "" {
		return
	}
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
