package patch

import (
	"encoding/json"
	"testing"
)

// BenchmarkParse measures the tokenizer on the injected sidecar pod, with
// encoding/json's Valid on the same bytes as a yardstick.
func BenchmarkParse(b *testing.B) {
	_, modified := sidecarPair(b)
	b.Run("kinject", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(modified)))
		for b.Loop() {
			if _, err := parse("modified", modified); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json.Valid", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(modified)))
		for b.Loop() {
			if !json.Valid(modified) {
				b.Fatal("invalid")
			}
		}
	})
}
