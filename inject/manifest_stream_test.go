package inject

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	k8syaml "k8s.io/apimachinery/pkg/util/yaml"
)

// generatedStream is an io.Reader of n documents made by doc(i), produced
// as they are read so that the input itself takes no memory. Every
// sampleEvery bytes it calls sample (a test measures the heap there).
type generatedStream struct {
	n, i        int
	doc         func(i int) string
	buf         []byte
	read        int
	sampleEvery int
	sample      func()
}

func (g *generatedStream) Read(p []byte) (int, error) {
	for len(g.buf) == 0 {
		if g.i == g.n {
			return 0, io.EOF
		}
		g.buf = append(g.buf[:0], g.doc(g.i)...)
		g.i++
	}
	n := copy(p, g.buf)
	g.buf = g.buf[n:]
	if g.sample != nil && g.read/g.sampleEvery != (g.read+n)/g.sampleEvery {
		g.sample()
	}
	g.read += n
	return n, nil
}

// mixedDoc cycles through a tiny document (issue 10's 2-million-document
// stream), one with a warning (an unserved API version) and, in keep-going
// mode, a bad one (an invalid separator).
func mixedDoc(i int) string {
	switch i % 3 {
	case 0:
		return "a: 1\n---\n"
	case 1:
		return fmt.Sprintf("apiVersion: apps/v1beta1\nkind: Deployment\nmetadata: {name: d%d}\n---\n", i)
	}
	return fmt.Sprintf("--- bad %d\nx: 1\n---\n", i)
}

// liveHeap is the heap in use after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestInjectManifestStreamMemory streams many small documents, a third of
// them with a warning and a third bad, in keep-going mode, and checks that
// the live heap does not grow with the number of documents while the
// stream runs or after it (the result is held), and that everything is
// still counted and every document still reaches OnDocument. Issue 10: 2
// million documents of 9 bytes took 1.06 GB, one DocumentResult each.
func TestInjectManifestStreamMemory(t *testing.T) {
	n := 150_000
	if testing.Short() {
		n = 30_000
	}
	inj := newTestInjector(t, nil)
	base := liveHeap()
	var peak uint64
	in := &generatedStream{n: n, doc: mixedDoc, sampleEvery: 512 << 10, sample: func() {
		peak = max(peak, liveHeap())
	}}
	seen, warned := 0, 0
	opts := ManifestOptions{KeepGoing: true, OnDocument: func(d DocumentResult) {
		if d.Index != seen {
			t.Fatalf("OnDocument got document %d, want %d", d.Index, seen)
		}
		seen++
		warned += len(d.Warnings)
	}}
	res, err := inj.InjectManifestStream(context.Background(), in, io.Discard, opts)
	if !errors.Is(err, ErrBadDocument) {
		t.Fatalf("error %v, want the bad documents listed", err)
	}
	after := liveHeap()
	t.Logf("%d documents: live heap %d KB before, peak %d KB, after %d KB", n, base>>10, peak>>10, after>>10)
	const bound = 8 << 20
	if peak > base+bound || after > base+bound {
		t.Errorf("heap grew with the document count: %d documents, live heap %d B before, peak %d B, after %d B (bound +%d B)", n, base, peak, after, bound)
	}
	bad := n / 3
	if res.Documents != n || res.Failed != bad || res.WarningCount != n/3 || seen != n || warned != n/3 {
		t.Errorf("documents %d, failed %d, warnings %d, OnDocument saw %d with %d warnings; want %d, %d, %d, %d, %d",
			res.Documents, res.Failed, res.WarningCount, seen, warned, n, bad, n/3, n, n/3)
	}
	if len(res.Warnings) != MaxListed {
		t.Errorf("the result keeps %d warnings, want the first %d", len(res.Warnings), MaxListed)
	}
	if got := len(strings.Split(err.Error(), "\n")); got != MaxListed+1 {
		t.Errorf("the error has %d lines, want the first %d bad documents and a count", got, MaxListed)
	}
	if !strings.HasSuffix(err.Error(), fmt.Sprintf("%d more bad documents (OnDocument sees each)", bad-MaxListed)) {
		t.Errorf("the error does not end with the count of the others: ...%s", err.Error()[max(0, len(err.Error())-120):])
	}
	runtime.KeepAlive(res)
}

