package codec

import (
	"encoding/base64"
	"encoding/binary"
	"slices"
)

// base64Pairs maps twelve bits to their two characters of the standard
// base64 alphabet, the first in the low byte: a table of 8 KB, built once
// and only read, that writes two characters with one load.
var base64Pairs = func() (t [1 << 12]uint16) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for x := range t {
		t[x] = uint16(alphabet[x>>6]) | uint16(alphabet[x&63])<<8
	}
	return t
}()

// appendBase64 appends base64.StdEncoding's encoding of src (how
// encoding/json writes a []byte). Six bytes become eight characters per
// step, read as one word; the last bytes (fewer than eight, a multiple of
// three before them) are left to base64.StdEncoding, which pads them.
func appendBase64(b, src []byte) []byte {
	n := base64.StdEncoding.EncodedLen(len(src))
	b = slices.Grow(b, n)
	out := b[len(b) : len(b)+n]
	in, to := src, out
	for len(in) >= 8 && len(to) >= 8 {
		x := binary.BigEndian.Uint64(in)
		binary.LittleEndian.PutUint64(to, uint64(base64Pairs[x>>52])|uint64(base64Pairs[x>>40&0xfff])<<16|
			uint64(base64Pairs[x>>28&0xfff])<<32|uint64(base64Pairs[x>>16&0xfff])<<48)
		in, to = in[6:], to[8:]
	}
	base64.StdEncoding.Encode(to, in)
	return b[:len(b)+n]
}
