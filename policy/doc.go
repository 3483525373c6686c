// Package policy decides whether a pod gets a sidecar, from which revision,
// and why. It is being written; see issue 2.
package policy
