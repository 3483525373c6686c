package cluster

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kinject/kinject/inject"
	"github.com/kinject/kinject/policy"
)

// Verification is the guides' last step, "check that every pod shows 2/2
// READY", done from the dumps: every running pod that should have the
// sidecar has it, from the intended revision.
type Verification struct {
	// Pods are the running pods the options select, by namespace and
	// name.
	Pods []PodCheck `json:"pods"`
	// Total counts them.
	Total int `json:"total"`
	// OK counts those as intended (PodCheck.OK).
	OK int `json:"ok"`
	// Injected counts those with the intended sidecar.
	Injected int `json:"injected"`
}

// PodCheck is one pod's verdict.
type PodCheck struct {
	// Namespace is the pod's namespace.
	Namespace string `json:"namespace"`
	// Name is the pod's name.
	Name string `json:"name"`
	// Workload is its workload, as kind/name.
	Workload string `json:"workload"`
	// Containers counts its containers as READY counts them (restartable
	// init containers, native sidecars, included).
	Containers int `json:"containers"`
	// Want is how many containers the pod has as intended, counted the same
	// way. "2/2" is Containers of Want when both are 2.
	Want int `json:"want"`
	// Revision is the revision its sidecar comes from, as an istio.io/rev
	// value ("" for none).
	Revision string `json:"revision"`
	// Intended is the revision its sidecar should come from, as an
	// istio.io/rev value ("" for none).
	Intended string `json:"intended"`
	// OK reports that the pod is as intended: the right sidecar, or none
	// where none belongs.
	OK bool `json:"ok"`
	// Action is what the pod needs when it is not.
	Action inject.StaleAction `json:"action"`
	// Reason says why a pod is not OK, or why an OK pod has no sidecar
	// (opted out, hostNetwork, an ignored namespace, no injection label).
	Reason string `json:"reason,omitempty"`
}

// Ready is the pod's READY column as kubectl would show it once every
// container is up: "2/2", "1/1".
func (c *PodCheck) Ready() string { return fmt.Sprintf("%d/%d", c.Containers, c.Want) }

// Verify checks every running pod against what the cluster injects now
// (see Verification). It is pure, like Plan.
func (s *State) Verify(ctx context.Context, opts Options) (*Verification, error) {
	mesh, err := s.Mesh(opts.Config)
	if err != nil {
		return nil, err
	}
	v := &Verification{Pods: []PodCheck{}}
	for _, w := range s.Workloads() {
		if !opts.selects(&w) {
			continue
		}
		for _, pod := range w.Pods {
			if !running(pod) {
				continue
			}
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			st, err := mesh.CheckStale(ctx, inject.PodRequest{Pod: pod})
			if err != nil {
				return nil, fmt.Errorf("%s: %w", w.ID(), err)
			}
			c := PodCheck{
				Namespace: pod.Namespace, Name: pod.Name, Workload: strings.ToLower(w.Kind) + "/" + w.Name,
				Containers: readyContainers(pod), Revision: st.RunningRevision, Intended: st.CurrentRevision,
				OK: !st.Stale, Action: st.Action,
			}
			c.Want = c.Containers
			switch {
			case st.RunningRevision != "" && st.CurrentRevision == "":
				c.Want = c.Containers - 1
			case st.RunningRevision == "" && st.CurrentRevision != "":
				c.Want = c.Containers + 1
			}
			c.Reason = verdictReason(&st)
			v.Total++
			if c.OK {
				v.OK++
				if c.Revision != "" {
					v.Injected++
				}
			}
			v.Pods = append(v.Pods, c)
		}
	}
	return v, nil
}

// readyContainers counts what READY counts: containers, plus init
// containers that keep running (native sidecars).
func readyContainers(p *corev1.Pod) int {
	n := len(p.Spec.Containers)
	for _, c := range p.Spec.InitContainers {
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			n++
		}
	}
	return n
}

// verdictReason words a pod's staleness for Verify.
func verdictReason(st *inject.Staleness) string {
	switch st.Action {
	case inject.UpToDate:
		if st.RunningRevision == "" {
			return "no sidecar, as intended: " + noSidecarWhy(st.Decision)
		}
		return ""
	case inject.RestartToInject:
		return fmt.Sprintf("created before the change: it has no sidecar, new pods get revision %q's (1/1 where 2/2 is due)", st.CurrentRevision)
	case inject.RestartToRemove:
		return fmt.Sprintf("created before the change: it has revision %q's sidecar, new pods get none (%s)", st.RunningRevision, st.Decision.Reason)
	}
	if st.RunningRevision != st.CurrentRevision {
		return fmt.Sprintf("created before the change: its sidecar is revision %q's, new pods get revision %q's", st.RunningRevision, st.CurrentRevision)
	}
	return "created before the configuration changed: " + strings.TrimPrefix(st.Reason, fmt.Sprintf("revision %q now injects a different sidecar: ", st.CurrentRevision))
}

// noSidecarWhy names the rule that keeps a sidecar away, in the guides'
// terms, from the decision's reason.
func noSidecarWhy(d policy.Decision) string {
	r := d.Reason
	switch {
	case strings.Contains(r, "hostNetwork"):
		return "it uses hostNetwork, which is never injected"
	case strings.Contains(r, "ignored namespaces"):
		return "its namespace is one the injector ignores"
	case strings.Contains(r, `sidecar.istio.io/inject="false"`) || strings.Contains(r, "opts out"):
		return "it opts out (" + r + ")"
	}
	return r
}
