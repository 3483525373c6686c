package inject

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
)

// TestPodOnlyMatches holds a manifest stream's requests (podOnly: no patch,
// no cache) to the full ones: on every pod template of every corpus input
// (and the manifest goldens' inputs), the injected pod, the decision and
// the warnings are those of the same request without podOnly, the patch is
// left out, and the cache is not touched.
func TestPodOnlyMatches(t *testing.T) {
	inputs, _ := filepath.Glob(filepath.Join(manifestDir, "*.yaml"))
	dir := os.Getenv("KINJECT_ISTIO_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "istio-corpus")
	}
	more, _ := filepath.Glob(filepath.Join(dir, "cases", "*", "input.yaml"))
	inputs = append(inputs, more...)
	inj := newTestInjector(t, nil)
	compared := 0
	for _, in := range inputs {
		r := newDocReader(bytes.NewReader(readFile(t, in)))
		for n := 0; ; n++ {
			raw, badSep, err := r.next()
			if err == io.EOF {
				break
			}
			if err != nil || badSep != nil {
				break
			}
			var doc DocumentResult
			obj, kind, _, err := decodeDocument(raw, &doc)
			if err != nil || kind == nil || kind.list {
				continue
			}
			pt, err := podTemplateOf(obj)
			if err != nil || pt.meta == nil {
				continue
			}
			req := PodRequest{Pod: &corev1.Pod{ObjectMeta: *pt.meta, Spec: *pt.spec}, TypeMeta: pt.typeMeta, DeploymentMeta: pt.deployMeta, Manual: true}
			want, wantErr := inj.InjectPod(context.Background(), req)
			before := inj.cache.Len()
			req.podOnly = true
			got, err := inj.InjectPod(context.Background(), req)
			what := in + " document " + string(rune('0'+n%10))
			if (err != nil) != (wantErr != nil) || err != nil && err.Error() != wantErr.Error() {
				t.Fatalf("%s: podOnly error %v, want %v", what, err, wantErr)
			}
			if err != nil {
				continue
			}
			if inj.cache.Len() != before {
				t.Errorf("%s: podOnly changed the cache (%d entries, had %d)", what, inj.cache.Len(), before)
			}
			if !reflect.DeepEqual(got.Pod, want.Pod) {
				t.Fatalf("%s: podOnly pod differs:\n%s", what, cmp.Diff(want.Pod, got.Pod))
			}
			if !reflect.DeepEqual(got.Decision, want.Decision) || !reflect.DeepEqual(got.Warnings, want.Warnings) {
				t.Fatalf("%s: podOnly decision %+v, warnings %q; want %+v, %q", what, got.Decision, got.Warnings, want.Decision, want.Warnings)
			}
			if want.Decision.Inject && (got.Patch != nil || got.PatchJSON != nil) {
				t.Errorf("%s: podOnly computed a patch", what)
			}
			compared++
		}
	}
	if compared < 10 {
		t.Fatalf("only %d pod templates compared", compared)
	}
	t.Logf("%d pod templates compared", compared)
}
