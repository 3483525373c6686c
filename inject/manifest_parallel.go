package inject

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"runtime"
	"sync"
)

// workers is the number of documents a stream injects at once.
func (o *ManifestOptions) workers() int {
	if o.Workers > 0 {
		return o.Workers
	}
	return runtime.GOMAXPROCS(0)
}

// streamSlot is one document in flight: a worker writes out and doc, then
// closes done.
type streamSlot struct {
	index    int
	raw, out []byte
	doc      DocumentResult
	done     chan struct{}
}

// injectManifestStreamParallel is injectManifestStream with n documents
// injected at once. The calling goroutine reads the stream, hands each
// document to a worker and writes the results in stream order, so that
// reading, writing and OnDocument happen where they do one at a time; at
// most 2n documents are in flight. The outcome (output, result, errors) is
// the sequential one's: a fail-fast stream stops at the same document,
// and documents after it are neither written nor reported.
func injectManifestStreamParallel(ctx context.Context, i injecter, r io.Reader, w io.Writer, opts *ManifestOptions, n int) (*ManifestResult, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan *streamSlot, 2*n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := range work {
				s.out, s.doc = injectDocument(ctx, i, s.raw, s.index, opts)
				close(s.done)
			}
		}()
	}
	defer func() {
		close(work)
		wg.Wait()
	}()
	reader := newDocReader(r)
	st := &streamState{w: w, opts: opts, res: &ManifestResult{}}
	var pending []*streamSlot // in stream order
	var readErr error         // the stream cannot be read past the pending documents
	eof := false
	next := 0 // index of the next document to read
	for {
		for !eof && readErr == nil && len(pending) < 2*n {
			if err := ctx.Err(); err != nil {
				readErr = fmt.Errorf("document %d: %w", next, err)
				break
			}
			raw, badSep, err := reader.next()
			if err == io.EOF {
				eof = true
				break
			}
			if err != nil {
				readErr = &DocumentError{Index: next, Err: fmt.Errorf("reading YAML stream: %w", err)}
				break
			}
			s := &streamSlot{index: next, raw: bytes.Clone(raw), done: make(chan struct{})}
			next++
			if badSep != nil {
				s.doc = badSeparator(s.index, badSep)
				close(s.done)
			} else {
				work <- s // never blocks: the channel holds the whole window
			}
			pending = append(pending, s)
		}
		if len(pending) == 0 {
			break
		}
		s := pending[0]
		pending[0] = nil
		pending = pending[1:]
		select {
		case <-s.done:
		case <-ctx.Done():
			return st.stop(fmt.Errorf("document %d: %w", s.index, ctx.Err()))
		}
		if err := ctx.Err(); err != nil {
			// The caller gave up: nothing more is written.
			return st.stop(fmt.Errorf("document %d: %w", s.index, err))
		}
		if done, err := st.finish(s.raw, s.out, s.doc); done {
			return st.res, err
		}
	}
	if readErr != nil {
		return st.stop(readErr)
	}
	return st.end()
}
