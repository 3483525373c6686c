package cache

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// op is one step of a cache scenario: a put (with its cost) or a get.
type op struct {
	put  bool
	key  string
	cost int64
	want bool // put: kept; get: hit
}

func TestCache(t *testing.T) {
	// A budget of 16 entries of cost 0 (each is charged Overhead).
	const budget = 16 * Overhead
	tests := []struct {
		name   string
		ops    []op
		reason string
	}{
		{"miss", []op{{key: "a"}}, "an empty cache misses"},
		{"hit", []op{{put: true, key: "a", want: true}, {key: "a", want: true}}, "a stored value is found"},
		{"outsized", []op{{put: true, key: "a", cost: 1, want: false}, {key: "a"}}, "a value over a sixteenth of the budget is not kept"},
		{"outsized-replaces", []op{{put: true, key: "a", want: true}, {put: true, key: "a", cost: 1}, {key: "a"}}, "an outsized value removes what its key held"},
		{"evicts-oldest", append(puts("k", 16), op{put: true, key: "new", want: true}, op{key: "k0"}, op{key: "k1", want: true}, op{key: "new", want: true}),
			"the seventeenth entry evicts the least recently used"},
		{"lru-not-fifo", append(append(puts("k", 16), op{key: "k0", want: true}), op{put: true, key: "new", want: true}, op{key: "k0", want: true}, op{key: "k1"}),
			"a hit makes an entry recent: the oldest untouched one goes instead"},
		{"replace", []op{{put: true, key: "a", want: true}, {put: true, key: "a", want: true}, {key: "a", want: true}}, "a key stored twice holds one entry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New[string, int](budget)
			for i, o := range tt.ops {
				if o.put {
					if got := c.Put(o.key, i, o.cost); got != o.want {
						t.Fatalf("step %d: Put(%s) = %v, want %v: %s", i, o.key, got, o.want, tt.reason)
					}
				} else if _, got := c.Get(o.key); got != o.want {
					t.Fatalf("step %d: Get(%s) = %v, want %v: %s", i, o.key, got, o.want, tt.reason)
				}
				if c.Bytes() > c.Budget() {
					t.Fatalf("step %d: %d bytes held, budget %d", i, c.Bytes(), c.Budget())
				}
				if want := int64(c.Len()) * Overhead; o.cost == 0 && c.Bytes() != want {
					t.Fatalf("step %d: Bytes = %d, want %d for %d entries", i, c.Bytes(), want, c.Len())
				}
			}
		})
	}
}

func puts(prefix string, n int) []op {
	var ops []op
	for i := 0; i < n; i++ {
		ops = append(ops, op{put: true, key: fmt.Sprint(prefix, i), want: true})
	}
	return ops
}

func TestCacheDisabled(t *testing.T) {
	for _, budget := range []int64{0, -1} {
		c := New[string, int](budget)
		if c != nil {
			t.Fatalf("New(%d) = %v, want nil (disabled)", budget, c)
		}
		if c.Put("a", 1, 0) {
			t.Error("a nil cache kept a value")
		}
		if _, ok := c.Get("a"); ok {
			t.Error("a nil cache hit")
		}
		if c.Len() != 0 || c.Bytes() != 0 || c.Budget() != 0 || c.MaxEntry() != 0 {
			t.Error("a nil cache reports contents")
		}
	}
}

// TestCacheBound puts values of many sizes and checks the held bytes never
// exceed the budget, whatever the mix.
func TestCacheBound(t *testing.T) {
	c := New[int, []byte](1 << 20)
	for i := 0; i < 10000; i++ {
		size := int64((i * 7919) % (100 << 10))
		c.Put(i%3000, make([]byte, size), size)
		if c.Bytes() > c.Budget() {
			t.Fatalf("after %d puts: %d bytes held, budget %d", i, c.Bytes(), c.Budget())
		}
	}
	if c.Len() == 0 {
		t.Fatal("nothing kept")
	}
}

func TestCacheConcurrent(t *testing.T) {
	c := New[int, int](64 * Overhead)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 2000; i++ {
				k := (i * (g + 1)) % 100
				if v, ok := c.Get(k); ok && v != k {
					t.Errorf("Get(%d) = %d", k, v)
					return
				}
				c.Put(k, k, 0)
			}
		}()
	}
	wg.Wait()
	if c.Bytes() > c.Budget() {
		t.Fatalf("%d bytes held, budget %d", c.Bytes(), c.Budget())
	}
}

type sample struct {
	Name   string
	Tags   map[string]string
	Items  []item
	Ptr    *item
	Any    any
	hidden []byte
}

type item struct {
	A, B string
	N    int64
}

func TestSizeOf(t *testing.T) {
	tests := []struct {
		name   string
		v      any
		min    int64
		reason string
	}{
		{"nil", nil, 0, "nothing"},
		{"string", strings.Repeat("x", 1000), 1000, "a string's bytes"},
		{"bytes", make([]byte, 10, 4096), 4096, "a slice's capacity, not its length"},
		{"map", map[string]string{"a": strings.Repeat("v", 500)}, 500, "map values"},
		{"unexported", sample{hidden: make([]byte, 2048)}, 2048, "unexported fields count"},
		{"pointer", &item{A: strings.Repeat("a", 300)}, 300, "what a pointer reaches"},
		{"interface", sample{Any: strings.Repeat("i", 700)}, 700, "an interface's dynamic value"},
	}
	for _, tt := range tests {
		if got := SizeOf(tt.v); got < tt.min {
			t.Errorf("%s: SizeOf = %d, want at least %d: %s", tt.name, got, tt.min, tt.reason)
		}
	}
	shared := &item{A: strings.Repeat("s", 1000)}
	once := SizeOf(sample{Ptr: shared})
	twice := SizeOf([]sample{{Ptr: shared}, {Ptr: shared}})
	if twice > 2*once {
		t.Errorf("a pointer reached twice counted twice: %d for two, %d for one", twice, once)
	}
}

// TestSizeOfMatchesHeap compares SizeOf with what the heap grows by when
// many copies of a value are kept: the estimate must not be below what the
// runtime measures (a budget built on it would be exceeded), nor far above
// it (a budget would keep much less than it says).
func TestSizeOfMatchesHeap(t *testing.T) {
	mk := func(i int) *sample {
		s := &sample{Name: fmt.Sprintf("name-%d", i), Tags: map[string]string{}, Ptr: &item{A: "x"}}
		for k := 0; k < 40; k++ {
			s.Tags[fmt.Sprintf("key-%d-%d", i, k)] = fmt.Sprintf("value-%d", k)
			s.Items = append(s.Items, item{A: fmt.Sprintf("a-%d", k), B: strings.Repeat("b", k), N: int64(k)})
		}
		return s
	}
	const n = 2000
	keep := make([]*sample, 0, n)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	est := int64(0)
	for i := 0; i < n; i++ {
		keep = append(keep, mk(i))
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	for _, s := range keep {
		est += SizeOf(s)
	}
	heap := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	runtime.KeepAlive(keep)
	t.Logf("SizeOf total %d, heap grew by %d (ratio %.2f)", est, heap, float64(est)/float64(heap))
	if est < heap*9/10 {
		t.Errorf("SizeOf estimates %d bytes, the heap grew by %d: an underestimate breaks the budget", est, heap)
	}
	if est > heap*2 {
		t.Errorf("SizeOf estimates %d bytes, the heap grew by %d: too pessimistic", est, heap)
	}
}
