package yamlout

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/kinject/kinject/internal/codec"
)

// check converts j both ways and fails on any difference; it reports
// whether the fast path was taken.
func check(t testing.TB, j []byte) bool {
	t.Helper()
	want, werr := Reference(j)
	got, ok := Append([]byte("prefix\n"), j)
	if !strings.HasPrefix(string(got), "prefix\n") {
		t.Fatalf("lost the prefix: %q", got)
	}
	if !ok {
		return false
	}
	got = got[len("prefix\n"):]
	n, p, ok := parseJSON(j)
	defer p.release()
	if ok && !totalOrder(&n) {
		// yaml.v2's key order is not transitive on these keys (a2 < a12 <
		// a1A1 < a2): its output depends on map iteration order, so there is
		// no one answer to compare with. Append's order is the same on
		// every run.
		again, _ := Append(nil, j)
		if string(again) != string(got) {
			t.Fatalf("%s: two runs differ", j)
		}
		return true
	}
	if werr != nil {
		t.Fatalf("%s: taken where the reference fails (%v): %q", j, werr, got)
	}
	if string(got) != string(want) {
		t.Fatalf("%s:\n got %q\nwant %q", j, got, want)
	}
	return true
}

var long = strings.Repeat("word ", 30)

// totalOrder reports whether yaml.v2's key comparison orders every
// object's keys consistently (it is not transitive for some mixes of
// digits and letters).
func totalOrder(n *node) bool {
	for i := range n.members {
		for j := range n.members {
			a, b := n.members[i].key, n.members[j].key
			for k := range n.members {
				c := n.members[k].key
				if keyLess(a, b) && keyLess(b, c) && !keyLess(a, c) {
					return false
				}
			}
		}
		if !totalOrder(&n.members[i].value) {
			return false
		}
	}
	for i := range n.items {
		if !totalOrder(&n.items[i]) {
			return false
		}
	}
	return true
}

var cases = []struct {
	name, reason, json string
	declines           bool
}{
	{"object", "keys sorted, scalars plain", `{"b":1,"a":"x","c":true,"d":null,"e":false}`, false},
	{"nested", "mappings in mappings", `{"metadata":{"labels":{"app":"web"},"name":"w"},"spec":{}}`, false},
	{"sequence", "a sequence under a key is not indented", `{"args":["a","b"],"x":[{"name":"n","v":[1,2]},{"name":"m"}]}`, false},
	{"sequence of sequences", "nested sequences are indented", `[[1,[2,3]],[],[{}]]`, false},
	{"empty", "empty collections are flow", `{"a":{},"b":[],"c":[[]],"d":[{}]}`, false},
	{"root empty", "an empty root", `{}`, false},
	{"root scalar", "a scalar document ends open", `"text"`, false},
	{"root number", "a number document", `12`, false},
	{"root array", "a sequence document", `[1,"a"]`, false},
	{"natural order", "digits compare as numbers, letters first", `{"a10":1,"a9":2,"a09":3,"a":4,"A":5,"_x":6,"x1y":7,"x01y":8,"10":9,"9":10,"é":11,"z":12,"Z-1":13}`, false},
	{"resolved strings", "strings that would read as something else are quoted", `{"a":"true","b":"yes","c":"null","d":"","e":"~","f":"123","g":"1.5","h":"0x1F","i":"1e3","j":".inf","k":"2024-01-02","l":"12:30","m":"+1","n":"-","o":"0b101","p":"<<","q":"y","r":"on","s":"No","t":".5","u":"1_000","v":"0o17","w":"2001-12-14t21:59:43.10-05:00","x":"1:2:3.5"}`, false},
	{"indicators", "strings starting with an indicator are quoted", `{"a":"-x","b":"- x","c":"#x","d":"a #b","e":"a#b","f":"a: b","g":"a:b","h":"*x","i":"&x","j":"!x","k":"%x","l":"@x","m":"` + "`x" + `","n":"{x","o":"[x","p":"'x","q":"\"x","r":"---x","s":"...","t":"?x","u":"? x",":":"k","v":"x,y","w":"|x","y":">x"}`, false},
	{"spaces", "leading and trailing spaces quote", `{"a":" x","b":"x ","c":"  ","d":"x  y","e":"\tx"}`, false},
	{"quotes", "single quotes are doubled, double quotes escaped", `{"a":"it's","b":"say \"hi\"","c":"back\\slash","d":"'","e":"\"quoted\" and 'single'"}`, false},
	{"control", "control characters are escaped", `{"a":"\u0000\u0007\b\t\u000b\f\r\u001b\u0001\u007f","b":"x\u0085y","c":"\u00a0","d":"\u2028\u2029","e":"\ufeffbom","f":"\ufffe","g":"\ud83d\ude00","h":"é\u00e9"}`, false},
	{"literal", "strings with line breaks are literal blocks", `{"a":"line1\nline2","b":"end\n","c":"two\n\n","d":"\n","e":"\nlead","f":" lead\nx","g":"a\n\nb","h":"trail \nx","i":"x\n ","j":{"k":["l1\nl2"]}}`, false},
	{"literal keep last", "a document ending with a kept block scalar ends open", `{"z":"x\n\n"}`, false},
	{"folding", "long plain, single and double quoted lines fold past column 80", `{"plain":"` + long + `x","single":"#` + long + `x","double":"\t` + long + `x","key":{"nested":{"deeper":"` + long + `"}},"list":["` + long + `z"],"spaces":"` + strings.Repeat("ab  ", 30) + `x"}`, false},
	{"folding unicode", "columns count characters, not bytes", `{"u":"` + strings.Repeat("é ", 50) + `"}`, false},
	{"numbers", "numbers typed as yaml.v2 resolves them", `{"a":0,"b":-0,"c":1.5,"d":1e3,"e":1.0,"f":-12.25e-10,"g":9223372036854775807,"h":18446744073709551615,"i":1e400,"j":123456789012345678901234567890,"k":0.1,"l":1e21,"m":-1}`, false},
	{"escapes", "JSON escapes decode", `{"a":"\u003chtml\u003e \u0026","b":"\/","c":"\ud800","d":"\udc00x","e":"\ud800\u0041"}`, false},
	{"long key", "a key longer than 128 bytes is a complex key", `{"` + strings.Repeat("k", 129) + `":1}`, true},
	{"multiline key", "a key with a line break is a complex key", `{"a\nb":1}`, true},
	{"key quoting", "keys are quoted like values but never folded", `{"true":1,"":2,"a b":3,"` + strings.Repeat("w ", 60) + `":4," lead":5}`, false},
	{"duplicate", "duplicate keys are left to the reference", `{"a":1,"a":2}`, true},
	{"cyclic order", "keys yaml.v2 cannot order: Append's order is deterministic", `{"a12":7,"a2":0,"a1A1":12}`, false},
	{"invalid", "invalid JSON declines", `{"a":}`, true},
}

