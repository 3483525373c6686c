package cache

import "sync"

// Overhead is what each entry is charged beyond its value's cost: the map
// slot, the list links and a key of up to 32 bytes.
const Overhead = 160

// MaxEntryFraction is how many of the largest entry fit in the budget: an
// entry costing more than Budget/MaxEntryFraction is never kept.
const MaxEntryFraction = 16

// Cache is a least-recently-used cache bounded by bytes. The zero value is
// not usable; call New. A nil *Cache keeps nothing.
type Cache[K comparable, V any] struct {
	mu     sync.Mutex
	budget int64
	used   int64
	m      map[K]*entry[K, V]
	root   entry[K, V] // sentinel of the recency ring: root.next is the most recent
}

type entry[K comparable, V any] struct {
	key        K
	val        V
	cost       int64
	prev, next *entry[K, V]
}

// New returns a cache holding at most budget bytes, or nil (a cache that
// keeps nothing) when budget is not positive.
func New[K comparable, V any](budget int64) *Cache[K, V] {
	if budget <= 0 {
		return nil
	}
	c := &Cache[K, V]{budget: budget, m: map[K]*entry[K, V]{}}
	c.root.next, c.root.prev = &c.root, &c.root
	return c
}

// Budget returns the most bytes the cache holds (0 for a nil cache).
func (c *Cache[K, V]) Budget() int64 {
	if c == nil {
		return 0
	}
	return c.budget
}

// MaxEntry returns the largest cost Put keeps, Overhead included.
func (c *Cache[K, V]) MaxEntry() int64 {
	if c == nil {
		return 0
	}
	return c.budget / MaxEntryFraction
}

// Get returns the value stored under k and marks it recently used.
func (c *Cache[K, V]) Get(k K) (V, bool) {
	if c == nil {
		var zero V
		return zero, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok {
		var zero V
		return zero, false
	}
	c.unlink(e)
	c.pushFront(e)
	return e.val, true
}

// Put stores v under k, charged cost bytes plus Overhead, replacing what
// k held, and evicts the least recently used entries until the cache is
// within its budget. It reports whether v was kept: a value costing more
// than MaxEntry is not (and k then holds nothing).
func (c *Cache[K, V]) Put(k K, v V, cost int64) bool {
	if c == nil {
		return false
	}
	if cost < 0 {
		cost = 0
	}
	cost += Overhead
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[k]; ok {
		c.remove(old)
	}
	if cost > c.budget/MaxEntryFraction {
		return false
	}
	e := &entry[K, V]{key: k, val: v, cost: cost}
	c.m[k] = e
	c.pushFront(e)
	c.used += cost
	for c.used > c.budget {
		c.remove(c.root.prev)
	}
	return true
}

// Len returns the number of entries.
func (c *Cache[K, V]) Len() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

// Bytes returns the cost of what the cache holds, Overhead included; it
// never exceeds the budget.
func (c *Cache[K, V]) Bytes() int64 {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.used
}

func (c *Cache[K, V]) remove(e *entry[K, V]) {
	c.unlink(e)
	delete(c.m, e.key)
	c.used -= e.cost
}

func (c *Cache[K, V]) unlink(e *entry[K, V]) {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
}

func (c *Cache[K, V]) pushFront(e *entry[K, V]) {
	e.prev, e.next = &c.root, c.root.next
	c.root.next.prev = e
	c.root.next = e
}
