package inject_test

import (
	"context"
	"fmt"
	"log"

	"github.com/kinject/kinject/inject"
)

// A webhook's metrics read the Reviewer's cache counters: the second
// replica of a pod is answered from the cache.
func ExampleReviewer_Stats() {
	inj, err := inject.New(inject.DefaultConfig())
	if err != nil {
		log.Fatal(err)
	}
	rv := inject.NewReviewer(inj, inject.ReviewerOptions{})
	for _, uid := range []string{"replica-1", "replica-2"} {
		review := `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"` + uid + `",` +
			`"kind":{"group":"","version":"v1","kind":"Pod"},"namespace":"shop","operation":"CREATE",` +
			`"object":{"metadata":{"generateName":"web-7c9f-"},"spec":{"containers":[{"name":"web","image":"nginx:1.27"}]}}}}`
		if _, err := rv.Review(context.Background(), []byte(review)); err != nil {
			log.Fatal(err)
		}
	}
	s := rv.Stats()
	fmt.Println("hits", s.Hits, "misses", s.Misses, "entries", s.Entries, "holds bytes", s.Bytes > 0)
	// Output:
	// hits 1 misses 1 entries 1 holds bytes true
}
