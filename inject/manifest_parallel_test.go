package inject

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// streamRun is everything a stream's injection shows its caller.
type streamRun struct {
	Output    string
	Documents []string // OnDocument, in call order
	Result    ManifestResult
	Err       string
}

func runStream(t *testing.T, inj *Injector, in []byte, opts ManifestOptions) streamRun {
	t.Helper()
	var out bytes.Buffer
	var run streamRun
	opts.OnDocument = func(d DocumentResult) {
		e := ""
		if d.Err != nil {
			e = d.Err.Error()
		}
		run.Documents = append(run.Documents, fmt.Sprintf("%d %s %s/%s injected=%d skipped=%d warnings=%q err=%q",
			d.Index, d.Kind, d.Namespace, d.Name, d.Injected, d.Skipped, d.Warnings, e))
	}
	res, err := inj.InjectManifestStream(context.Background(), bytes.NewReader(in), &out, opts)
	run.Output = out.String()
	if res != nil {
		run.Result = *res
	}
	if err != nil {
		run.Err = err.Error()
	}
	return run
}

// TestParallelStreamMatchesSequential injects streams with one worker and
// with several and requires the same output, result, OnDocument calls (in
// order) and error.
func TestParallelStreamMatchesSequential(t *testing.T) {
	inj := newTestInjector(t, nil)
	var all bytes.Buffer
	files, err := filepath.Glob(filepath.Join(manifestDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.Contains(f, "golden") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(f, "bad-stream") {
			all.Write(b)
			all.WriteString("\n---\n")
		}
	}
	bad, err := os.ReadFile(filepath.Join(manifestDir, "bad-stream.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, reason string
		in           []byte
		keepGoing    bool
	}{
		{"goldens", "every manifest test input, one stream", all.Bytes(), false},
		{"bad fail-fast", "stops at the first bad document; nothing after it is written", append(append([]byte(nil), all.Bytes()...), bad...), false},
		{"bad keep-going", "bad documents copied, every other injected", append(append(append([]byte(nil), bad...), all.Bytes()...), bad...), true},
		{"many", "a thousand documents, more than any window", stream1000(), false},
		{"empty", "no document", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := runStream(t, inj, tt.in, ManifestOptions{Workers: 1, KeepGoing: tt.keepGoing})
			if len(tt.in) > 0 && (want.Output == "" || len(want.Documents) == 0) {
				t.Fatalf("nothing written: %+v", want)
			}
			if strings.HasPrefix(tt.name, "bad") && (want.Err == "" || want.Result.Failed == 0) {
				t.Fatalf("no bad document seen: %+v", want.Result)
			}
			for _, n := range []int{2, 3, 8} {
				got := runStream(t, inj, tt.in, ManifestOptions{Workers: n, KeepGoing: tt.keepGoing})
				if d := cmp.Diff(want, got); d != "" {
					t.Errorf("%d workers differ from one (%s) (-one +parallel):\n%s", n, tt.reason, d)
				}
			}
		})
	}
}

// pacedStream serves documents as they are read and checks that the
// injection never reads more than limit documents ahead of what it wrote.
type pacedStream struct {
	t              *testing.T
	docs, limit    int
	served         int
	written        atomic.Int64
	buf            []byte
	worst          int
	overLimitFound bool
}

func (p *pacedStream) Read(b []byte) (int, error) {
	if len(p.buf) == 0 {
		if p.served == p.docs {
			return 0, io.EOF
		}
		ahead := p.served - int(p.written.Load())
		p.worst = max(p.worst, ahead)
		p.buf = fmt.Appendf(nil, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p%d\nspec:\n  containers:\n  - name: c\n    image: x\n---\n", p.served)
		p.served++
	}
	n := copy(b, p.buf)
	p.buf = p.buf[n:]
	return n, nil
}

func (p *pacedStream) Write(b []byte) (int, error) {
	if bytes.Equal(b, []byte("---\n")) {
		p.written.Add(1)
	}
	return len(b), nil
}

// TestParallelStreamBounded checks that a parallel stream holds a bounded
// window of documents: it never reads more than 2 per worker (plus the one
// being read) ahead of what it has written.
func TestParallelStreamBounded(t *testing.T) {
	inj := newTestInjector(t, nil)
	for _, n := range []int{1, 2, 4} {
		p := &pacedStream{t: t, docs: 200}
		res, err := inj.InjectManifestStream(context.Background(), p, p, ManifestOptions{Workers: n})
		if err != nil {
			t.Fatal(err)
		}
		if res.Documents != 200 || int(p.written.Load()) != 200 {
			t.Fatalf("%d workers: %d documents, %d written", n, res.Documents, p.written.Load())
		}
		if limit := 2*n + 1; p.worst > limit {
			t.Errorf("%d workers: read %d documents ahead of the output, want at most %d", n, p.worst, limit)
		}
	}
}

// TestParallelStreamCancel checks that a parallel stream stops writing once
// its context is done.
func TestParallelStreamCancel(t *testing.T) {
	inj := newTestInjector(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	var out bytes.Buffer
	calls := 0
	_, err := inj.InjectManifestStream(ctx, bytes.NewReader(stream1000()), &out, ManifestOptions{Workers: 4, OnDocument: func(DocumentResult) {
		if calls++; calls == 10 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if n := strings.Count(out.String(), "---\n"); n != 10 {
		t.Errorf("%d documents written after cancelling at the tenth", n)
	}
}
