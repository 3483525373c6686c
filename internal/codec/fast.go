//go:build !kinject_reference

package codec

// Fast reports whether fast paths may be taken. The kinject_reference
// build tag sets it to false, so every fast path declines and the
// reference paths alone run: go test -tags kinject_reference ./...
const Fast = true
