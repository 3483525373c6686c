package inject

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"

	"github.com/kinject/kinject/policy"
)

// Mesh injects pods the way a cluster with several control-plane revisions
// does: it decides which webhook the API server would call (from the
// installed MutatingWebhookConfigurations when given, else from the
// webhooks Istio installs for the revisions and their tags), then lets that
// revision's Injector apply its own policy and templates. Like Injector it
// is immutable and safe for concurrent use.
//
// Build one with NewMesh from one Config per revision, or load a cluster's
// whole state from kubectl's output with the inject/cluster package.
type Mesh struct {
	revs       map[string]*Injector // by policy revision name ("" revisionless)
	names      []string             // revision names, sorted
	mesh       policy.Mesh
	decider    *policy.Decider
	namespaces map[string]NamespaceMeta
}

// MeshOptions are the cluster-wide inputs of NewMesh.
type MeshOptions struct {
	// Webhooks are the MutatingWebhookConfigurations as installed (see
	// policy.Mesh.Webhooks). Nil means the webhooks Istio installs for each
	// revision and its Config.Tags.
	Webhooks []admissionregistrationv1.MutatingWebhookConfiguration
	// Namespaces are the cluster's namespaces. A request that carries no
	// namespace labels (an AdmissionReview never does) is decided with
	// these; a namespace missing here is taken to have no labels.
	Namespaces map[string]NamespaceMeta
}

