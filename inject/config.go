package inject

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/kinject/kinject/policy"
	"github.com/kinject/kinject/template/meshconfig"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// Config is the injector's whole configuration: the three dumps Istio keeps
// in its ConfigMaps plus the settings Istio takes from its environment and
// its cluster. LoadConfig fills the first group; the second group are plain
// fields a caller sets (examples/kube-inject maps each to a flag).
//
// A Config is a value: build it, then hand it to New, which validates and
// prepares it. Changing a Config after New has no effect on the Injector.
type Config struct {
	// Policy is the injector's policy: "enabled" (the default) or "disabled".
	Policy string `json:"policy,omitempty"`
	// AlwaysInjectSelector are label selectors on the pod's labels,
	// consulted when the pod does not say itself: a match injects, unless a
	// NeverInjectSelector matches (see policy.Revision).
	AlwaysInjectSelector []metav1.LabelSelector `json:"alwaysInjectSelector,omitempty"`
	// NeverInjectSelector are label selectors on the pod's labels,
	// consulted before AlwaysInjectSelector: a match refuses injection.
	NeverInjectSelector []metav1.LabelSelector `json:"neverInjectSelector,omitempty"`
	// InjectedAnnotations are added to every injected pod (a pod's own
	// value wins).
	InjectedAnnotations map[string]string `json:"injectedAnnotations,omitempty"`
	// DefaultTemplates are the templates used when a pod does not name its
	// own with inject.istio.io/templates (default: sidecar).
	DefaultTemplates []string `json:"defaultTemplates,omitempty"`
	// Templates are the sidecar templates by name, in Istio's template
	// language.
	Templates map[string]string `json:"templates,omitempty"`
	// Aliases map a template name to the templates it stands for.
	Aliases map[string][]string `json:"aliases,omitempty"`

	// Values is the injector's values (data.values of the
	// istio-sidecar-injector ConfigMap), as decoded JSON.
	Values map[string]any `json:"-"`
	// Mesh is the effective mesh configuration (Istio's defaults with the
	// istio ConfigMap's data.mesh on top). Nil means Istio's defaults.
	Mesh *meshconfig.MeshConfig `json:"-"`

	// Revision is the control-plane revision this injector serves ("" for
	// the revisionless install; istioctl's --revision, istiod's REVISION).
	// LoadConfig takes it from values.revision.
	Revision string `json:"-"`
	// Release is the Istio release whose behaviour the injector follows
	// where Istio changed it (see the package documentation's table): how
	// sidecar.istio.io/inject values are read, lifecycle-hook rewriting,
	// annotation checks, the Prometheus merge, creationTimestamp in
	// manual-injection output. LoadConfig takes it from the values
	// (ReleaseFromValues: values.global.tag when it is a version); the zero
	// Release, also what an unreadable tag gives, is the newest behaviour.
	// Set it to follow another release (kube-inject's --istio-version).
	Release policy.Release `json:"-"`
	// NativeSidecars runs istio-proxy as a restartable init container
	// (Kubernetes native sidecars): Istio's ENABLE_NATIVE_SIDECARS=true, or
	// "auto" on a cluster whose every kubelet is 1.33 or newer. A pod's
	// sidecar.istio.io/nativeSidecar annotation still overrides it in the
	// template.
	NativeSidecars bool `json:"-"`
	// ClusterID and Network, when set, overwrite the proxy's
	// ISTIO_META_CLUSTER_ID and ISTIO_META_NETWORK environment variables
	// after rendering, as Istio's webhook does for a request to
	// /inject/cluster/<ClusterID>/net/<Network>. Empty leaves what the
	// template rendered (values.global.multiCluster.clusterName, or
	// "Kubernetes").
	ClusterID, Network string `json:"-"`
	// Platform is Istio's PLATFORM setting; "openshift" makes the proxy run
	// with the UID and GID range OpenShift assigns to the namespace (its
	// openshift.io/sa.scc.uid-range and supplemental-groups annotations).
	Platform string `json:"-"`
	// CompliancePolicy is Istio's COMPLIANCE_POLICY (for example
	// "fips-140-2"), seen by templates as .CompliancePolicy.
	CompliancePolicy string `json:"-"`
	// Env is what the templates' env function reads (Istio reads istiod's
	// process environment; kinject never does).
	Env map[string]string `json:"-"`
	// IgnoredNamespaces are never injected. Nil means Istio's four
	// (kube-system, kube-public, kube-node-lease, local-path-storage).
	IgnoredNamespaces []string `json:"-"`
	// EnableNamespacesByDefault is values.sidecarInjectorWebhook.
	// enableNamespacesByDefault, consulted by the full (manual) decision.
	EnableNamespacesByDefault bool `json:"-"`
	// Tags are the revision tags that point at Revision (for the full
	// decision; "default" makes this the default injector).
	Tags []string `json:"-"`
	// Namespaces describe the cluster's namespaces (labels and
	// annotations), used for a request that does not carry its own (a
	// webhook's AdmissionReview names the namespace only; Istio's injector
	// reads the rest from the cluster).
	Namespaces map[string]NamespaceMeta `json:"-"`
	// CacheBytes bounds the memory of the Injector's cache of recent
	// results, in bytes: pods that differ only in what the templates do
	// not read (a workload's replicas, by name and uid) are injected once.
	// 0 means DefaultCacheBytes; a negative value disables the cache. A
	// result costing more than a sixteenth of it (a pod with tens of
	// thousands of environment variables) is never kept. The cache holds
	// at most this many bytes of results (counted from what they hold: the
	// injected pod, unless every request is PatchOnly, its patch, the
	// patch's JSON, the warnings), plus its own small bookkeeping.
	CacheBytes int64 `json:"-"`
}

