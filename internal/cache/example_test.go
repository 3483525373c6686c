package cache_test

import (
	"fmt"

	"github.com/kinject/kinject/internal/cache"
)

// A cache of 64 KiB keeps small answers, refuses one over a sixteenth of
// its budget, and evicts the least recently used when full.
func Example() {
	c := cache.New[string, []byte](64 << 10)
	small := []byte("a patch")
	fmt.Println(c.Put("pod-a", small, cache.SizeOf(small)))
	big := make([]byte, 8<<10)
	fmt.Println(c.Put("pod-b", big, cache.SizeOf(big)))
	v, ok := c.Get("pod-a")
	fmt.Println(string(v), ok, c.Len())
	// Output:
	// true
	// false
	// a patch true 1
}
