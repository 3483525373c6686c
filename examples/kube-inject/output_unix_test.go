//go:build unix

package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestKubeInjectOutputDevice: -o naming something that is not a regular
// file (here a FIFO; /dev/null and /dev/stdout alike) is written to, not
// replaced by a renamed temporary file, which would have turned
// -o /dev/null into a regular file.
func TestKubeInjectOutputDevice(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "out.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no FIFO: %v", err)
	}
	got := make(chan []byte)
	go func() {
		f, err := os.Open(fifo)
		if err != nil {
			got <- nil
			return
		}
		defer f.Close()
		b, _ := io.ReadAll(f)
		got <- b
	}()
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"-f", examples + "/deployment.yaml", "-o", fifo}, nil, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	// Checked before waiting for the reader, which never gets a writer if
	// the FIFO was replaced.
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("the FIFO was replaced by a file: %v", err)
	}
	out := <-got
	golden(t, filepath.Join(examples, "deployment.injected.yaml"), out)
}