// DefaultCacheBytes is the Injector's result cache budget when
// Config.CacheBytes is 0: 32 MiB. A replica of a typical pod with Istio's
// sidecar template costs about 40 KiB with the injected pod kept (manual
// injection) and under 15 KiB without (a webhook): room for hundreds to
// thousands of workloads, and outsized results (over 2 MiB) are not kept.
const DefaultCacheBytes = 32 << 20

// NamespaceMeta is the metadata of a namespace the injector needs.
type NamespaceMeta struct {
	// Labels and Annotations are the namespace's metadata.labels and
	// metadata.annotations.
	Labels, Annotations map[string]string
}

// ErrConfig is matched (errors.Is) by every error LoadConfig and New return
// for a bad configuration.
var ErrConfig = errors.New("invalid injector configuration")

// istioTemplateSentinel is what Istio's chart writes under the legacy
// "template" key when the real templates live under "templates".
const istioTemplateSentinel = "{{ Template_Version_And_Istio_Version_Mismatched_Check_Installation }}"

// injectConfigFile is the on-disk shape of the inject config.
type injectConfigFile struct {
	Policy               string                 `json:"policy"`
	AlwaysInjectSelector []metav1.LabelSelector `json:"alwaysInjectSelector"`
	NeverInjectSelector  []metav1.LabelSelector `json:"neverInjectSelector"`
	InjectedAnnotations  map[string]string      `json:"injectedAnnotations"`
	Template             string                 `json:"template"`
	Templates            map[string]string      `json:"templates"`
	DefaultTemplates     []string               `json:"defaultTemplates"`
	Aliases              map[string][]string    `json:"aliases"`
}