// skipReference skips tests that require the fast path taken, in a build
// where every fast path declines.
func skipReference(t *testing.T) {
	if !codec.Fast {
		t.Skip("kinject_reference build: the fast path always declines")
	}
}

func TestMatchesReference(t *testing.T) {
	skipReference(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !json.Valid([]byte(tc.json)) && !tc.declines {
				t.Fatalf("test JSON is invalid: %s", tc.json)
			}
			taken := check(t, []byte(tc.json))
			if taken == tc.declines {
				t.Errorf("taken = %v: %s", taken, tc.reason)
			}
		})
	}
}

// TestMatchesSigsYAML checks the reference itself against
// sigs.k8s.io/yaml.JSONToYAML on objects as Kubernetes JSON has them.
func TestMatchesSigsYAML(t *testing.T) {
	for _, tc := range cases {
		if tc.declines || tc.name == "natural order" || tc.name == "cyclic order" || tc.name == "numbers" || tc.name == "escapes" {
			continue // sigs reads JSON keys and huge numbers with YAML rules; kinject with encoding/json's
		}
		want, err := yaml.JSONToYAML([]byte(tc.json))
		if err != nil {
			continue
		}
		got, err := Reference([]byte(tc.json))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("%s: reference differs from sigs.k8s.io/yaml:\n got %q\nwant %q", tc.name, got, want)
		}
	}
}