// TestInjectManifestsBadSeparator: an invalid separator makes only the
// document it starts bad; the documents around it are injected, and the
// error names that document, not the one before it.
func TestInjectManifestsBadSeparator(t *testing.T) {
	inj := newTestInjector(t, nil)
	pod := func(name string) string {
		return "apiVersion: v1\nkind: Pod\nmetadata: {name: " + name + "}\nspec: {containers: [{name: app, image: app}]}\n"
	}
	in := pod("first") + "--- apiVersion: v1\nkind: Pod\nmetadata: {name: lost}\n---\n" + pod("last")
	cases := []struct {
		name      string
		keepGoing bool
		injected  int
		reason    string
	}{
		{"fail fast", false, 1, "the document before the bad separator is injected and written, then the stream stops"},
		{"keep going", true, 2, "the bad document is copied unchanged and the last one is still injected"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var docs []DocumentResult
			res, err := inj.InjectManifests(context.Background(), []byte(in), ManifestOptions{KeepGoing: c.keepGoing, OnDocument: func(d DocumentResult) { docs = append(docs, d) }})
			var de *DocumentError
			if !errors.As(err, &de) || de.Index != 1 || !strings.Contains(err.Error(), `document 1: invalid YAML document separator "apiVersion: v1"`) {
				t.Fatalf("error %v, want document 1's bad separator (%s)", err, c.reason)
			}
			if res.Injected != c.injected || len(docs) != res.Documents || docs[1].Err == nil {
				t.Errorf("injected %d, documents %d, OnDocument saw %d (%s)", res.Injected, res.Documents, len(docs), c.reason)
			}
			out := string(res.Output)
			if !strings.Contains(out, "name: first") || !strings.Contains(out, "istio-proxy") {
				t.Errorf("the first document was not injected and written (%s):\n%s", c.reason, out)
			}
			if c.keepGoing && !strings.Contains(out, "---\n--- apiVersion: v1\nkind: Pod\nmetadata: {name: lost}\n---\n") {
				t.Errorf("the bad document is not copied unchanged (%s):\n%s", c.reason, out)
			}
		})
	}
}

// BenchmarkInjectManifestStreamDocuments streams 20k and 200k small
// documents (tiny ones, ones with a warning, bad ones, in keep-going mode):
// ns/doc stays flat and so does peak-live-B, the largest live heap seen
// while streaming (issue 10: memory grew by a DocumentResult per document).
func BenchmarkInjectManifestStreamDocuments(b *testing.B) {
	inj := newTestInjector(b, nil)
	for _, n := range []int{20_000, 200_000} {
		b.Run(fmt.Sprintf("%dk", n/1000), func(b *testing.B) {
			b.ReportAllocs()
			var peak uint64
			for b.Loop() {
				in := &generatedStream{n: n, doc: mixedDoc, sampleEvery: 128 << 10, sample: func() { peak = max(peak, liveHeap()) }}
				if _, err := inj.InjectManifestStream(context.Background(), in, io.Discard, ManifestOptions{KeepGoing: true}); !errors.Is(err, ErrBadDocument) {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/doc")
			b.ReportMetric(float64(peak), "peak-live-B")
		})
	}
}

// readAllDocs splits a stream with docReader.
func readAllDocs(t testing.TB, in []byte) (docs []string, bad bool) {
	d := newDocReader(bytes.NewReader(in))
	for {
		doc, badSep, err := d.next()
		if err == io.EOF {
			return docs, bad
		}
		if err != nil {
			t.Fatal(err)
		}
		bad = bad || badSep != nil
		docs = append(docs, string(doc))
	}
}

// readAllIstio splits a stream as istioctl does, with apimachinery's
// YAMLReader.
func readAllIstio(in []byte) (docs []string, err error) {
	r := k8syaml.NewYAMLReader(bufioReader(in))
	for {
		doc, err := r.Read()
		if err == io.EOF {
			return docs, nil
		}
		if err != nil {
			return docs, err
		}
		docs = append(docs, string(doc))
	}
}

// FuzzDocReader checks docReader against istioctl's reader: on a stream
// without CR bytes that the YAMLReader reads, both give the same
// documents; where the YAMLReader fails on a bad separator, docReader
// reports one.
func FuzzDocReader(f *testing.F) {
	for _, s := range []string{"", "a: 1\n", "---\n---\n", "a\n---\nb", "--- x\na\n", "a\n--- # c\nb\n", "---\n--- y\n---\n", "-- \n----\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if bytes.IndexByte(in, '\r') >= 0 {
			return // istioctl drops CRs; docReader keeps them
		}
		got, bad := readAllDocs(t, in)
		want, err := readAllIstio(in)
		if err != nil {
			if !bad {
				t.Errorf("YAMLReader fails (%v) but docReader reports no bad separator in %q", err, in)
			}
			return
		}
		if bad {
			t.Errorf("docReader reports a bad separator the YAMLReader accepts in %q", in)
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("documents of %q differ (-istioctl +kinject):\n%s", in, d)
		}
	})
}

func bufioReader(in []byte) *bufio.Reader { return bufio.NewReaderSize(bytes.NewReader(in), 4096) }
