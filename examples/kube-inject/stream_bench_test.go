package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
	yamlv3 "sigs.k8s.io/yaml/goyaml.v3"

	"github.com/kinject/kinject/inject"
)

// streamCorpusDir is Istio's corpus, or "" when it is absent.
func streamCorpusDir() string {
	dir := os.Getenv("KINJECT_ISTIO_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "istio-corpus")
	}
	if _, err := os.Stat(filepath.Join(dir, "CASES.tsv")); err != nil {
		return ""
	}
	return dir
}

// corpusStream builds an n-document stream from the corpus's kube-inject
// inputs, cycled, each copy with its own name and its own value of the app
// label (which the sidecar template reads), so that no two pod templates
// are alike and no cache helps. Only documents that the hello case's
// configuration injects without error are used. It returns the stream and
// the number of workloads in it.
func corpusStream(tb testing.TB, dir string, cfg *inject.Config, n int) ([]byte, int) {
	tb.Helper()
	tsv, err := os.ReadFile(filepath.Join(dir, "CASES.tsv"))
	if err != nil {
		tb.Fatal(err)
	}
	inj, err := inject.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	var docs []map[string]any
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(tsv)), "\n")[1:] {
		f := strings.Split(line, "\t")
		if len(f) < 6 || (f[5] != "kubeinject" && f[5] != "both") || strings.HasPrefix(f[2], "ERROR") || seen[f[1]] {
			continue
		}
		seen[f[1]] = true
		in, err := os.ReadFile(filepath.Join(dir, "cases", f[0], "input.yaml"))
		if err != nil {
			tb.Fatal(err)
		}
		dec := yamlv3.NewDecoder(bytes.NewReader(in))
		for {
			var doc map[string]any
			if err := dec.Decode(&doc); err != nil {
				if errors.Is(err, io.EOF) {
					break
				}
				tb.Fatalf("%s: %v", f[0], err)
			}
			if doc == nil {
				continue
			}
			b, err := yaml.Marshal(doc)
			if err != nil {
				tb.Fatal(err)
			}
			res, err := inj.InjectManifests(context.Background(), b, inject.ManifestOptions{})
			if err != nil || res.Injected == 0 {
				continue // another configuration's case, or nothing to inject
			}
			docs = append(docs, doc)
		}
	}
	if len(docs) == 0 {
		tb.Fatal("no corpus document injects with the hello configuration")
	}
	sort.SliceStable(docs, func(i, j int) bool { return false })
	var out bytes.Buffer
	workloads := 0
	for k := range n {
		doc := copyTree(docs[k%len(docs)]).(map[string]any)
		meta, _ := doc["metadata"].(map[string]any)
		if meta == nil {
			meta = map[string]any{}
			doc["metadata"] = meta
		}
		name, _ := meta["name"].(string)
		meta["name"] = fmt.Sprintf("%s-%d", name, k)
		labels := podLabels(doc)
		labels["app"] = fmt.Sprintf("app-%d", k)
		workloads++
		b, err := yaml.Marshal(doc)
		if err != nil {
			tb.Fatal(err)
		}
		out.Write(b)
		out.WriteString("---\n")
	}
	return out.Bytes(), workloads
}

// podLabels returns (creating it) the labels map of a document's pod or
// pod template.
func podLabels(doc map[string]any) map[string]any {
	meta := doc
	if kind, _ := doc["kind"].(string); kind != "Pod" {
		spec, _ := doc["spec"].(map[string]any)
		if kind == "CronJob" {
			jt, _ := spec["jobTemplate"].(map[string]any)
			spec, _ = jt["spec"].(map[string]any)
		}
		tmpl, _ := spec["template"].(map[string]any)
		if tmpl != nil {
			meta = tmpl
		}
	}
	md, _ := meta["metadata"].(map[string]any)
	if md == nil {
		md = map[string]any{}
		meta["metadata"] = md
	}
	labels, _ := md["labels"].(map[string]any)
	if labels == nil {
		labels = map[string]any{}
		md["labels"] = labels
	}
	return labels
}

func copyTree(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = copyTree(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = copyTree(x)
		}
		return out
	}
	return v
}

