package codec

import (
	"bytes"
	"encoding/json"
	"testing"
)

// referenceQuote is encoding/json's string encoding, with or without HTML
// escaping.
func referenceQuote(t testing.TB, s string, flags QuoteFlags) string {
	t.Helper()
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(flags&EscapeHTML != 0)
	if err := e.Encode(s); err != nil {
		t.Fatal(err)
	}
	return string(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}

func checkQuote(t testing.TB, s string) {
	t.Helper()
	for _, flags := range []QuoteFlags{0, EscapeHTML} {
		want := referenceQuote(t, s, flags)
		if got := string(AppendQuote(nil, s, flags)); got != want {
			t.Fatalf("AppendQuote(%q, %d) = %s, encoding/json writes %s", s, flags, got, want)
		}
		if got := string(AppendQuote([]byte("x"), []byte(s), flags)); got != "x"+want {
			t.Fatalf("AppendQuote([]byte %q, %d) = %s, want x%s", s, flags, got, want)
		}
		if n := QuotedLen(s, flags); n != len(want) {
			t.Fatalf("QuotedLen(%q, %d) = %d, want %d", s, flags, n, len(want))
		}
		if got, exp := NeedsQuoting(s, flags), want != `"`+s+`"`; got != exp {
			t.Fatalf("NeedsQuoting(%q, %d) = %v, want %v", s, flags, got, exp)
		}
	}
}

func TestAppendQuote(t *testing.T) {
	for _, tt := range []struct{ name, s, reason string }{
		{"empty", "", "two quotes"},
		{"plain", "istio-proxy", "nothing to escape"},
		{"quotes", `a"b\c`, "quote and backslash"},
		{"short escapes", "\b\f\n\r\t", "encoding/json's two-character escapes"},
		{"controls", "\x00\x01\x1f", "other control characters as \\u00XX"},
		{"del", "a\x7fb", "DEL is written as itself"},
		{"html", "<a href='x'>&</a>", "escaped only with EscapeHTML"},
		{"separators", "x\u2028y\u2029z", "U+2028 and U+2029 escaped whatever the flags"},
		{"invalid", "a\xffb\xc3", "each byte that is not UTF-8 becomes \\ufffd"},
		{"multibyte", "héllo 日本 🚀", "valid UTF-8 is written as itself"},
		{"truncated rune at end", "ab\xe2\x80", "a cut-off rune is two invalid bytes"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Log(tt.reason)
			checkQuote(t, tt.s)
		})
	}
}

func FuzzAppendQuote(f *testing.F) {
	for _, s := range []string{"", "a\"b", "<&>", "\u2028", "\xff", "\x01\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkQuote(t, s) })
}