// LoadConfig reads the injector's configuration from the three dumps Istio
// keeps:
//
//   - injectConfig: data.config of ConfigMap istio-sidecar-injector (YAML:
//     policy, alwaysInjectSelector, neverInjectSelector,
//     injectedAnnotations, defaultTemplates, templates, aliases; a legacy
//     bare "template" is taken as the "sidecar" template, and Istio's
//     sentinel value there is ignored);
//   - values: data.values of the same ConfigMap (JSON);
//   - mesh: data.mesh of ConfigMap istio (MeshConfig YAML over Istio's
//     defaults).
//
// Any of them may be nil. Decoding is strict: an unknown field is an error
// naming the file and the field. The error matches ErrConfig.
func LoadConfig(injectConfig, values, mesh []byte) (*Config, error) {
	cfg := &Config{}
	if len(bytes.TrimSpace(injectConfig)) > 0 {
		var f injectConfigFile
		if err := yaml.UnmarshalStrict(injectConfig, &f); err != nil {
			return nil, fmt.Errorf("%w: inject config: %w", ErrConfig, cleanYAMLError(err))
		}
		cfg.Policy = f.Policy
		cfg.AlwaysInjectSelector = f.AlwaysInjectSelector
		cfg.NeverInjectSelector = f.NeverInjectSelector
		cfg.InjectedAnnotations = f.InjectedAnnotations
		cfg.Templates = f.Templates
		cfg.DefaultTemplates = f.DefaultTemplates
		cfg.Aliases = f.Aliases
		if t := strings.TrimSpace(f.Template); t != "" && t != istioTemplateSentinel {
			if cfg.Templates == nil {
				cfg.Templates = map[string]string{}
			}
			if _, ok := cfg.Templates["sidecar"]; ok {
				return nil, fmt.Errorf("%w: inject config: both template and templates.sidecar are set", ErrConfig)
			}
			cfg.Templates["sidecar"] = f.Template
		}
	}
	if len(bytes.TrimSpace(values)) > 0 {
		js, err := yaml.YAMLToJSON(values)
		if err != nil {
			return nil, fmt.Errorf("%w: values: %w", ErrConfig, err)
		}
		var v map[string]any
		if err := json.Unmarshal(js, &v); err != nil {
			return nil, fmt.Errorf("%w: values: %w", ErrConfig, cleanYAMLError(err))
		}
		cfg.Values = v
		if r, ok := v["revision"].(string); ok {
			cfg.Revision = r
		}
		// A tag that names no release leaves the newest behaviour; a
		// program reports that with ReleaseFromValues.
		cfg.Release, _ = ReleaseFromValues(v)
		if sw, ok := v["sidecarInjectorWebhook"].(map[string]any); ok {
			if b, ok := sw["enableNamespacesByDefault"].(bool); ok {
				cfg.EnableNamespacesByDefault = b
			}
		}
	}
	m, err := meshconfig.ParseMeshConfig(mesh)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	cfg.Mesh = m
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// validate checks what can be checked without parsing templates.
func (c *Config) validate() error {
	var errs []error
	switch c.Policy {
	case "", "enabled", "disabled":
	default:
		errs = append(errs, fmt.Errorf("inject config: policy: %q is neither \"enabled\" nor \"disabled\"", c.Policy))
	}
	for i, s := range c.AlwaysInjectSelector {
		if _, err := metav1.LabelSelectorAsSelector(&s); err != nil {
			errs = append(errs, fmt.Errorf("inject config: alwaysInjectSelector[%d]: %w", i, err))
		}
	}
	for i, s := range c.NeverInjectSelector {
		if _, err := metav1.LabelSelectorAsSelector(&s); err != nil {
			errs = append(errs, fmt.Errorf("inject config: neverInjectSelector[%d]: %w", i, err))
		}
	}
	for _, name := range c.defaultTemplates() {
		if _, ok := c.Templates[name]; !ok {
			if _, ok := c.Aliases[name]; !ok && len(c.Templates) > 0 {
				errs = append(errs, fmt.Errorf("inject config: defaultTemplates: unknown template %q (known: %s)", name, strings.Join(sortedKeys(c.Templates), ", ")))
			}
		}
	}
	for alias, names := range c.Aliases {
		for _, n := range names {
			if _, ok := c.Templates[n]; !ok {
				errs = append(errs, fmt.Errorf("inject config: aliases.%s: unknown template %q", alias, n))
			}
		}
	}
	if c.Platform != "" && c.Platform != "openshift" {
		errs = append(errs, fmt.Errorf("platform: %q is not supported (known: openshift)", c.Platform))
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrConfig, errors.Join(errs...))
}

func (c *Config) defaultTemplates() []string {
	if len(c.DefaultTemplates) == 0 {
		return []string{"sidecar"}
	}
	return c.DefaultTemplates
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// cleanYAMLError drops the "error unmarshaling JSON: while decoding JSON:
// json: " prefixes sigs.k8s.io/yaml stacks on its errors, and words
// encoding/json's type errors in the document's terms: "cannot unmarshal
// string into Go struct field PodSpec.spec.containers of type
// []v1.Container" becomes "spec.containers: want a list, got a string"
// (a message names the field, never a Go type).
func cleanYAMLError(err error) error {
	msg := err.Error()
	for _, p := range []string{"error unmarshaling JSON: ", "while decoding JSON: ", "json: "} {
		msg = strings.ReplaceAll(msg, p, "")
	}
	msg = goTypeError.ReplaceAllStringFunc(msg, func(m string) string {
		g := goTypeError.FindStringSubmatch(m)
		got, field, typ := g[1], g[2], g[3]
		if _, path, ok := strings.Cut(field, "."); ok {
			field = path // the Go struct's name comes first
		}
		text := "want " + jsonKindOfGoType(typ) + ", got " + jsonKindWord(got)
		if field != "" {
			text = field + ": " + text
		}
		return text
	})
	return errors.New(msg)
}

// goTypeError matches encoding/json's *UnmarshalTypeError text.
var goTypeError = regexp.MustCompile(`cannot unmarshal ([a-z]+(?: [^ ]+)?) into Go (?:struct field ([^ ]+)|value) of type ([^ \n]+)`)

// jsonKindOfGoType names what JSON a Go type (as %v prints it) takes.
func jsonKindOfGoType(t string) string {
	t = strings.TrimLeft(t, "*")
	switch {
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case strings.HasPrefix(t, "map["):
		return "an object"
	case t == "string":
		return "a string"
	case t == "bool":
		return "true or false"
	case strings.HasPrefix(t, "int") || strings.HasPrefix(t, "uint"):
		return "a whole number"
	case strings.HasPrefix(t, "float"):
		return "a number"
	}
	return "an object" // a struct
}

// jsonKindWord names the JSON value encoding/json found ("number 1.5").
func jsonKindWord(v string) string {
	kind, value, _ := strings.Cut(v, " ")
	w := map[string]string{"string": "a string", "number": "a number", "bool": "a boolean", "array": "a list", "object": "an object"}[kind]
	if w == "" {
		w = kind
	}
	if value != "" {
		w += " (" + value + ")"
	}
	return w
}
