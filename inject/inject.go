package inject

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kinject/kinject/internal/cache"
	"github.com/kinject/kinject/internal/codec"
	"github.com/kinject/kinject/patch"
	"github.com/kinject/kinject/policy"
	"github.com/kinject/kinject/template"
	"github.com/kinject/kinject/template/meshconfig"
)

// Injector injects pods. It is immutable and safe for concurrent use; its
// only mutable part is an internal cache of recent results, bounded by
// Config.CacheBytes, that never changes what it returns (see pod_cache.go
// for why).
type Injector struct {
	cfg              Config
	set              *template.Set
	mesh0            *meshconfig.MeshConfig
	rev              policy.Revision
	required         func(policy.Target) policy.Decision // rev's stage B, compiled once
	mesh             *policy.Decider
	defaultTemplates []string
	checks           template.AnnotationChecks // the release's annotation checks
	cache            *cache.Cache[[32]byte, *cachedPod]
	// tmplReads are the identity fields each template may read;
	// defaultReads those of defaultTemplates.
	tmplReads    map[string]identityField
	defaultReads identityField
}

// New validates cfg and prepares an Injector: templates are parsed and
// selectors compiled once. cfg is copied; later changes to it do not affect
// the Injector. An error matches ErrConfig and names the field.
func New(cfg *Config) (*Injector, error) {
	if cfg == nil {
		return nil, fmt.Errorf("%w: nil Config", ErrConfig)
	}
	c := *cfg
	if err := c.validate(); err != nil {
		return nil, err
	}
	if len(c.Templates) == 0 {
		return nil, fmt.Errorf("%w: inject config: no templates", ErrConfig)
	}
	set, err := template.Parse(c.Templates, template.Options{Aliases: c.Aliases, Env: templateEnv(&c)})
	if err != nil {
		return nil, fmt.Errorf("%w: inject config: templates: %w", ErrConfig, err)
	}
	mesh := c.Mesh
	if mesh == nil {
		mesh = meshconfig.DefaultMeshConfig()
	}
	// The values are the Injector's own (a caller changing its map later
	// changes nothing), and the same map for every pod, so the templates
	// can be specialised to them.
	c.Values = codec.CopyMap(c.Values)
	set = set.Specialize(&template.Data{
		Values:                   c.Values,
		Revision:                 c.Revision,
		NativeSidecars:           c.NativeSidecars,
		InboundTrafficPolicyMode: mesh.InboundMode(),
		CompliancePolicy:         c.CompliancePolicy,
		MeshConfig:               mesh,
		ProxyConfig:              mesh.GetDefaultConfig(),
	})
	rev := policy.Revision{
		Name:                      c.Revision,
		Tags:                      c.Tags,
		Policy:                    c.Policy,
		AlwaysInjectSelector:      c.AlwaysInjectSelector,
		NeverInjectSelector:       c.NeverInjectSelector,
		EnableNamespacesByDefault: c.EnableNamespacesByDefault,
		IgnoredNamespaces:         c.IgnoredNamespaces,
		Release:                   c.Release,
	}
	if rev.Name == "default" {
		// Istio's test and istioctl --revision default mean the
		// revisionless install.
		rev.Name = ""
	}
	dec, err := policy.Mesh{Revisions: []policy.Revision{rev}}.Compile()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	i := &Injector{
		cfg:              c,
		set:              set,
		mesh0:            mesh,
		rev:              rev,
		required:         rev.CompileRequired(),
		mesh:             dec,
		defaultTemplates: c.defaultTemplates(),
		checks:           annotationChecks(c.Release),
		cache:            newResultCache(c.CacheBytes),
		tmplReads:        identityReads(set),
	}
	i.defaultReads = i.readsOf(i.defaultTemplates)
	return i, nil
}

// stageB is the injector's own decision (Istio's injectRequired).
func (i *Injector) stageB(t policy.Target) policy.Decision { return i.required(t) }

