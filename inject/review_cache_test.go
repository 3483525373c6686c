package inject

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
)

// TestReviewerMatchesReview: a Reviewer answers every golden review, the
// first and the second time, with the bytes Injector.Review gives.
func TestReviewerMatchesReview(t *testing.T) {
	inj := newTestInjector(t, nil)
	for _, size := range []int64{0, -1, 96 << 10} {
		rv := NewReviewer(inj, ReviewerOptions{CacheBytes: size})
		for round := 0; round < 2; round++ {
			for _, c := range reviewCases {
				body, _ := readReview(t, c.name)
				want, err := inj.Review(context.Background(), body)
				if err != nil {
					t.Fatal(err)
				}
				got, err := rv.Review(context.Background(), body)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("cache size %d, round %d, %s: Reviewer answer differs:\n got %s\nwant %s", size, round, c.name, got, want)
				}
			}
		}
	}
}

// TestReviewerReplicas: replicas that differ only in managedFields share
// one answer; a different spec or namespace does not.
func TestReviewerReplicas(t *testing.T) {
	inj := newTestInjector(t, nil)
	rv := NewReviewer(inj, ReviewerOptions{})
	body, _ := readReview(t, "hello")
	variants := []struct {
		name   string
		body   []byte
		shared bool
		reason string
	}{
		{"same", body, true, "the identical request"},
		{"managed fields time", bytes.Replace(body, []byte(`"manager": "kube-controller-manager"`), []byte(`"manager": "kube-controller-manager", "time": "2026-01-01T00:00:00Z"`), 1), true, "managedFields are stamped per pod and never patched"},
		{"other namespace", bytes.Replace(body, []byte(`"namespace": "shop"`), []byte(`"namespace": "other"`), 1), false, "the namespace is part of the answer"},
		{"other image", bytes.Replace(body, []byte(`nginx:1.27`), []byte(`nginx:1.28`), 1), false, "a different spec is a different pod"},
	}
	for _, v := range variants {
		before := rv.cache.Len()
		got, err := rv.Review(context.Background(), v.body)
		if err != nil {
			t.Fatal(err)
		}
		want, err := inj.Review(context.Background(), v.body)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: answer differs from Injector.Review", v.name)
		}
		added := rv.cache.Len() - before
		if v.shared && added != 0 && v.name != "same" {
			t.Errorf("%s: a new entry was added (%s)", v.name, v.reason)
		}
		if !v.shared && added != 1 {
			t.Errorf("%s: %d entries added, want 1 (%s)", v.name, added, v.reason)
		}
	}
}

// TestReviewerConcurrent runs many goroutines on one Reviewer (run with
// -race) and checks every answer; the budget holds fewer answers than there
// are distinct requests, so answers are evicted while others are read.
func TestReviewerConcurrent(t *testing.T) {
	inj := newTestInjector(t, nil)
	const budget = 128 << 10
	rv := NewReviewer(inj, ReviewerOptions{CacheBytes: budget})
	var bodies, wants [][]byte
	for _, c := range reviewCases {
		body, _ := readReview(t, c.name)
		for _, ns := range []string{"shop", "a", "b", "c", "d", "e"} {
			b := bytes.Replace(body, []byte(`"namespace": "shop"`), []byte(`"namespace": "`+ns+`"`), 1)
			want, err := inj.Review(context.Background(), b)
			if err != nil {
				t.Fatal(err)
			}
			bodies, wants = append(bodies, b), append(wants, want)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for n := 0; n < 20; n++ {
				k := (g + n) % len(bodies)
				got, err := rv.Review(context.Background(), bodies[k])
				if err == nil && !bytes.Equal(got, wants[k]) {
					err = fmt.Errorf("goroutine %d: answer %d differs", g, k)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if st := rv.Stats(); st.Bytes > budget || st.Entries == 0 {
		t.Errorf("cache holds %d entries, %d bytes; budget %d", st.Entries, st.Bytes, budget)
	}
}

// TestReviewerAnswerUIDs: a remembered answer is written for each
// request's UID (spliced into the remembered bytes) and review type, byte
// for byte what Injector.Review writes.
func TestReviewerAnswerUIDs(t *testing.T) {
	inj := newTestInjector(t, nil)
	rv := NewReviewer(inj, ReviewerOptions{})
	body, _ := readReview(t, "hello")
	for _, tt := range []struct {
		name, reason string
		from, to     string
	}{
		{"first", "the request that fills the cache", `"uid": "uid-hello"`, `"uid": "uid-hello"`},
		{"other uid", "a replica has its own UID", `"uid": "uid-hello"`, `"uid": "0df28fbd-5f5f-11e8-bc74-36e6bb280816"`},
		{"escaped uid", "quotes, HTML and line separators are escaped as encoding/json does", `"uid": "uid-hello"`, `"uid": "a\"b<c>&d\u2028e\\\\"`},
		{"invalid UTF-8 uid", "encoding/json reads U+FFFD and writes \\ufffd", `"uid": "uid-hello"`, "\"uid\": \"a\xffb\""},
		{"empty uid", "refused before the cache is asked", `"uid": "uid-hello"`, `"uid": ""`},
		{"v1beta1", "the answer carries the request's apiVersion", `"apiVersion": "admission.k8s.io/v1"`, `"apiVersion": "admission.k8s.io/v1beta1"`},
	} {
		b := bytes.Replace(body, []byte(tt.from), []byte(tt.to), 1)
		got, gerr := rv.Review(context.Background(), b)
		want, werr := inj.Review(context.Background(), b)
		if (gerr == nil) != (werr == nil) || !bytes.Equal(got, want) {
			t.Errorf("%s (%s):\nReviewer: %s (%v)\nReview:   %s (%v)", tt.name, tt.reason, got, gerr, want, werr)
		}
	}
	if rv.Stats().Hits < 3 {
		t.Errorf("hits = %d, want the replicas answered from the cache", rv.Stats().Hits)
	}
}
