// Package template renders Istio-style sidecar templates and merges them with
// a pod. It is being written; see issue 4.
package template
