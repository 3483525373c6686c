package inject

import (
	"bytes"
	"context"
	"testing"
)

// TestReviewerStats follows the counters through a sequence of reviews.
func TestReviewerStats(t *testing.T) {
	inj := newTestInjector(t, nil)
	hello, _ := readReview(t, "hello")
	other := bytes.Replace(hello, []byte(`nginx:1.27`), []byte(`nginx:1.28`), 1)
	notPod := bytes.Replace(hello, []byte(`"operation": "CREATE"`), []byte(`"operation": "DELETE"`), 1)
	if bytes.Equal(other, hello) || bytes.Equal(notPod, hello) {
		t.Fatal("test input: the replacements did not apply")
	}
	steps := []struct {
		body         []byte
		cacheSize    int
		hits, misses uint64
		entries      int
		reason       string
	}{
		{hello, 0, 0, 1, 1, "a first pod is a miss, and its answer is kept"},
		{hello, 0, 1, 1, 1, "its replica is a hit"},
		{other, 0, 1, 2, 2, "another spec is another miss"},
		{notPod, 0, 1, 2, 2, "a DELETE never reaches the cache"},
		{hello, 1, 0, 1, 1, "a cache of one keeps one answer"},
		{other, 1, 0, 2, 1, "the second answer evicts the first"},
		{hello, -1, 0, 0, 0, "a disabled cache counts nothing"},
	}
	var rv *Reviewer
	size := 99
	for i, s := range steps {
		if s.cacheSize != size {
			rv, size = NewReviewer(inj, ReviewerOptions{CacheSize: s.cacheSize}), s.cacheSize
		}
		if _, err := rv.Review(context.Background(), s.body); err != nil {
			t.Fatal(err)
		}
		got := rv.Stats()
		if got.Hits != s.hits || got.Misses != s.misses || got.Entries != s.entries {
			t.Errorf("step %d: stats %+v, want hits %d misses %d entries %d (%s)", i, got, s.hits, s.misses, s.entries, s.reason)
		}
		var want int64
		for _, a := range rv.m {
			want += a.size()
		}
		if got.Bytes != want || (got.Entries > 0) != (got.Bytes > 0) {
			t.Errorf("step %d: Bytes %d, want %d, the sum over the held answers (%s)", i, got.Bytes, want, s.reason)
		}
	}
	if (*Reviewer)(nil).Stats() != (ReviewerStats{}) {
		t.Error("a nil Reviewer's stats are not zero")
	}
}