// randomJSON builds a document from r: nested objects and arrays of
// strings drawn from a set chosen to hit every style decision.
func randomJSON(r *rand.Rand, depth int) any {
	pieces := []string{"", " ", "a", "b c", "true", "1", "-", ":", "#", "'", "\"", "\\", "\n", "\t", "x\n", "é", "\u0085", "\u2028", "\ufeff", "0x1", "1.5", "-1", "null", "~", "---", "...", "a: b", "- x", "12:30", "2024-01-02", long, "  ", "\r", "\x00", "\u00a0", "😀", "0b1", "1e3", "y", "Off"}
	switch k := r.IntN(10); {
	case depth > 4 || k < 5:
		switch r.IntN(6) {
		case 0:
			return r.IntN(2000) - 1000
		case 1:
			return r.Float64() * 1e6
		case 2:
			return r.IntN(2) == 0
		case 3:
			return nil
		}
		var b strings.Builder
		for range r.IntN(4) + 1 {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		return b.String()
	case k < 8:
		m := map[string]any{}
		for range r.IntN(5) {
			m[pieces[r.IntN(len(pieces))]+fmt.Sprint(r.IntN(20))] = randomJSON(r, depth+1)
		}
		return m
	default:
		var l []any
		for range r.IntN(4) {
			l = append(l, randomJSON(r, depth+1))
		}
		if l == nil {
			l = []any{}
		}
		return l
	}
}

func TestRandomDocuments(t *testing.T) {
	skipReference(t)
	r := rand.New(rand.NewPCG(1, 2))
	taken := 0
	for range 3000 {
		j, err := json.Marshal(randomJSON(r, 0))
		if err != nil {
			t.Fatal(err)
		}
		if check(t, j) {
			taken++
		}
	}
	if taken < 2000 { // keys with line breaks decline
		t.Errorf("taken on %d of 3000 random documents", taken)
	}
}

// FuzzAppend converts any text both ways: where the fast path is taken it
// must print the reference's bytes.
func FuzzAppend(f *testing.F) {
	for _, tc := range cases {
		f.Add(tc.json)
	}
	f.Fuzz(func(t *testing.T, s string) {
		check(t, []byte(s))
	})
}

// FuzzDocuments builds a random document from each seed (see randomJSON):
// structured input the fuzzer could not reach from JSON text.
func FuzzDocuments(f *testing.F) {
	for i := range 20 {
		f.Add(uint64(i), uint64(i*7+1))
	}
	f.Fuzz(func(t *testing.T, a, b uint64) {
		j, err := json.Marshal(randomJSON(rand.New(rand.NewPCG(a, b)), 0))
		if err != nil {
			t.Fatal(err)
		}
		check(t, j)
	})
}

// BenchmarkJSONToYAML converts an injected Deployment (testdata).
func BenchmarkJSONToYAML(b *testing.B) {
	j := deploymentJSON(b)
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(j)))
		for b.Loop() {
			if _, ok := Append(nil, j); !ok {
				b.Fatal("declined")
			}
		}
	})
	b.Run("reference", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(j)))
		for b.Loop() {
			if _, err := Reference(j); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// deploymentJSON is the JSON of an injected Deployment from the repository's
// golden files.
func deploymentJSON(tb testing.TB) []byte {
	in, err := os.ReadFile(filepath.Join("..", "..", "testdata", "examples", "deployment.injected.yaml"))
	if err != nil {
		tb.Skip(err)
	}
	doc := bytes.Split(in, []byte("\n---\n"))[0]
	j, err := yaml.YAMLToJSON(doc)
	if err != nil {
		tb.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(j, &v); err != nil {
		tb.Fatal(err)
	}
	j, err = json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return j
}

// TestGoldensAndCorpus converts every YAML document of the repository's
// testdata and of Istio's corpus outputs (want.yaml), as JSON, both ways:
// the fast path must be taken and print the reference's bytes.
func TestGoldensAndCorpus(t *testing.T) {
	skipReference(t)
	var files []string
	filepath.WalkDir(filepath.Join("..", "..", "testdata"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			files = append(files, p)
		}
		return nil
	})
	corpus := os.Getenv("KINJECT_ISTIO_CORPUS")
	if corpus == "" {
		corpus = filepath.Join("..", "..", "..", "shared", "istio-corpus")
	}
	want, _ := filepath.Glob(filepath.Join(corpus, "cases", "*", "want.yaml"))
	if len(want) == 0 {
		t.Logf("Istio corpus not found at %s (set KINJECT_ISTIO_CORPUS): repository goldens only", corpus)
	}
	files = append(files, want...)
	docs, taken := 0, 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range strings.Split(string(b), "\n---") {
			j, err := yaml.YAMLToJSON([]byte(doc))
			if err != nil || !bytes.HasPrefix(j, []byte("{")) {
				continue
			}
			docs++
			if check(t, j) {
				taken++
			} else {
				t.Errorf("%s: declined on %.80s", f, j)
			}
		}
	}
	if docs < 50 {
		t.Errorf("only %d documents", docs)
	}
	t.Logf("%d documents, %d taken", docs, taken)
}

// TestNumberSyntax checks the hand-written float and base-60 matchers
// against yaml.v2's regular expressions on strings of their alphabet.
func TestNumberSyntax(t *testing.T) {
	float := regexp.MustCompile(`^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`)
	base60 := regexp.MustCompile(`^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`)
	r := rand.New(rand.NewPCG(3, 4))
	alphabet := "0123456789+-.eE:_x"
	for range 200000 {
		b := make([]byte, r.IntN(8))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		s := string(b)
		if got, want := yamlFloat(s), float.MatchString(s); got != want {
			t.Fatalf("yamlFloat(%q) = %v, want %v", s, got, want)
		}
		if got, want := isBase60Float(b), base60.MatchString(s); got != want {
			t.Fatalf("isBase60Float(%q) = %v, want %v", s, got, want)
		}
	}
}
