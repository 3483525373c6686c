package cluster

import (
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kinject/kinject/inject"
)

// Workload is what owns running pods, at the top of their owner chain:
// Pod → ReplicaSet → Deployment, StatefulSet, DaemonSet, Job → CronJob, or
// the pod itself when nothing controls it. A ReplicaSet without a
// Deployment and a Job without a CronJob are workloads of their own; an
// owner of another kind (a ReplicationController, a custom controller's
// object) is named as its owner reference names it.
type Workload struct {
	// Kind is Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob,
	// Pod (a bare pod) or the kind an owner reference names.
	Kind string `json:"kind"`
	// Namespace is the workload's namespace.
	Namespace string `json:"namespace"`
	// Name is the workload's name.
	Name string `json:"name"`
	// Template is what its next pods are made from: the workload's pod
	// template, or for a bare pod the pod as its author wrote it (Uninject).
	// Nil when the owner is not in the dumps.
	Template *corev1.PodTemplateSpec `json:"-"`
	// JobMeta is a CronJob's spec.jobTemplate.metadata, which manual
	// injection reads instead of the pod template's.
	JobMeta *metav1.ObjectMeta `json:"-"`
	// Pods are its pods in the dumps, by name.
	Pods []*corev1.Pod `json:"-"`
}

// ID names the workload in istioctl's argument form: kind/name.namespace
// (deployment/web.shop).
func (w *Workload) ID() string {
	return strings.ToLower(w.Kind) + "/" + w.Name + "." + w.Namespace
}

// restartable reports whether `kubectl rollout restart` works on the kind.
func (w *Workload) restartable() bool {
	switch w.Kind {
	case "Deployment", "StatefulSet", "DaemonSet":
		return true
	}
	return false
}

// isJob reports whether the workload's pods run to completion.
func (w *Workload) isJob() bool { return w.Kind == "Job" || w.Kind == "CronJob" }

type objKey struct{ kind, namespace, name string }

// controllerOf returns a pod's or object's controller reference.
func controllerOf(refs []metav1.OwnerReference) *metav1.OwnerReference {
	for i := range refs {
		if refs[i].Controller != nil && *refs[i].Controller {
			return &refs[i]
		}
	}
	return nil
}

// Workloads resolves every pod's owner chain and returns the workloads,
// sorted by namespace, kind and name: those with pods in the dumps and
// those without (a Deployment scaled to zero, a CronJob between runs).
// Chains whose middle is missing from the dumps are followed as Istio
// does for a pod's workload name: a ReplicaSet named <deployment>-<pod-
// template-hash> belongs to that Deployment, a Job named <cronjob>-<8 to
// 10 digits> to that CronJob.
func (s *State) Workloads() []Workload {
	byKey := map[objKey]*Workload{}
	get := func(kind, ns, name string) *Workload {
		k := objKey{kind, ns, name}
		if w, ok := byKey[k]; ok {
			return w
		}
		w := &Workload{Kind: kind, Namespace: ns, Name: name}
		byKey[k] = w
		return w
	}
	rsOwner := map[objKey]*metav1.OwnerReference{}
	seen := map[objKey]bool{}
	for i := range s.ReplicaSets {
		rs := &s.ReplicaSets[i]
		seen[objKey{"ReplicaSet", rs.Namespace, rs.Name}] = true
		if ref := controllerOf(rs.OwnerReferences); ref != nil && ref.Kind == "Deployment" {
			rsOwner[objKey{"ReplicaSet", rs.Namespace, rs.Name}] = ref
			continue
		}
		w := get("ReplicaSet", rs.Namespace, rs.Name)
		w.Template = &rs.Spec.Template
	}
	jobOwner := map[objKey]*metav1.OwnerReference{}
	for i := range s.Jobs {
		j := &s.Jobs[i]
		seen[objKey{"Job", j.Namespace, j.Name}] = true
		if ref := controllerOf(j.OwnerReferences); ref != nil && ref.Kind == "CronJob" {
			jobOwner[objKey{"Job", j.Namespace, j.Name}] = ref
			continue
		}
		w := get("Job", j.Namespace, j.Name)
		w.Template = &j.Spec.Template
	}
	for i := range s.Deployments {
		d := &s.Deployments[i]
		get("Deployment", d.Namespace, d.Name).Template = &d.Spec.Template
	}
	for i := range s.StatefulSets {
		o := &s.StatefulSets[i]
		get("StatefulSet", o.Namespace, o.Name).Template = &o.Spec.Template
	}
	for i := range s.DaemonSets {
		o := &s.DaemonSets[i]
		get("DaemonSet", o.Namespace, o.Name).Template = &o.Spec.Template
	}
	for i := range s.CronJobs {
		o := &s.CronJobs[i]
		w := get("CronJob", o.Namespace, o.Name)
		w.Template = &o.Spec.JobTemplate.Spec.Template
		w.JobMeta = &o.Spec.JobTemplate.ObjectMeta
	}
	for i := range s.Pods {
		p := &s.Pods[i]
		ref := controllerOf(p.OwnerReferences)
		var w *Workload
		switch {
		case ref == nil:
			w = get("Pod", p.Namespace, p.Name)
			if base, err := inject.Uninject(p); err == nil {
				w.Template = &corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: base.Labels, Annotations: base.Annotations}, Spec: base.Spec}
			}
		case ref.Kind == "ReplicaSet":
			if dep, ok := rsOwner[objKey{"ReplicaSet", p.Namespace, ref.Name}]; ok {
				w = get("Deployment", p.Namespace, dep.Name)
			} else if hash := p.Labels["pod-template-hash"]; hash != "" && strings.HasSuffix(ref.Name, "-"+hash) && !seen[objKey{"ReplicaSet", p.Namespace, ref.Name}] {
				w = get("Deployment", p.Namespace, strings.TrimSuffix(ref.Name, "-"+hash))
			} else {
				w = get("ReplicaSet", p.Namespace, ref.Name)
			}
		case ref.Kind == "Job":
			if cj, ok := jobOwner[objKey{"Job", p.Namespace, ref.Name}]; ok {
				w = get("CronJob", p.Namespace, cj.Name)
			} else if k := strings.LastIndexByte(ref.Name, '-'); k > 0 && cronSuffix(ref.Name[k+1:]) && !seen[objKey{"Job", p.Namespace, ref.Name}] {
				w = get("CronJob", p.Namespace, ref.Name[:k])
			} else {
				w = get("Job", p.Namespace, ref.Name)
			}
		default:
			w = get(ref.Kind, p.Namespace, ref.Name)
		}
		w.Pods = append(w.Pods, p)
	}
	out := make([]Workload, 0, len(byKey))
	for _, w := range byKey {
		if w.Template == nil && len(w.Pods) > 0 {
			// The owner is not in the dumps: its newest pod, as written,
			// stands in for its template.
			if base, err := inject.Uninject(w.Pods[len(w.Pods)-1]); err == nil {
				w.Template = &corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: base.Labels, Annotations: base.Annotations}, Spec: base.Spec}
			}
		}
		out = append(out, *w)
	}
	sort.Slice(out, func(a, b int) bool {
		x, y := &out[a], &out[b]
		if x.Namespace != y.Namespace {
			return x.Namespace < y.Namespace
		}
		if x.Kind != y.Kind {
			return x.Kind < y.Kind
		}
		return x.Name < y.Name
	})
	return out
}

func cronSuffix(s string) bool {
	if len(s) < 8 || len(s) > 10 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// running reports whether a pod still runs (or waits to): not finished and
// not being deleted.
func running(p *corev1.Pod) bool {
	return p.DeletionTimestamp == nil && p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed
}
