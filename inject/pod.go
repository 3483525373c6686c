package inject

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kinject/kinject/internal/cache"
	"github.com/kinject/kinject/patch"
	"github.com/kinject/kinject/policy"
	"github.com/kinject/kinject/template"
	"github.com/kinject/kinject/template/meshconfig"
)

// Annotations and names the pod pipeline reads or writes.
const (
	annStatus          = template.AnnotationStatus
	annOverrides       = template.AnnotationOverrides
	annProxyConfig     = "proxy.istio.io/config"
	annTemplates       = "inject.istio.io/templates"
	annProxyImageType  = "sidecar.istio.io/proxyImageType"
	annRewriteProbes   = "sidecar.istio.io/rewriteAppHTTPProbers"
	annStatusPort      = "status.sidecar.istio.io/port"
	annUIDRange        = "openshift.io/sa.scc.uid-range"
	annSupplementalGID = "openshift.io/sa.scc.supplemental-groups"

	proxyContainer      = "istio-proxy"
	initContainer       = "istio-init"
	validationContainer = "istio-validation"
	coreDumpContainer   = "enable-core-dump"

	envClusterID = "ISTIO_META_CLUSTER_ID"
	envNetwork   = "ISTIO_META_NETWORK"
	labelNetwork = "topology.istio.io/network"
)

// ErrInvalidAnnotation is matched (errors.Is) by the error InjectPod returns
// for a pod annotation Istio would refuse (a bad port list, CIDR list,
// interception mode, quantity, boolean or proxy.istio.io/config), for one
// the templates would write unquoted that could add a field (see
// template.ValidateAnnotations), and for a corrupt status annotation of an
// injected pod. It is template.ErrInvalidAnnotation itself, so either name
// matches.
var ErrInvalidAnnotation = template.ErrInvalidAnnotation

// ErrInvalidLabel is matched (errors.Is) by the error InjectPod returns for
// a pod label the API server would refuse (see template.ValidateLabels);
// manual injection reads labels no API server has checked, and templates
// write some label values unquoted. It is template.ErrInvalidLabel itself.
var ErrInvalidLabel = template.ErrInvalidLabel

// ErrNoContainers is matched (errors.Is) by the error InjectPod returns
// for a pod (or pod template) the policy would inject that has no
// containers.
var ErrNoContainers = errors.New("no containers")

// ErrInvalidName is matched (errors.Is) by the error InjectPod returns for
// a name the templates see (namespace, pod name or generateName, owner
// reference, container, service account, workload) that does not have
// Kubernetes' syntax for it (see template.ValidateNames); the error names
// the field. It is template.ErrInvalidName itself.
var ErrInvalidName = template.ErrInvalidName

// sidecarStatus is the value of the sidecar.istio.io/status annotation, in
// Istio's field order.
type sidecarStatus struct {
	InitContainers   []string `json:"initContainers"`
	Containers       []string `json:"containers"`
	Volumes          []string `json:"volumes"`
	ImagePullSecrets []string `json:"imagePullSecrets"`
	Revision         string   `json:"revision"`
}

