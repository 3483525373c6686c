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

func checkUnquote(t testing.TB, body string) {
	t.Helper()
	var want string
	err := json.Unmarshal([]byte(`"`+body+`"`), &want)
	got, ok := AppendUnquote([]byte("x"), []byte(body))
	if ok != (err == nil) {
		t.Fatalf("AppendUnquote(%q) ok = %v, encoding/json: %v", body, ok, err)
	}
	if ok && string(got) != "x"+want {
		t.Fatalf("AppendUnquote(%q) = %q, encoding/json %q", body, got[1:], want)
	}
	if !ok && string(got) != "x" {
		t.Fatalf("AppendUnquote(%q) declined but changed dst: %q", body, got)
	}
}

func TestAppendUnquote(t *testing.T) {
	for _, tt := range []struct{ name, body, reason string }{
		{"plain", "istio-proxy", "nothing to resolve"},
		{"escapes", `a\"b\\c\/d\b\f\n\r\t`, "every short escape"},
		{"unicode", `\u00e9\u65e5`, "\\u escapes"},
		{"pair", `\ud83d\ude80`, "a surrogate pair is one rune"},
		{"lone high", `a\ud83db`, "a lone surrogate is U+FFFD"},
		{"lone low", `\ude80`, "a low surrogate alone too"},
		{"high then other escape", `\ud83d\u0041`, "the second escape is read on its own"},
		{"invalid utf-8", "a\xffb\xc3", "bytes that are not UTF-8 become U+FFFD"},
		{"multibyte", "héllo 日本", "valid UTF-8 as is"},
		{"control", "a\nb", "a raw newline is not JSON"},
		{"bad escape", `\x41`, "unknown escape"},
		{"cut escape", `ab\`, "a backslash at the end"},
		{"cut unicode", `\u00e`, "three hex digits"},
		{"bad hex", `\u00g1`, "not hex"},
		{"quote", `a"b`, "an unescaped quote ends the string"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Log(tt.reason)
			checkUnquote(t, tt.body)
		})
	}
}

func FuzzAppendUnquote(f *testing.F) {
	for _, s := range []string{`a\"b`, `\ud83d\ude80`, `\ud83d`, "\xff", `\u00zz`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) { checkUnquote(t, body) })
}
