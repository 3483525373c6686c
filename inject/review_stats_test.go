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
		cacheBytes   int64
		hits, misses uint64
		entries      int
		reason       string
	}{
		{hello, 0, 0, 1, 1, "a first pod is a miss, and its answer is kept"},
		{hello, 0, 1, 1, 1, "its replica is a hit"},
		{other, 0, 1, 2, 2, "another spec is another miss"},
		{notPod, 0, 1, 2, 2, "a DELETE never reaches the cache"},
		{hello, 4 << 10, 0, 1, 0, "an answer above a sixteenth of the budget is not kept"},
		{hello, 4 << 10, 0, 2, 0, "so its replica misses again"},
		{hello, -1, 0, 0, 0, "a disabled cache counts nothing"},
	}
	var rv *Reviewer
	size := int64(99)
	for i, s := range steps {
		if s.cacheBytes != size {
			rv, size = NewReviewer(inj, ReviewerOptions{CacheBytes: s.cacheBytes}), s.cacheBytes
		}
		if _, err := rv.Review(context.Background(), s.body); err != nil {
			t.Fatal(err)
		}
		got := rv.Stats()
		if got.Hits != s.hits || got.Misses != s.misses || got.Entries != s.entries {
			t.Errorf("step %d: stats %+v, want hits %d misses %d entries %d (%s)", i, got, s.hits, s.misses, s.entries, s.reason)
		}
		if got.Bytes != rv.cache.Bytes() || got.Bytes > rv.cache.Budget() || (got.Entries > 0) != (got.Bytes > 0) {
			t.Errorf("step %d: Bytes %d, want what the cache holds (%d), within the budget %d (%s)", i, got.Bytes, rv.cache.Bytes(), rv.cache.Budget(), s.reason)
		}
	}
	if (*Reviewer)(nil).Stats() != (ReviewerStats{}) {
		t.Error("a nil Reviewer's stats are not zero")
	}
}
