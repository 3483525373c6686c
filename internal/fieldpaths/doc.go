// Package fieldpaths flattens a JSON object into its leaves, each under a
// readable path, and tells which leaves differ between two objects outside
// a set of allowed path prefixes. kinject's security tests use it to check
// that an annotation or label value changes only the fields its key is
// meant to drive.
//
// A path joins object keys with dots (spec.hostNetwork); a key holding a
// dot or a slash goes in brackets (metadata.annotations[sidecar.istio.io/status]);
// a list element that is an object with a string "name" is addressed by
// it, any other by its index (spec.containers[istio-proxy].args[3]). A
// prefix allows the path itself and everything below it.
//
// # Traps
//
//   - Two elements of one list with the same name share a path; the later
//     one wins. Kubernetes lists keyed by name do not hold duplicates.
//   - Leaves are compared as their JSON text: 1 and 1.0 differ.
//   - It is meant for tests: it favours readable paths over speed.
package fieldpaths
