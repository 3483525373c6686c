package codec

import "unicode/utf8"

// QuoteFlags choose between encoding/json's two ways of writing a string.
type QuoteFlags uint8

// EscapeHTML writes <, > and & as \u003c, \u003e and \u0026, as
// json.Marshal does (and an Encoder with SetEscapeHTML(true)). Without it
// the result is an Encoder's with SetEscapeHTML(false).
const EscapeHTML QuoteFlags = 1

// plain[f][c] reports whether ASCII byte c is written as itself under flags
// f: printable, not '"' or '\\' (nor <, > or & with EscapeHTML). DEL is
// printed as itself, as encoding/json does.
var plain = func() (t [2][utf8.RuneSelf]bool) {
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
	safe := &plain[flags&EscapeHTML]
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if safe[c] {
				i++
				continue
			}
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
