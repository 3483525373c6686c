// Package patch computes RFC 6902 JSON patches. It is being written; see
// issue 3.
package patch
