package inject

// ReviewerStats is a snapshot of a Reviewer's answer cache, for a webhook's
// metrics. Hits and Misses only grow; Entries and Bytes are what the cache
// holds at the moment of the snapshot.
type ReviewerStats struct {
	// Hits counts pod CREATE reviews answered from the cache.
	Hits uint64
	// Misses counts pod CREATE reviews looked up and not found, which were
	// answered by injecting the pod. Reviews the cache never sees (another
	// resource or operation, a Reviewer with the cache disabled) count in
	// neither.
	Misses uint64
	// Entries is the number of answers held.
	Entries int
	// Bytes is the memory the held answers take: their patches, warnings,
	// keys and bookkeeping; never above ReviewerOptions.CacheBytes.
	Bytes int64
}

// Stats returns the Reviewer's cache counters. It is safe to call while
// the Reviewer answers, takes the cache's lock only to read two numbers,
// and changes nothing.
func (r *Reviewer) Stats() ReviewerStats {
	if r == nil {
		return ReviewerStats{}
	}
	s := ReviewerStats{Hits: r.hits.Load(), Misses: r.misses.Load()}
	s.Entries, s.Bytes = r.cache.Len(), r.cache.Bytes()
	return s
}
