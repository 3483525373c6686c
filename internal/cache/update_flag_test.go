package cache

import "flag"

// update is accepted so that `go test ./... -update`, the command that
// refreshes golden files, runs in every package of the module; this package
// has no golden files, so it does nothing here. When the package gains
// golden files, use this flag or delete this file (a second "update" flag,
// say in the _test package, panics with "flag redefined" at start).
var update = flag.Bool("update", false, "rewrite golden files in testdata (this package has none)")
