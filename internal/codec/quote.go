package codec

import (
	"unicode/utf16"
	"unicode/utf8"
)

// QuoteFlags choose between encoding/json's two ways of writing a string.
type QuoteFlags uint8

// EscapeHTML writes <, > and & as \u003c, \u003e and \u0026, as
// json.Marshal does (and an Encoder with SetEscapeHTML(true)). Without it
// the result is an Encoder's with SetEscapeHTML(false).
const EscapeHTML QuoteFlags = 1

// plain[f][c] reports whether byte c is written as itself under flags f:
// ASCII, printable, not '"' or '\\' (nor <, > or & with EscapeHTML). DEL
// is printed as itself, as encoding/json does. Bytes from 0x80 are not
// plain (they need a look at the rune), so one load decides.
var plain = func() (t [2][256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[0][c] = c != '"' && c != '\\'
		t[EscapeHTML][c] = t[0][c] && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// AppendQuote appends s as a JSON string, byte for byte as encoding/json
// writes it: '"', '\\' and control characters escaped (\b, \f, \n, \r, \t
// short, the others as \u00XX), each byte that is not UTF-8 as \ufffd,
// U+2028 and U+2029 escaped whatever the flags, and <, > and & with
// EscapeHTML. It is the only JSON string escaper in kinject.
func AppendQuote[S ~string | ~[]byte](dst []byte, s S, flags QuoteFlags) []byte {
	const hex = "0123456789abcdef"
	html := flags&EscapeHTML != 0
	i := plainEnd(s, 0, html)
	dst = append(dst, '"')
	if i == len(s) {
		// All plain, as most strings are.
		dst = append(dst, s...)
		return append(dst, '"')
	}
	start := 0
	for {
		if i = plainEnd(s, i, html); i >= len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(string(s[i:min(i+utf8.UTFMax, len(s))]))
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// plainEnd returns the index of the first byte from i on that AppendQuote
// does not write as itself (an ASCII byte to escape, or the start of a
// multibyte rune or of bytes that are not UTF-8), or len(s). It reads
// eight bytes at a time while none needs a look (most strings are all
// plain), and is kept apart from AppendQuote so its loops stay in
// registers.
func plainEnd[S ~string | ~[]byte](s S, i int, html bool) int {
	safe := &plain[0]
	if html {
		safe = &plain[EscapeHTML]
	}
	for ; i+8 <= len(s); i += 8 {
		if needsLook(load8(s, i), html) {
			break
		}
	}
	for ; i < len(s); i++ {
		if !safe[s[i]] {
			return i
		}
	}
	return i
}

// load8 reads s[i:i+8] as a little-endian word (one load).
func load8[S ~string | ~[]byte](s S, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// needsLook reports whether one of the eight bytes of x may not be
// written as itself by AppendQuote: a control character, '"', '\\', a
// byte of a multibyte rune (or not UTF-8), and with html '<', '>' or '&'.
// Each term sets a byte's high bit where its test holds, by the
// has-zero-byte and has-byte-less-than word tricks ((v-0x01..)&^v, and
// (x-0x20..)&^x), which are exact for whether any byte does: false means
// all eight bytes are plain.
func needsLook(x uint64, html bool) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	t := x | (x-0x20*ones)&^x // bytes >= 0x80, bytes < 0x20
	v := x ^ '\\'*ones
	t |= (v - ones) &^ v
	if html {
		// x|4 is '&' only for '"' and '&'; x|2 is '>' only for '<' and '>'.
		v = (x | 4*ones) ^ '&'*ones
		t |= (v - ones) &^ v
		v = (x | 2*ones) ^ '>'*ones
		t |= (v - ones) &^ v
	} else {
		v = x ^ '"'*ones
		t |= (v - ones) &^ v
	}
	return t&highs != 0
}

// QuotedLen is len(AppendQuote(nil, s, flags)), computed without writing.
func QuotedLen[S ~string | ~[]byte](s S, flags QuoteFlags) int {
	safe := &plain[flags&EscapeHTML]
	n := len(s) + 2
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(string(s[i:min(i+utf8.UTFMax, len(s))]))
			if r == utf8.RuneError && size == 1 {
				n += 5 // one byte becomes \ufffd
			} else if r == '\u2028' || r == '\u2029' {
				n += 3 // three bytes become \u202X
			}
			i += size
			continue
		}
		if !safe[c] {
			n += escapeExtra(c)
		}
		i++
	}
	return n
}

// escapeExtra is how many bytes escaping ASCII byte c adds.
func escapeExtra(c byte) int {
	switch c {
	case '"', '\\', '\b', '\f', '\n', '\r', '\t':
		return 1
	}
	return 5
}

// NeedsQuoting reports whether AppendQuote writes s as anything other than
// s between two quotes.
func NeedsQuoting[S ~string | ~[]byte](s S, flags QuoteFlags) bool {
	safe := &plain[flags&EscapeHTML]
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || !safe[c] {
			if c < utf8.RuneSelf {
				return true
			}
			return QuotedLen(s[i:], flags) != len(s)-i+2
		}
	}
	return false
}

// AppendUnquote appends the text of a JSON string whose body (what lies
// between its quotes) is body, as encoding/json decodes it: escapes
// resolved, surrogate pairs joined, a lone surrogate or a byte that is not
// UTF-8 as U+FFFD. ok is false, with dst unchanged, for a body that is not
// JSON: a raw control character, an unknown or cut-off escape, an
// unescaped quote.
func AppendUnquote(dst, body []byte) (_ []byte, ok bool) {
	out := dst
	for i := 0; i < len(body); {
		c := body[i]
		switch {
		case c == '"' || c < 0x20:
			return dst, false
		case c == '\\':
			if i+1 >= len(body) {
				return dst, false
			}
			switch e := body[i+1]; e {
			case '"', '\\', '/':
				out = append(out, e)
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				r, ok := hex4(body[i+2:])
				if !ok {
					return dst, false
				}
				i += 6
				if utf16.IsSurrogate(r) {
					if r2, ok := hex4(body[min(i+2, len(body)):]); ok && i+1 < len(body) && body[i] == '\\' && body[i+1] == 'u' {
						if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
							out = utf8.AppendRune(out, d)
							i += 6
							continue
						}
					}
					r = utf8.RuneError
				}
				out = utf8.AppendRune(out, r)
				continue
			default:
				return dst, false
			}
			i += 2
		case c < utf8.RuneSelf:
			j := i + 1
			for j < len(body) && body[j] >= 0x20 && body[j] < utf8.RuneSelf && body[j] != '"' && body[j] != '\\' {
				j++
			}
			out = append(out, body[i:j]...)
			i = j
		default:
			r, size := utf8.DecodeRune(body[i:])
			if r == utf8.RuneError && size == 1 {
				out = utf8.AppendRune(out, utf8.RuneError)
			} else {
				out = append(out, body[i:i+size]...)
			}
			i += size
		}
	}
	return out, true
}

// hex4 reads the four hex digits a \u escape starts with.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}
