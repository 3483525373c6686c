// Package cache is kinject's one bounded cache: a map from keys to values
// that holds at most a budget of bytes, evicting the least recently used
// entries first, safe for concurrent use. The Injector's result cache, the
// Reviewer's answers and the template package's toYaml memo are all
// instances of it.
//
// The budget is in bytes, not entries, because entries differ by orders of
// magnitude: a replica of a small pod costs a few kilobytes, a pod with
// 100,000 environment variables tens of megabytes. Each entry is charged
// the cost its caller gives (what the value holds; SizeOf measures a Go
// value) plus Overhead for the cache's own bookkeeping and the key. An
// entry costing more than a sixteenth of the budget is never kept
// (MaxEntry), so a few outsized values cannot push out everything else, and
// at least sixteen entries fit.
//
// Eviction is least-recently-used rather than first-in-first-out: a
// webhook sees a few pod templates again and again (every replica of a
// workload) among a stream of one-off pods (Jobs, dry runs, a client
// creating distinct pods on purpose); LRU keeps the hot entries however
// many one-offs pass through, where FIFO would drop them once the budget's
// worth of one-offs had arrived. A hit costs a list move under the lock.
//
// # Traps
//
//   - The cache bounds what it holds, not what callers hold: a value handed
//     out by Get is shared, so callers must treat it as read-only (or
//     store values that copy themselves).
//   - A cost the caller underestimates breaks the bound; SizeOf walks the
//     value rather than guessing from an encoding.
//   - A nil *Cache is a valid, disabled cache: Get misses and Put keeps
//     nothing.
package cache
