package patch

import "encoding/json"

// Operation is one RFC 6902 operation.
type Operation struct {
	Op    string          `json:"op"`
	Path  string          `json:"path"`
	From  string          `json:"from,omitempty"`
	Value json.RawMessage `json:"value,omitempty"`
}

// Patch is an RFC 6902 JSON patch.
type Patch []Operation
