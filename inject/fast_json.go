package inject

import (
	"encoding/json"

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
	if b, ok := codec.AppendJSON(make([]byte, 0, 4096), v); ok {
		return b, nil
	}
	return json.Marshal(v)
}

// appendPodJSON appends p's JSON as encoding/json writes it.
func appendPodJSON(b []byte, p *corev1.Pod) ([]byte, error) {
	if out, ok := codec.AppendJSON(b, p); ok {
		return out, nil
	}
	js, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	return append(b, js...), nil
}