// PodRequest is one pod to inject and what surrounds it.
type PodRequest struct {
	// Pod is the pod (or a workload's pod template as a pod). It is not modified.
	Pod *corev1.Pod
	// TypeMeta is the kind of the object the pod came from (a Deployment's
	// for its pod template in manual injection, Pod in a webhook).
	TypeMeta metav1.TypeMeta
	// DeploymentMeta names the owning workload. When zero it is derived from
	// the pod's owner references and name.
	DeploymentMeta types.NamespacedName
	// Namespace is used when the pod's own namespace is empty (a webhook's
	// AdmissionRequest.namespace).
	Namespace string
	// NamespaceLabels and NamespaceAnnotations describe the pod's namespace.
	// The annotations carry OpenShift's UID and group ranges
	// (Config.Platform "openshift").
	NamespaceLabels, NamespaceAnnotations map[string]string
	// PatchOnly says the caller needs only the decision, the patch and the
	// warnings (a webhook): Result.Pod is then nil, which spares a deep copy
	// of the injected pod when the result comes from the cache.
	PatchOnly bool
	// Manual selects manual injection (kube-inject). With NamespaceLabels
	// set, the full policy decision is taken, including what a webhook's
	// selectors would do; without, only the injector's own rules decide, as
	// istioctl kube-inject does.
	Manual bool
	// podOnly says the caller needs only Result.Pod, the decision and the
	// warnings (a manifest stream, injectObject): no patch is computed
	// (Result.Patch and PatchJSON stay nil) and the result cache is
	// neither read nor written.
	podOnly bool
	// readOnly says the caller only reads Result.Patch and PatchJSON and
	// hands neither on (Review, which encodes PatchJSON into its answer):
	// they may then be the result cache's own memory, which nothing
	// modifies, instead of copies of it.
	readOnly bool
}

// Result is the outcome of injecting one pod.
type Result struct {
	// Pod is the injected pod, or a copy of the input when not injected;
	// nil when the request asked for PatchOnly.
	Pod *corev1.Pod
	// Patch turns the input pod into Pod (empty when not injected).
	Patch patch.Patch
	// PatchJSON is Patch encoded as JSON, ready for an AdmissionResponse
	// ("[]" when empty). A repeat of a cached pod gets it without encoding.
	PatchJSON []byte
	// Decision says whether and why the pod was injected.
	Decision policy.Decision
	// Warnings are non-fatal findings (deprecated or ambiguous settings,
	// unbounded resources).
	Warnings []string
}

// finishPatch computes the RFC 6902 patch from orig to res.Pod, aligning
// lists by their Kubernetes merge keys: patch.DiffPodValues, which diffs the
// typed pods member by member and encodes only what changed (it is
// patch.DiffPod of the two pods' JSON, and declines to it, under
// kinject_reference too).
func (i *Injector) finishPatch(res *Result, orig *corev1.Pod) error {
	before, after := elideUnchanged(orig, res.Pod)
	if before == nil || after == nil {
		return errNilPod
	}
	p, body, err := patch.DiffPodValues(before, after)
	if err != nil {
		return fmt.Errorf("computing patch: %w", err)
	}
	res.Patch = p
	if res.PatchJSON, err = encodePatch(p, body); err != nil {
		return fmt.Errorf("encoding patch: %w", err)
	}
	return nil
}

// encodePatch gives json.Marshal(p)'s bytes, given body, p's MarshalJSON
// bytes. Patch.MarshalJSON writes compact JSON, which json.Marshal then
// validates and compacts again with HTML escaping: a third of a hello pod's
// patch encoding, 0.44 M of a cold Review's 3.9 M instructions
// (BenchmarkMarshalSidecar against BenchmarkMarshalSidecarJSON, callgrind).
// The fast path skips that pass unless the text holds a byte it would escape
// (<, >, & or the first byte of U+2028 and U+2029), which only hostile keys
// in a path bring; it declines under kinject_reference.
// TestEncodePatchMatchesJSON holds it to json.Marshal.
func encodePatch(p patch.Patch, body []byte) ([]byte, error) {
	if !codec.Fast {
		return json.Marshal(p)
	}
	if body == nil {
		var err error
		if body, err = p.MarshalJSON(); err != nil {
			return nil, err
		}
	}
	// One vectorised pass a byte (IndexByte) rather than four tests on
	// every byte of the body.
	for _, c := range [...]byte{'<', '>', '&', 0xe2} {
		if bytes.IndexByte(body, c) >= 0 {
			return json.Marshal(p)
		}
	}
	return body, nil
}

var errNilPod = errors.New("nil pod")

func marshalPod(p *corev1.Pod) ([]byte, error) {
	if p == nil {
		return nil, errNilPod
	}
	return jsonMarshal(p)
}
