package inject

import (
	"encoding/json"
	"slices"

	"github.com/kinject/kinject/internal/codec"
	corev1 "k8s.io/api/core/v1"
)

// Encoding pods is part of every injection (the patch is the difference of
// the original and the injected pod's JSON) and of every result-cache key.
// codec.AppendJSON writes encoding/json's bytes from the pod's plan; where
// it declines, encoding/json (the reference) writes them.

// jsonMarshal encodes v as encoding/json does: codec.AppendJSON from v's
// plan (pods, and the workloads of manifests), encoding/json where it
// declines.
func jsonMarshal(v any) ([]byte, error) {
	return appendJSON(make([]byte, 0, 4096), v)
}

// appendJSON appends v's JSON as encoding/json writes it to b: from v's
// plan, or by encoding/json where codec.AppendJSON declines.
func appendJSON(b []byte, v any) ([]byte, error) {
	if out, ok := codec.AppendJSON(b, v); ok {
		return out, nil
	}
	js, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, js...), nil
}

// appendPodJSON appends p's JSON as encoding/json writes it. b is grown
// first by an estimate of the pod's size, so that a big pod (2,000 env
// vars: 100 KB) is written into one buffer rather than copied through a
// dozen doublings.
func appendPodJSON(b []byte, p *corev1.Pod) ([]byte, error) {
	return appendJSON(slices.Grow(b, podJSONEstimate(p)), p)
}

// podJSONEstimate is a rough size of p's JSON: a base, and what grows with
// its env vars, args, mounts and annotations. It only sizes a buffer.
func podJSONEstimate(p *corev1.Pod) int {
	n := 512
	for _, cs := range [...][]corev1.Container{p.Spec.InitContainers, p.Spec.Containers} {
		for i := range cs {
			c := &cs[i]
			n += 256 + 48*len(c.Env) + 24*(len(c.Args)+len(c.Command)) + 64*len(c.VolumeMounts)
			for k := range c.Env {
				n += len(c.Env[k].Name) + len(c.Env[k].Value)
			}
		}
	}
	for k, v := range p.Annotations {
		n += len(k) + len(v) + 8
	}
	return n + 128*len(p.Spec.Volumes)
}
