package inject

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestCancelledContext checks that every entry point stops, with an error
// matching the context's, once the caller has given up, and that a Review
// never turns the cancellation into an answer for the API server.
func TestCancelledContext(t *testing.T) {
	inj := newTestInjector(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	body, err := os.ReadFile(filepath.Join(reviewDir, "hello.json"))
	if err != nil {
		t.Fatal(err)
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "app"}}},
	}
	manifest := "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec: {containers: [{name: app, image: app}]}\n"
	cases := []struct {
		name   string
		reason string
		call   func() (any, error)
	}{
		{"InjectPod", "a cancelled caller gets no result", func() (any, error) {
			res, err := inj.InjectPod(ctx, PodRequest{Pod: pod})
			if res == nil {
				return nil, err
			}
			return res, err
		}},
		{"Review", "a webhook whose client timed out must not answer with a denial made of the cancellation", func() (any, error) {
			b, err := inj.Review(ctx, body)
			if b == nil {
				return nil, err
			}
			return b, err
		}},
		{"Reviewer.Review", "the caching Reviewer follows Review", func() (any, error) {
			b, err := NewReviewer(inj, ReviewerOptions{}).Review(ctx, body)
			if b == nil {
				return nil, err
			}
			return b, err
		}},
		{"InjectManifests", "a stream stops before the next document", func() (any, error) {
			res, err := inj.InjectManifests(ctx, []byte(manifest), ManifestOptions{})
			if res == nil || len(res.Output) == 0 {
				return nil, err
			}
			return res, err
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := tc.call()
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("%s: err = %v, want one matching context.Canceled", tc.reason, err)
			}
			if out != nil {
				t.Errorf("%s: got output %v with the cancellation", tc.reason, out)
			}
		})
	}
}

// TestContextDoneMidStream checks that a stream cancelled between two
// documents keeps what it wrote and reports the document it stopped at.
func TestContextDoneMidStream(t *testing.T) {
	inj := newTestInjector(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	doc := "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec: {containers: [{name: app, image: app}]}\n"
	var out strings.Builder
	w := writerFunc(func(p []byte) (int, error) {
		cancel() // the first write ends the caller's interest
		return out.Write(p)
	})
	_, err := inj.InjectManifestStream(ctx, strings.NewReader(doc+"---\n"+doc), w, ManifestOptions{})
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "document 1") {
		t.Fatalf("err = %v, want context.Canceled at document 1", err)
	}
	if n := strings.Count(out.String(), "kind: Pod"); n != 1 {
		t.Errorf("wrote %d documents, want the first one only", n)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
