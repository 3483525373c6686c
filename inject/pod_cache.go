package inject

import (
	"crypto/sha256"
	"encoding/json"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kinject/kinject/patch"
)

// cacheKey hashes everything an injection result depends on besides the
// Injector's own configuration: the pod without its identity fields (name,
// generateName, uid, resourceVersion, creationTimestamp), the namespace and
// the request's knobs. Pods that differ only in those fields (a workload's
// replicas) share one entry; the identity fields are put back by
// instantiate.
func (i *Injector) cacheKey(req PodRequest, ns string) ([32]byte, bool) {
	if i.cache == nil {
		return [32]byte{}, false
	}
	// A shallow copy is enough: only top-level ObjectMeta fields are
	// cleared, nothing shared is written.
	cp := *req.Pod
	p := &cp
	p.Name, p.GenerateName, p.UID, p.ResourceVersion = "", "", "", ""
	p.CreationTimestamp = metav1.Time{}
	p.ManagedFields = nil
	k := struct {
		Req       PodRequest
		Namespace string
		// The workload derived from the pod: with no controller it is the
		// pod's own name, which then matters.
		Derived    bool
		DerivedDM  string
		DerivedTM  metav1.TypeMeta
		HasGenName bool
	}{Req: req, Namespace: ns, HasGenName: req.Pod.GenerateName != ""}
	k.Req.Pod = nil
	if req.DeploymentMeta.Name == "" {
		dm, tm := deployMetaFromPod(req.Pod)
		k.Derived, k.DerivedDM, k.DerivedTM = true, dm.Name, tm
	}
	// The key is the request's JSON followed by the pod's (two complete
	// JSON documents, so the boundary is unambiguous); the pod is encoded
	// the fast way.
	b, err := json.Marshal(k)
	if err != nil {
		return [32]byte{}, false
	}
	if b, err = appendPodJSON(append(b, '\n'), p); err != nil {
		return [32]byte{}, false
	}
	return sha256.Sum256(b), true
}

// cachedPod is an injection result. Its patch is valid for every pod of
// the same key: the identity fields are equal on both sides of the diff, so
// no operation touches or mentions them.
type cachedPod struct {
	pod       *corev1.Pod
	patch     patch.Patch
	patchJSON []byte
	warnings  []string
}

func newCachedPod(res *Result, warnings []string) *cachedPod {
	c := &cachedPod{patch: res.Patch}
	return &cachedPod{
		pod:       res.Pod.DeepCopy(),
		patch:     c.patchCopy(), // the caller owns res.Patch
		patchJSON: append([]byte(nil), res.PatchJSON...),
		warnings:  append([]string(nil), warnings...),
	}
}

// instantiate returns the cached result with orig's identity fields.
func (c *cachedPod) instantiate(orig *corev1.Pod) *corev1.Pod {
	p := c.pod.DeepCopy()
	p.Name, p.GenerateName, p.UID, p.ResourceVersion = orig.Name, orig.GenerateName, orig.UID, orig.ResourceVersion
	p.CreationTimestamp = orig.CreationTimestamp
	p.ManagedFields = orig.ManagedFields
	return p
}

// resultCache is a bounded map with FIFO eviction, safe for concurrent use.
type resultCache struct {
	mu    sync.Mutex
	max   int
	m     map[[32]byte]*cachedPod
	order [][32]byte
}

func newResultCache(max int) *resultCache {
	if max < 0 {
		return nil
	}
	return &resultCache{max: max, m: make(map[[32]byte]*cachedPod, max)}
}

func (c *resultCache) get(k [32]byte) (*cachedPod, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[k]
	return v, ok
}

func (c *resultCache) put(k [32]byte, v *cachedPod) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; ok {
		return
	}
	if len(c.order) >= c.max {
		old := c.order[0]
		c.order = c.order[1:]
		delete(c.m, old)
	}
	c.m[k] = v
	c.order = append(c.order, k)
}

// patchCopy returns a copy of the cached patch that a caller may modify.
func (c *cachedPod) patchCopy() patch.Patch {
	out := make(patch.Patch, len(c.patch))
	for k, op := range c.patch {
		if op.Value != nil {
			op.Value = append(json.RawMessage(nil), op.Value...)
		}
		out[k] = op
	}
	return out
}
