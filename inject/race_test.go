//go:build race

package inject

// raceEnabled reports whether the race detector is on: tests of memory
// and of huge inputs, which it slows tenfold and tells nothing about, skip.
const raceEnabled = true