// BenchmarkProcessStream runs the kube-inject command as a process on a
// 1,000-document stream of corpus inputs (distinct names and app labels)
// with the hello case's configuration (Istio's), output to a file, and
// reports the wall time per injected workload (issue 17: ≤ 0.5 ms).
func BenchmarkProcessStream(b *testing.B) {
	dir := streamCorpusDir()
	if dir == "" {
		b.Skip("Istio corpus not found (set KINJECT_ISTIO_CORPUS)")
	}
	hello := filepath.Join(dir, "cases", "hello")
	files := map[string]string{}
	for _, f := range []string{"inject-config.yaml", "values.json", "mesh.yaml"} {
		data, err := os.ReadFile(filepath.Join(hello, f))
		if err != nil {
			b.Fatal(err)
		}
		if !bytes.Contains(data, []byte("\n")) { // a symlink stored as its target
			data, err = os.ReadFile(filepath.Join(hello, strings.TrimSpace(string(data))))
			if err != nil {
				b.Fatal(err)
			}
		}
		files[f] = string(data)
	}
	cfg, err := inject.LoadConfig([]byte(files["inject-config.yaml"]), []byte(files["values.json"]), []byte(files["mesh.yaml"]))
	if err != nil {
		b.Fatal(err)
	}
	tmp := b.TempDir()
	stream, workloads := corpusStream(b, dir, cfg, 1000)
	in := filepath.Join(tmp, "stream.yaml")
	write := func(name, data string) string {
		p := filepath.Join(tmp, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			b.Fatal(err)
		}
		return p
	}
	write("stream.yaml", string(stream))
	icfg, vals, mesh := write("inject-config.yaml", files["inject-config.yaml"]), write("values.json", files["values.json"]), write("mesh.yaml", files["mesh.yaml"])
	bin := filepath.Join(tmp, "kube-inject")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	args := []string{"--injectConfigFile", icfg, "--valuesFile", vals, "--meshConfigFile", mesh, "-f", in, "-o", filepath.Join(tmp, "out.yaml")}
	if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
		b.Fatalf("kube-inject: %v\n%s", err, out)
	}
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
			b.Fatalf("kube-inject: %v\n%s", err, out)
		}
	}
	b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(b.N)/float64(workloads), "ns/workload")
}

// BenchmarkRunStream is BenchmarkProcessStream in process (run, without
// the process start), for profiles.
func BenchmarkRunStream(b *testing.B) {
	dir := streamCorpusDir()
	if dir == "" {
		b.Skip("Istio corpus not found (set KINJECT_ISTIO_CORPUS)")
	}
	hello := filepath.Join(dir, "cases", "hello")
	cfg, err := inject.LoadConfig(readCorpusFile(b, hello, "inject-config.yaml"), readCorpusFile(b, hello, "values.json"), readCorpusFile(b, hello, "mesh.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	stream, workloads := corpusStream(b, dir, cfg, 1000)
	inj, err := inject.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	start := time.Now()
	for b.Loop() {
		if _, err := inj.InjectManifestStream(context.Background(), bytes.NewReader(stream), io.Discard, inject.ManifestOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(b.N)/float64(workloads), "ns/workload")
}

func readCorpusFile(tb testing.TB, dir, name string) []byte {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		tb.Fatal(err)
	}
	if !bytes.Contains(data, []byte("\n")) { // a symlink stored as its target
		if data, err = os.ReadFile(filepath.Join(dir, strings.TrimSpace(string(data)))); err != nil {
			tb.Fatal(err)
		}
	}
	return data
}

// TestWriteBenchStream writes the stream BenchmarkProcessStream uses to
// $KINJECT_BENCH_STREAM (skipped unless set), for timing other builds on
// the same input.
func TestWriteBenchStream(t *testing.T) {
	out := os.Getenv("KINJECT_BENCH_STREAM")
	dir := streamCorpusDir()
	if out == "" || dir == "" {
		t.Skip("set KINJECT_BENCH_STREAM (and the corpus)")
	}
	hello := filepath.Join(dir, "cases", "hello")
	cfg, err := inject.LoadConfig(readCorpusFile(t, hello, "inject-config.yaml"), readCorpusFile(t, hello, "values.json"), readCorpusFile(t, hello, "mesh.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	stream, n := corpusStream(t, dir, cfg, 1000)
	if err := os.WriteFile(out, stream, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d workloads", n)
}

// BenchmarkRunCold is BenchmarkProcessStream without the process start:
// run, configuration files and all, with a new injector every iteration
// (so every cache starts empty, as in the process), for profiles of the
// process's work.
func BenchmarkRunCold(b *testing.B) {
	dir := streamCorpusDir()
	if dir == "" {
		b.Skip("Istio corpus not found (set KINJECT_ISTIO_CORPUS)")
	}
	hello := filepath.Join(dir, "cases", "hello")
	tmp := b.TempDir()
	var args []string
	for _, f := range []struct{ flag, name string }{{"--injectConfigFile", "inject-config.yaml"}, {"--valuesFile", "values.json"}, {"--meshConfigFile", "mesh.yaml"}} {
		p := filepath.Join(tmp, f.name)
		if err := os.WriteFile(p, readCorpusFile(b, hello, f.name), 0o644); err != nil {
			b.Fatal(err)
		}
		args = append(args, f.flag, p)
	}
	cfg, err := inject.LoadConfig(readCorpusFile(b, hello, "inject-config.yaml"), readCorpusFile(b, hello, "values.json"), readCorpusFile(b, hello, "mesh.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	stream, workloads := corpusStream(b, dir, cfg, 1000)
	in := filepath.Join(tmp, "stream.yaml")
	if err := os.WriteFile(in, stream, 0o644); err != nil {
		b.Fatal(err)
	}
	args = append(args, "-f", in, "-o", filepath.Join(tmp, "out.yaml"))
	b.ReportAllocs()
	start := time.Now()
	for b.Loop() {
		if err := run(context.Background(), args, nil, io.Discard, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(b.N)/float64(workloads), "ns/workload")
}
