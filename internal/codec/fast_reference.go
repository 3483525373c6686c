//go:build kinject_reference

package codec

// Fast is false in a build with the kinject_reference tag: every fast path
// declines and the reference paths alone run.
const Fast = false