// InjectPod injects one pod: it decides (policy), strips a previous
// injection, renders and merges the templates, re-applies the user's
// container overrides, then does what Istio does after rendering (cluster
// and network environment, prometheus merge, probe rewrite, injected
// annotations, container order, the sidecar.istio.io/status annotation),
// validates the resources and computes the patch.
//
// A pod the policy skips is returned unchanged (a copy) with the decision
// and no error. Bad input (a nil pod, an invalid annotation, a template
// error, resources whose request exceeds the limit) is an error naming the
// pod and the field.
//
// ctx bounds the work: once it is done, InjectPod stops at the next stage
// and returns an error matching ctx.Err() (errors.Is).
func (i *Injector) InjectPod(ctx context.Context, req PodRequest) (*Result, error) {
	if i == nil {
		return nil, errors.New("inject: InjectPod called on a nil *Injector")
	}
	if req.Pod == nil {
		return nil, errors.New("inject: PodRequest.Pod is nil")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res, err := i.injectPod(ctx, req)
	if err != nil {
		return nil, prefixError(podLabel(req), err)
	}
	if req.PatchOnly {
		res.Pod = nil
	}
	return res, nil
}

// podLabel names the pod in errors: pod "ns/name" (or the generate name).
func podLabel(req PodRequest) string {
	p := req.Pod
	name := p.Name
	if name == "" && p.GenerateName != "" {
		name = p.GenerateName + "*"
	}
	ns := p.Namespace
	if ns == "" {
		ns = req.Namespace
	}
	if ns != "" {
		name = ns + "/" + name
	}
	if req.TypeMeta.Kind != "" && req.TypeMeta.Kind != "Pod" {
		if name == "" {
			return "pod template"
		}
		return fmt.Sprintf("pod template %q", name)
	}
	return fmt.Sprintf("pod %q", name)
}

func (i *Injector) injectPod(ctx context.Context, req PodRequest) (*Result, error) {
	ns := podNamespace(req)
	return i.injectDecided(ctx, req, ns, i.decide(req, ns))
}

// podNamespace is the pod's namespace, or the request's when the pod has
// none.
func podNamespace(req PodRequest) string {
	if req.Pod.Namespace != "" {
		return req.Pod.Namespace
	}
	return req.Namespace
}

// injectDecided injects req.Pod after the policy decision dec was taken (by
// this Injector, or by a Mesh for the revision it chose).
func (i *Injector) injectDecided(ctx context.Context, req PodRequest, ns string, dec policy.Decision) (*Result, error) {
	orig := req.Pod
	if !dec.Inject {
		return notInjected(req, dec), nil
	}
	res := &Result{Decision: dec}
	res.Warnings = append(res.Warnings, dec.Warnings...)

	// Kubernetes refuses a pod without containers; Istio injects one
	// silently.
	if len(orig.Spec.Containers) == 0 {
		return nil, fmt.Errorf("spec.containers: %w: a pod has at least one (Kubernetes refuses it otherwise)", ErrNoContainers)
	}
	// Names are data too: refuse any a template could read as structure.
	// This comes before the cache, whose key leaves the pod's name out.
	dm, tm := workloadOf(req, orig, ns)
	seen := template.Data{TypeMeta: tm, DeploymentMeta: dm, ObjectMeta: orig.ObjectMeta, Spec: orig.Spec}
	seen.ObjectMeta.Namespace = ns
	if err := template.ValidateNames(&seen); err != nil {
		return nil, err
	}

	// The cache lookup. Everything before it is recomputed on every call;
	// everything after it that reads a pod identity field must feed the
	// key (pod_cache.go says why the key is enough).
	names := templateNames(orig)
	var cleared identityField
	var key [32]byte
	cacheable := false
	if !req.podOnly {
		// A manifest stream's pods miss the cache (a workload's name is in
		// its key, and a stream names each workload once): it would only
		// cost the key, the size and the memory.
		cleared = idAll &^ i.readsOf(names)
		key, cacheable = i.cacheKey(req, ns, cleared)
	}
	if cacheable {
		if c, ok := i.cache.Get(key); ok && (req.PatchOnly || c.pod != nil) {
			hit := true
			if !req.PatchOnly {
				res.Pod, hit = c.instantiate(orig)
			}
			if hit {
				res.Warnings = append(res.Warnings, c.warnings...)
				if req.readOnly {
					res.Patch, res.PatchJSON = c.patch, c.patchJSON
				} else {
					res.Patch = c.patchCopy()
					res.PatchJSON = append([]byte(nil), c.patchJSON...)
				}
				return res, nil
			}
		}
	}

	// A pod injected before (the restart-to-update flow) is first returned
	// to what the user wrote.
	base := orig
	if _, ok := orig.Annotations[annStatus]; ok {
		u, err := uninjectPod(orig, false)
		if err != nil {
			return nil, err
		}
		base = u
	}
	// Annotation and label values are data: one validator (the template
	// package's) refuses any that a template would read as structure.
	if err := template.ValidateAnnotationsFor(base.Annotations, i.checks); err != nil {
		return nil, err
	}
	if err := template.ValidateLabels(base.Labels); err != nil {
		return nil, err
	}
	if i.cfg.Platform == "openshift" {
		base = dropProxyRunAsUser(base)
	}
	data, err := i.templateData(req, base, ns)
	if err != nil {
		return nil, err
	}
	if names == nil {
		names = i.defaultTemplates
	}
	// The injected pod is only read (its names), so it may share the
	// Set's remembered containers.
	applied, err := i.set.Apply(base, names, data, template.ApplyOptions{ShareInjected: true})
	if err != nil {
		return nil, err
	}
	// Rendering is most of the work; a caller that gave up (a webhook
	// whose client timed out) gets no further work done.
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	pod, injected, overrides := applied.Pod, applied.Injected, applied.Overrides
	if overrides != nil && (len(overrides.Containers) > 0 || len(overrides.InitContainers) > 0) {
		b, err := json.Marshal(overrides)
		if err != nil {
			return nil, err
		}
		setAnnotation(&pod.ObjectMeta, annOverrides, string(b))
	}
	adjustInitUser(pod, base, data.ProxyConfig)
	if err := i.postProcess(pod, injected, base, data); err != nil {
		return nil, err
	}
	warnings, err := template.ValidateResourcesFor(pod, touchedContainers(base, injected, pod))
	if err != nil {
		attributeResources(err, base.Annotations, injected)
		return nil, err
	}
	warnings = append(warnings, annotationClampWarnings(base.Annotations)...)
	if !req.Manual {
		// Manual injection names them in the whole manifest, as read.
		warnings = append(warnings, containerClampWarnings(orig)...)
	}
	res.Warnings = append(res.Warnings, warnings...)
	res.Pod = pod
	if req.podOnly {
		return res, nil
	}
	if err := i.finishPatch(res, orig); err != nil {
		return nil, err
	}
	if cacheable && carriesThrough(orig, res, applied.MetadataWritten, cleared) {
		c := newCachedPod(res, warnings, cleared, !req.PatchOnly, req.readOnly)
		i.cache.Put(key, c, cache.SizeOf(c))
	}
	return res, nil
}

// notInjected is the result for a pod the policy skips: the pod unchanged
// (a copy, unless the request wants the patch only) and an empty patch.
func notInjected(req PodRequest, dec policy.Decision) *Result {
	res := &Result{Decision: dec, Patch: patch.Patch{}, PatchJSON: []byte("[]")}
	res.Warnings = append(res.Warnings, dec.Warnings...)
	if !req.PatchOnly {
		res.Pod = req.Pod.DeepCopy()
	}
	return res
}

// decide takes the policy decision: stage B (the injector's own rules) for
// a webhook and for manual injection without namespace labels (what
// istioctl kube-inject does), the full decision (webhook selectors, then
// stage B) for manual injection with namespace labels.
func (i *Injector) decide(req PodRequest, ns string) policy.Decision {
	t := policy.Target{
		Namespace:       ns,
		NamespaceLabels: req.NamespaceLabels,
		Labels:          req.Pod.Labels,
		Annotations:     req.Pod.Annotations,
		HostNetwork:     req.Pod.Spec.HostNetwork,
	}
	if req.Manual && req.NamespaceLabels != nil {
		return i.mesh.Decide(t)
	}
	return i.stageB(t)
}

// templateData builds what the templates see.
func (i *Injector) templateData(req PodRequest, pod *corev1.Pod, ns string) (*template.Data, error) {
	pc := i.mesh0.GetDefaultConfig()
	if v, ok := pod.Annotations[annProxyConfig]; ok {
		var err error
		pc, err = meshconfig.MergeProxyConfig(pc, []byte(v))
		if err != nil {
			return nil, fmt.Errorf("%w %s: %w", ErrInvalidAnnotation, annProxyConfig, err)
		}
	}
	meta := pod.ObjectMeta.DeepCopy()
	if meta.Namespace == "" {
		meta.Namespace = ns
	}
	if meta.Annotations == nil {
		meta.Annotations = map[string]string{}
	}
	if meta.Labels == nil {
		meta.Labels = map[string]string{}
	}
	dm, tm := workloadOf(req, pod, ns)
	d := &template.Data{
		TypeMeta:                 tm,
		DeploymentMeta:           dm,
		ObjectMeta:               *meta,
		Spec:                     pod.Spec,
		Values:                   i.cfg.Values,
		Revision:                 i.cfg.Revision,
		NativeSidecars:           i.cfg.NativeSidecars,
		InboundTrafficPolicyMode: i.mesh0.InboundMode(),
		CompliancePolicy:         i.cfg.CompliancePolicy,
		MeshConfig:               i.mesh0,
		ProxyConfig:              pc,
	}
	d.ProxyImage, d.ProxyInitImage = i.images(pod.Annotations, pc)
	if i.cfg.Platform == "openshift" {
		nsAnn := req.NamespaceAnnotations
		if nsAnn == nil {
			nsAnn = i.cfg.Namespaces[ns].Annotations
		}
		uid, gid, err := openshiftIDs(nsAnn)
		if err != nil {
			return nil, err
		}
		d.ProxyUID, d.ProxyGID = uid, gid
	}
	return d, nil
}

// workloadOf is the workload the templates see as DeploymentMeta and
// TypeMeta: the request's, or the one the pod's owner references name.
func workloadOf(req PodRequest, pod *corev1.Pod, ns string) (types.NamespacedName, metav1.TypeMeta) {
	dm, tm := req.DeploymentMeta, req.TypeMeta
	if dm.Name == "" && (tm.Kind == "" || tm.Kind == "Pod") {
		dm, tm = deployMetaFromPod(pod)
	}
	if tm.Kind == "" {
		tm = metav1.TypeMeta{Kind: "Pod", APIVersion: "v1"}
	}
	if dm.Namespace == "" {
		dm.Namespace = ns
	}
	return dm, tm
}

// deployMetaFromPod derives the owning workload and its kind from a
// generated pod's controller reference, as Istio does: a ReplicaSet's pod
// with a matching pod-template-hash label belongs to the Deployment, a
// ReplicationController's pod with a deploymentconfig label to the OpenShift
// DeploymentConfig, and a Job's pod whose Job is named
// <name>-<8 to 10 digits> to the CronJob <name>. Otherwise the workload is
// the pod itself.
func deployMetaFromPod(pod *corev1.Pod) (types.NamespacedName, metav1.TypeMeta) {
	dm := types.NamespacedName{Namespace: pod.Namespace, Name: pod.Name}
	tm := metav1.TypeMeta{Kind: "Pod", APIVersion: "v1"}
	if pod.GenerateName != "" {
		for _, ref := range pod.OwnerReferences {
			if ref.Controller == nil || !*ref.Controller {
				continue
			}
			tm = metav1.TypeMeta{Kind: ref.Kind, APIVersion: ref.APIVersion}
			dm.Name = ref.Name
			hash := pod.Labels["pod-template-hash"]
			switch {
			case ref.Kind == "ReplicaSet" && hash != "" && strings.HasSuffix(ref.Name, hash):
				dm.Name = strings.TrimSuffix(ref.Name, "-"+hash)
				tm.Kind = "Deployment"
			case ref.Kind == "ReplicationController" && pod.Labels["deploymentconfig"] != "":
				dm.Name = pod.Labels["deploymentconfig"]
				tm.Kind = "DeploymentConfig"
			case ref.Kind == "Job":
				if k := strings.LastIndexByte(ref.Name, '-'); k > 0 && isDigits(ref.Name[k+1:]) && len(ref.Name)-k-1 >= 8 && len(ref.Name)-k-1 <= 10 {
					dm.Name = ref.Name[:k]
					tm = metav1.TypeMeta{Kind: "CronJob", APIVersion: "batch/v1"}
				}
			}
			break
		}
	}
	if dm.Name == "" {
		dm.Name = pod.Name
	}
	return dm, tm
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func setAnnotation(m *metav1.ObjectMeta, k, v string) {
	if m.Annotations == nil {
		m.Annotations = map[string]string{}
	}
	m.Annotations[k] = v
}

// adjustInitUser makes the traffic-capture init container agree with a
// user's own istio-proxy that sets runAsUser or runAsGroup, as Istio does:
// istio-iptables' "-u" argument takes the user's non-zero UID; without
// TPROXY an istio-validation container runs as the user's UID and GID; with
// TPROXY the proxy must keep running as root, so its runAsUser is reset
// to 0.
func adjustInitUser(pod, user *corev1.Pod, pc *meshconfig.ProxyConfig) {
	uc := findProxy(&user.Spec)
	if uc == nil || uc.SecurityContext == nil || (uc.SecurityContext.RunAsUser == nil && uc.SecurityContext.RunAsGroup == nil) {
		return
	}
	var ic *corev1.Container
	for _, name := range []string{initContainer, validationContainer} {
		for k := range pod.Spec.InitContainers {
			if ic == nil && pod.Spec.InitContainers[k].Name == name {
				ic = &pod.Spec.InitContainers[k]
			}
		}
	}
	if ic == nil {
		return
	}
	tproxy := pc.GetInterceptionMode() == meshconfig.InterceptionTProxy || pod.Annotations["sidecar.istio.io/interceptionMode"] == "TPROXY"
	if tproxy && uc.SecurityContext.RunAsUser != nil {
		if proxy := findProxy(&pod.Spec); proxy != nil && proxy.SecurityContext != nil {
			zero := int64(0)
			proxy.SecurityContext.RunAsUser = &zero
		}
	}
	if !tproxy && ic.Name == validationContainer {
		if ic.SecurityContext == nil {
			ic.SecurityContext = &corev1.SecurityContext{}
		}
		if uc.SecurityContext.RunAsUser != nil {
			v := *uc.SecurityContext.RunAsUser
			ic.SecurityContext.RunAsUser = &v
		}
		if uc.SecurityContext.RunAsGroup != nil {
			v := *uc.SecurityContext.RunAsGroup
			ic.SecurityContext.RunAsGroup = &v
		}
	}
	if uc.SecurityContext.RunAsUser == nil || *uc.SecurityContext.RunAsUser == 0 {
		return
	}
	for k := 0; k+1 < len(ic.Args); k++ {
		if ic.Args[k] == "-u" {
			ic.Args[k+1] = strconv.FormatInt(*uc.SecurityContext.RunAsUser, 10)
			return
		}
	}
}

// dropProxyRunAsUser returns pod without the runAsUser of the user's own
// istio-proxy container: on OpenShift the namespace's UID range decides the
// proxy's user, as Istio does (the override is neither applied nor
// recorded). pod is not modified.
func dropProxyRunAsUser(pod *corev1.Pod) *corev1.Pod {
	var out *corev1.Pod
	for _, init := range []bool{false, true} {
		cs := pod.Spec.Containers
		if init {
			cs = pod.Spec.InitContainers
		}
		for k := range cs {
			if cs[k].Name != proxyContainer || cs[k].SecurityContext == nil || cs[k].SecurityContext.RunAsUser == nil {
				continue
			}
			if out == nil {
				out = pod.DeepCopy()
			}
			if init {
				out.Spec.InitContainers[k].SecurityContext.RunAsUser = nil
			} else {
				out.Spec.Containers[k].SecurityContext.RunAsUser = nil
			}
		}
	}
	if out == nil {
		return pod
	}
	return out
}

// findProxy returns the istio-proxy container, in containers or (native
// sidecar) initContainers.
func findProxy(spec *corev1.PodSpec) *corev1.Container {
	for k := range spec.Containers {
		if spec.Containers[k].Name == proxyContainer {
			return &spec.Containers[k]
		}
	}
	for k := range spec.InitContainers {
		if spec.InitContainers[k].Name == proxyContainer {
			return &spec.InitContainers[k]
		}
	}
	return nil
}

// touchedContainers reports, for the resource warnings, the containers the
// injection added or changed: those the templates produced (the user's own
// istio-proxy overrides included, the seed's "set proxyCPULimit too"
// case), those the user did not write, and those whose resources differ
// from what the user wrote. An application container left without limits
// is the user's decision and is not warned about on every pod; resource
// errors (a request above its limit) are still reported for every
// container, since the API server would refuse the pod.
//
// The containers are looked up by name in maps built once, so the check is
// linear in the containers (issue 10 item 3).
func touchedContainers(base, injected, pod *corev1.Pod) func(string) bool {
	inj, was, is := containersByName(&injected.Spec), containersByName(&base.Spec), containersByName(&pod.Spec)
	return func(name string) bool {
		if inj[name] != nil {
			return true
		}
		before, after := was[name], is[name]
		return before == nil || after == nil || !sameResources(&before.Resources, &after.Resources)
	}
}

// containersByName maps each name to what findContainer returns for it.
func containersByName(spec *corev1.PodSpec) map[string]*corev1.Container {
	m := make(map[string]*corev1.Container, len(spec.InitContainers)+len(spec.Containers))
	for _, list := range [2][]corev1.Container{spec.InitContainers, spec.Containers} {
		for k := range list {
			if _, seen := m[list[k].Name]; !seen {
				m[list[k].Name] = &list[k]
			}
		}
	}
	return m
}

// findContainer returns the container or init container called name.
func findContainer(spec *corev1.PodSpec, name string) *corev1.Container {
	for _, list := range [2][]corev1.Container{spec.InitContainers, spec.Containers} {
		for k := range list {
			if list[k].Name == name {
				return &list[k]
			}
		}
	}
	return nil
}

// sameResources compares resource requirements by quantity value ("1" and
// "1000m" are the same request).
func sameResources(a, b *corev1.ResourceRequirements) bool {
	return sameQuantities(a.Requests, b.Requests) && sameQuantities(a.Limits, b.Limits) &&
		(len(a.Claims) == 0 && len(b.Claims) == 0 || equality.Semantic.DeepEqual(a.Claims, b.Claims))
}

func sameQuantities(a, b corev1.ResourceList) bool {
	if len(a) != len(b) {
		return false
	}
	for k, q := range a {
		if r, ok := b[k]; !ok || q.Cmp(r) != 0 {
			return false
		}
	}
	return true
}

// postProcess does what Istio does to the merged pod after the templates.
func (i *Injector) postProcess(pod, injected, base *corev1.Pod, d *template.Data) error {
	if pod.Annotations == nil {
		pod.Annotations = map[string]string{}
	}
	if pod.Labels == nil {
		pod.Labels = map[string]string{}
	}
	// The pod's cluster and network: the webhook's (Config.ClusterID and
	// Network) over values.global.multiCluster.clusterName and
	// values.global.network, and the pod's own topology.istio.io/network
	// label over both. As Istio does, the known ones are moved to the end of
	// the proxy's env (ISTIO_META_CLUSTER_ID, then ISTIO_META_NETWORK) and
	// the network labels the pod.
	cluster := i.cfg.ClusterID
	if cluster == "" {
		cluster = valueString(i.cfg.Values, "global", "multiCluster", "clusterName")
	}
	network := i.cfg.Network
	if network == "" {
		network = valueString(i.cfg.Values, "global", "network")
	}
	if n, ok := pod.Labels[labelNetwork]; ok {
		network = n
	}
	if network != "" {
		pod.Labels[labelNetwork] = network
	}
	if proxy := findProxy(&pod.Spec); proxy != nil {
		for _, e := range []struct{ name, value string }{{envClusterID, cluster}, {envNetwork, network}} {
			if e.value != "" {
				removeEnv(proxy, e.name)
			}
		}
		for _, e := range []struct{ name, value string }{{envClusterID, cluster}, {envNetwork, network}} {
			if e.value != "" {
				proxy.Env = append(proxy.Env, corev1.EnvVar{Name: e.name, Value: e.value})
			}
		}
	}
	statusPort := i.mesh0.GetDefaultConfig().GetStatusPort()
	if err := i.prometheusMerge(pod, statusPort); err != nil {
		return err
	}
	if err := i.rewriteProbes(pod, statusPort); err != nil {
		return err
	}
	for _, k := range sortedKeys(i.cfg.InjectedAnnotations) {
		pod.Annotations[k] = i.cfg.InjectedAnnotations[k]
	}
	st := sidecarStatus{Revision: i.cfg.Revision}
	if st.Revision == "" {
		st.Revision = "default"
	}
	for _, c := range injected.Spec.InitContainers {
		st.InitContainers = append(st.InitContainers, c.Name)
	}
	for _, c := range injected.Spec.Containers {
		st.Containers = append(st.Containers, c.Name)
	}
	for _, v := range injected.Spec.Volumes {
		st.Volumes = append(st.Volumes, v.Name)
	}
	for _, s := range injected.Spec.ImagePullSecrets {
		st.ImagePullSecrets = append(st.ImagePullSecrets, s.Name)
	}
	b, err := appendJSON(make([]byte, 0, 256), st)
	if err != nil {
		return err
	}
	pod.Annotations[annStatus] = string(b)
	i.reorder(pod, d.ProxyConfig)
	return nil
}

func removeEnv(c *corev1.Container, name string) {
	out := c.Env[:0]
	for _, e := range c.Env {
		if e.Name != name {
			out = append(out, e)
		}
	}
	c.Env = out
}

func setEnv(c *corev1.Container, name, value string) {
	for k := range c.Env {
		if c.Env[k].Name == name {
			c.Env[k].Value = value
			c.Env[k].ValueFrom = nil
			return
		}
	}
	c.Env = append(c.Env, corev1.EnvVar{Name: name, Value: value})
}

// reorder puts istio-proxy last among containers (first when the proxy
// holds the application until it starts) and, for a native sidecar, the
// init containers as istio-init, istio-validation, istio-proxy,
// enable-core-dump, then the pod's own; otherwise istio-validation first and
// istio-init, enable-core-dump last.
func (i *Injector) reorder(pod *corev1.Pod, pc *meshconfig.ProxyConfig) {
	hold := pc.GetHoldApplicationUntilProxyStarts().GetValue() || valueBool(i.cfg.Values, "global", "proxy", "holdApplicationUntilProxyStarts")
	if hold {
		pod.Spec.Containers = moveContainer(pod.Spec.Containers, proxyContainer, true)
	} else {
		pod.Spec.Containers = moveContainer(pod.Spec.Containers, proxyContainer, false)
	}
	ic := pod.Spec.InitContainers
	native := false
	for _, c := range ic {
		if c.Name == proxyContainer {
			native = true
		}
	}
	if native {
		ic = moveContainer(ic, coreDumpContainer, true)
		ic = moveContainer(ic, proxyContainer, true)
		ic = moveContainer(ic, validationContainer, true)
		ic = moveContainer(ic, initContainer, true)
	} else {
		ic = moveContainer(ic, validationContainer, true)
		ic = moveContainer(ic, initContainer, false)
		ic = moveContainer(ic, coreDumpContainer, false)
	}
	pod.Spec.InitContainers = ic
}

func moveContainer(cs []corev1.Container, name string, first bool) []corev1.Container {
	idx := -1
	for k := range cs {
		if cs[k].Name == name {
			idx = k
			break
		}
	}
	if idx < 0 || first && idx == 0 || !first && idx == len(cs)-1 {
		return cs // absent, or in its place already
	}
	out := make([]corev1.Container, 0, len(cs))
	if first {
		out = append(out, cs[idx])
	}
	out = append(append(out, cs[:idx]...), cs[idx+1:]...)
	if !first {
		out = append(out, cs[idx])
	}
	return out
}

// valueBool reads a bool at path in the values tree (false when absent).
func valueBool(v map[string]any, path ...string) bool {
	x, ok := valueAt(v, path...)
	if !ok {
		return false
	}
	switch b := x.(type) {
	case bool:
		return b
	case string:
		return b == "true"
	}
	return false
}

// valueString reads a scalar at path in the values tree as a string.
func valueString(v map[string]any, path ...string) string {
	x, ok := valueAt(v, path...)
	if !ok || x == nil {
		return ""
	}
	switch s := x.(type) {
	case string:
		return s
	case float64:
		return fmt.Sprint(s)
	default:
		return fmt.Sprint(s)
	}
}

func valueAt(v map[string]any, path ...string) (any, bool) {
	var cur any = v
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		cur, ok = m[p]
		if !ok {
			return nil, false
		}
	}
	return cur, true
}
