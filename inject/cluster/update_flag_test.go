package cluster

import "flag"

// update is accepted so that `go test ./... -update`, the command that
// refreshes golden files, runs in every package of the module; this package
// has no golden files, so it does nothing here. A package that gains golden
// files uses it.
var update = flag.Bool("update", false, "rewrite golden files in testdata (this package has none)")
