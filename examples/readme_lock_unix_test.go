//go:build unix

package examples_test

import (
	"os"
	"syscall"
	"testing"
)

// lockDir holds an exclusive lock on path (created if need be) until the
// returned function is called; a second run of the README test from the
// same checkout waits for the first. The kernel drops the lock when the
// process dies, so a killed run leaves nothing stale behind.
func lockDir(t *testing.T, path string) func() {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		t.Fatal(err)
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}
}
