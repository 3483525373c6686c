//go:build !unix

package examples_test

import "testing"

// lockDir does nothing where flock is not available: concurrent runs of
// the README test from one checkout are then the caller's to avoid.
func lockDir(t *testing.T, path string) func() { return func() {} }