// NewMesh builds a Mesh from one Config per installed revision (each
// Config.Revision distinct; "" or "default" is the revisionless install)
// and the cluster-wide options. Every Config is validated and prepared as
// New does; an error names the revision and matches ErrConfig.
func NewMesh(revisions []*Config, opts MeshOptions) (*Mesh, error) {
	m := &Mesh{revs: map[string]*Injector{}, namespaces: opts.Namespaces}
	var errs []error
	for k, cfg := range revisions {
		if cfg == nil {
			errs = append(errs, fmt.Errorf("%w: revisions[%d]: nil Config", ErrConfig, k))
			continue
		}
		inj, err := New(cfg)
		if err != nil {
			errs = append(errs, fmt.Errorf("revision %q: %w", revisionLabel(cfg.Revision), err))
			continue
		}
		name := inj.rev.Name
		if _, dup := m.revs[name]; dup {
			errs = append(errs, fmt.Errorf("%w: revision %q is given twice", ErrConfig, revisionLabel(name)))
			continue
		}
		m.revs[name] = inj
		m.names = append(m.names, name)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	sort.Strings(m.names)
	m.mesh = policy.Mesh{Webhooks: opts.Webhooks}
	for _, name := range m.names {
		m.mesh.Revisions = append(m.mesh.Revisions, m.revs[name].rev)
	}
	dec, err := m.mesh.Compile()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	m.decider = dec
	return m, nil
}

// Revisions lists the installed revisions' names, sorted ("" is the
// revisionless install).
func (m *Mesh) Revisions() []string { return append([]string(nil), m.names...) }

// Revision returns the Injector of one revision ("" or "default" for the
// revisionless install).
func (m *Mesh) Revision(name string) (*Injector, bool) {
	if name == "default" {
		name = ""
	}
	inj, ok := m.revs[name]
	return inj, ok
}

// Policy returns the policy.Mesh the Mesh decides with: each revision's
// injector settings and tags, and the installed webhooks. It is a copy of
// the top-level slices; treat the rest as read-only.
func (m *Mesh) Policy() policy.Mesh {
	return policy.Mesh{
		Revisions: append([]policy.Revision(nil), m.mesh.Revisions...),
		Webhooks:  append([]admissionregistrationv1.MutatingWebhookConfiguration(nil), m.mesh.Webhooks...),
	}
}

// Decider returns the prepared policy decider of the Mesh (see Policy).
func (m *Mesh) Decider() *policy.Decider { return m.decider }

// withNamespace fills req's namespace labels and annotations from the
// Mesh's namespaces when the request has none.
func (m *Mesh) withNamespace(req PodRequest) PodRequest {
	ns := decisionNamespace(req)
	meta, ok := m.namespaces[ns]
	if !ok {
		return req
	}
	if req.NamespaceLabels == nil {
		req.NamespaceLabels = meta.Labels
	}
	if req.NamespaceAnnotations == nil {
		req.NamespaceAnnotations = meta.Annotations
	}
	return req
}

// decisionNamespace is where req's pod will run: its own namespace, the
// request's, or for a workload's pod template (which carries none) the
// workload's.
func decisionNamespace(req PodRequest) string {
	if ns := podNamespace(req); ns != "" {
		return ns
	}
	return req.DeploymentMeta.Namespace
}

// route takes the full decision for req and returns the injector of the
// revision it names.
func (m *Mesh) route(req PodRequest, _ string) (policy.Decision, *Injector) {
	d := m.decider.Decide(policy.Target{
		Namespace:       decisionNamespace(req),
		NamespaceLabels: req.NamespaceLabels,
		Labels:          req.Pod.Labels,
		Annotations:     req.Pod.Annotations,
		HostNetwork:     req.Pod.Spec.HostNetwork,
	})
	if !d.Inject {
		return d, nil
	}
	return d, m.revs[d.Revision]
}

// Decide returns the policy decision for req.Pod: the webhook the API
// server would call and that revision's injector's verdict. Namespace
// labels come from req, else from MeshOptions.Namespaces.
func (m *Mesh) Decide(req PodRequest) (policy.Decision, error) {
	if req.Pod == nil {
		return policy.Decision{}, errors.New("inject: PodRequest.Pod is nil")
	}
	req = m.withNamespace(req)
	d, _ := m.route(req, podNamespace(req))
	return d, nil
}

// InjectPod injects req.Pod as the cluster would: the decision is always
// the full one (webhook selectors, then the chosen revision's injector),
// whatever req.Manual says, with namespace labels and annotations from req
// or else from MeshOptions.Namespaces. A pod no revision injects is
// returned unchanged (a copy) with the decision. Errors are InjectPod's.
func (m *Mesh) InjectPod(ctx context.Context, req PodRequest) (*Result, error) {
	if m == nil {
		return nil, errors.New("inject: InjectPod called on a nil *Mesh")
	}
	if req.Pod == nil {
		return nil, errors.New("inject: PodRequest.Pod is nil")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	req = m.withNamespace(req)
	ns := podNamespace(req)
	d, inj := m.route(req, ns)
	switch {
	case !d.Inject:
		return notInjected(req, d), nil
	case inj == nil: // Compile rules this out: every decided revision is one of m's
		return nil, fmt.Errorf("%s: revision %q is not installed", podLabel(req), revisionLabel(d.Revision))
	}
	res, err := inj.injectDecided(ctx, req, ns, d)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", podLabel(req), err)
	}
	if req.PatchOnly {
		res.Pod = nil
	}
	return res, nil
}

// CheckStale tells whether a running pod's sidecar is what the cluster
// would inject now: the pod is decided as it would be created again (see
// Injector.CheckStale), which may route it to another revision than the
// one that injected it.
func (m *Mesh) CheckStale(ctx context.Context, req PodRequest) (Staleness, error) {
	if m == nil {
		return Staleness{}, errors.New("inject: CheckStale called on a nil *Mesh")
	}
	if req.Pod == nil {
		return Staleness{}, errors.New("inject: CheckStale: nil pod")
	}
	return checkStale(ctx, m.withNamespace(req), m.route)
}

// Review answers an AdmissionReview as Injector.Review does, for a webhook
// serving every revision: the namespace's labels come from
// MeshOptions.Namespaces, and a pod no webhook selects is allowed
// untouched.
func (m *Mesh) Review(ctx context.Context, body []byte) ([]byte, error) {
	if m == nil {
		return nil, errors.New("inject: Review called on a nil *Mesh")
	}
	review, resp, err := reviewWith(ctx, m, body)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return respond(review.TypeMeta, resp)
}

// InjectManifests injects every pod template of a YAML stream as
// Injector.InjectManifests does, each routed to the revision the cluster
// would use for it; opts.NamespaceLabels are the labels of the namespace
// the manifests are applied to (else a workload's own namespace is looked
// up in MeshOptions.Namespaces).
func (m *Mesh) InjectManifests(ctx context.Context, in []byte, opts ManifestOptions) (*ManifestResult, error) {
	var out bytes.Buffer
	out.Grow(len(in) * 4)
	res, err := m.InjectManifestStream(ctx, bytes.NewReader(in), &out, opts)
	if res != nil {
		res.Output = out.Bytes()
	}
	return res, err
}

// manifestRelease is the newest release among the revisions: a Mesh's
// manual-injection output follows one format for the whole stream.
func (m *Mesh) manifestRelease() policy.Release {
	var newest policy.Release
	for k, name := range m.names {
		r := m.revs[name].cfg.Release
		if k == 0 || newest.Compare(r) < 0 {
			newest = r
		}
	}
	return newest
}

// InjectManifestStream is InjectManifests over a reader and a writer, with
// memory bounded by the largest document. The output's format follows the
// newest release among the revisions (Config.Release).
func (m *Mesh) InjectManifestStream(ctx context.Context, r io.Reader, w io.Writer, opts ManifestOptions) (*ManifestResult, error) {
	if m == nil {
		return nil, errors.New("inject: InjectManifests called on a nil *Mesh")
	}
	return injectManifestStream(ctx, m, r, w, opts)
}
