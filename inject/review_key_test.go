package inject

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

func TestManagedFieldsSpan(t *testing.T) {
	const mf = `[{"manager":"m","time":"2026-01-01T00:00:00Z"}]`
	tests := []struct {
		name, raw string
		want      string // the value found, "" for none
		reason    string
	}{
		{"plain", `{"metadata":{"name":"a","managedFields":` + mf + `}}`, mf, "the member"},
		{"blanks", "{ \"metadata\" : { \"managedFields\" :\n" + mf + " } }", mf, "blanks around the tokens"},
		{"label", `{"metadata":{"labels":{"managedFields":"x"}}}`, "", "a label named managedFields is not the member"},
		{"annotation", `{"metadata":{"annotations":{"managedFields":"[]"},"managedFields":[]}}`, "[]", "an annotation named managedFields beside the member"},
		{"string", `{"metadata":{"labels":{"a":"\"managedFields\":[1]"},"managedFields":[]}}`, "[]", "the key inside a string value"},
		{"top-level", `{"managedFields":[],"metadata":{}}`, "", "a top-level member of that name is not metadata's"},
		{"case", `{"METADATA":{"ManagedFields":[]}}`, "[]", "encoding/json matches names ignoring case"},
		{"escape", `{"metadata":{"managed\u0046ields":[]}}`, "[]", "an escaped name is the same name"},
		{"long-s", `{"metadata":{"managedField\u017f":[]}}`, "[]", "ſ folds to s, as encoding/json folds"},
		{"duplicate", `{"metadata":{"managedFields":[],"managedFields":[{}]}}`, "", "two members: the decoder takes both in turn"},
		{"duplicate-spelling", `{"metadata":{"managedFields":[],"managedfields":[{}]}}`, "", "two spellings of one field"},
		{"duplicate-metadata", `{"metadata":{"managedFields":[]},"metadata":{"labels":{}}}`, "", "two metadata members, which the decoder merges"},
		{"metadata-null", `{"metadata":null}`, "", "metadata that is not an object"},
		{"none", `{"metadata":{"name":"a"}}`, "", "no managedFields"},
		{"not-object", `[1,2]`, "", "not an object"},
		{"truncated", `{"metadata":{"managedFields":[`, "", "invalid JSON: no panic, nothing found"},
		{"escaped-quote", `{"metadata":{"labels":{"a":"x\"}\"managedFields\":[1]"},"managedFields":[]}}`, "[]", "an escaped quote does not end a string"},
		{"backslash-pair", `{"metadata":{"labels":{"a":"x\\"},"managedFields":[]}}`, "[]", "an escaped backslash before a quote: the quote ends the string"},
		{"nested-strings", `{"metadata":{"managedFields":[{"fieldsV1":{"f:a]}":{}}}]}}`, `[{"fieldsV1":{"f:a]}":{}}}]`, "brackets inside strings"},
	}
	for _, tt := range tests {
		start, end, ok := managedFieldsSpan([]byte(tt.raw))
		got := ""
		if ok {
			got = tt.raw[start:end]
		}
		if got != tt.want {
			t.Errorf("%s: found %q, want %q: %s", tt.name, got, tt.want, tt.reason)
		}
	}
}

// reviewOf wraps a raw pod in a pod CREATE review.
func reviewOf(uid, ns, pod string) []byte {
	return []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"` + uid + `",` +
		`"kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},` +
		`"namespace":"` + ns + `","operation":"CREATE","object":` + pod + `}}`)
}

// podWithMeta is a small pod with the given members in its metadata.
func podWithMeta(meta string) string {
	return `{"apiVersion":"v1","kind":"Pod","metadata":{"generateName":"web-",` + meta + `},"spec":{"containers":[{"name":"web","image":"nginx"}]}}`
}

// TestReviewerManagedFieldsName is issue 10's item 4: pods that differ
// only in a label or annotation named managedFields, or in a value the
// decoder refuses, got another pod's answer. Each sequence goes through one
// Reviewer; every answer must be Review's.
func TestReviewerManagedFieldsName(t *testing.T) {
	ctx := context.Background()
	fresh := newTestInjector(t, func(c *Config) { c.CacheBytes = -1 })
	sequences := []struct {
		name   string
		metas  []string
		reason string
	}{
		{"label", []string{`"labels":{"managedFields":"a"}`, `"labels":{"managedFields":"b"}`}, "pod B has its own label"},
		{"label-invalid", []string{`"labels":{"managedFields":"a"}`, `"labels":{"managedFields":"a b"}`}, "an invalid label value is denied, not answered from the cache"},
		{"annotation", []string{`"annotations":{"managedFields":"a"}`, `"annotations":{"managedFields":"b"}`}, "pod B has its own annotation"},
		{"value-type", []string{`"managedFields":[]`, `"managedFields":5`}, "a managedFields the decoder refuses is denied"},
		{"value-time", []string{`"managedFields":[{"time":"2026-01-01T00:00:00Z"}]`, `"managedFields":[{"time":"yesterday"}]`}, "a time the decoder refuses is denied"},
		{"value-field-case", []string{`"managedFields":[{"manager":"m"}]`, `"managedFields":[{"MANAGER":5}]`}, "a member matched ignoring case, of the wrong type"},
		{"duplicate", []string{`"managedFields":[]`, `"managedFields":[],"managedFields":7`}, "a second member the decoder sees"},
		{"labels-and-fields", []string{`"labels":{"app":"a"},"managedFields":[{"manager":"x"}]`, `"labels":{"app":"b"},"managedFields":[{"manager":"y"}]`}, "the labels differ, the managed fields do not matter"},
	}
	for _, sq := range sequences {
		rv := NewReviewer(newTestInjector(t, nil), ReviewerOptions{})
		for round := 0; round < 2; round++ {
			for k, meta := range sq.metas {
				body := reviewOf(fmt.Sprintf("u%d", k), "shop", podWithMeta(meta))
				got, gerr := rv.Review(ctx, body)
				want, werr := fresh.Review(ctx, body)
				if gerr != nil || werr != nil || string(got) != string(want) {
					t.Errorf("%s, round %d, pod %d: %s\nReviewer: %s (%v)\nReview:   %s (%v)", sq.name, round, k, sq.reason, got, gerr, want, werr)
				}
			}
		}
	}
}

// TestReviewerManagedFieldsShared: replicas whose managedFields differ
// (the API server's time stamps) still share one answer, however the
// member is spelled.
func TestReviewerManagedFieldsShared(t *testing.T) {
	ctx := context.Background()
	for _, name := range []string{"managedFields", "ManagedFields", `managed\u0046ields`} {
		rv := NewReviewer(newTestInjector(t, nil), ReviewerOptions{})
		for k := 0; k < 3; k++ {
			mf := fmt.Sprintf(`"%s":[{"manager":"kube-controller-manager","operation":"Update","time":"2026-01-01T00:00:0%dZ","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{}}}]`, name, k)
			if _, err := rv.Review(ctx, reviewOf("u", "shop", podWithMeta(mf))); err != nil {
				t.Fatal(err)
			}
		}
		if st := rv.Stats(); st.Entries != 1 || st.Hits != 2 {
			t.Errorf("%s: %+v, want one entry and two hits", name, st)
		}
	}
}

// FuzzReviewerMatchesReview runs generated pods through one Reviewer, in
// sequence and twice over, and compares every answer with Review's on an
// Injector without a cache: the Reviewer promises Review's bytes. The
// generator favours what could confuse a key: labels, annotations and
// names called managedFields (in several spellings), duplicate members,
// escapes, invalid values, and the managedFields value itself.
func FuzzReviewerMatchesReview(f *testing.F) {
	for _, seed := range []string{
		"", "\x00\x01\x02\x03", "\x05\x11\x27\x39\x4a\x5b", "managedFields", strings.Repeat("\xff\x10", 20),
		"\x03\x03\x03\x07\x07\x07\x01\x02\x03\x04\x05\x06\x07\x08",
	} {
		f.Add([]byte(seed))
	}
	fresh := newTestInjector(f, func(c *Config) { c.CacheBytes = -1 })
	// One caching Injector for all inputs (building one per input would
	// dominate the run): its result cache then also meets pods of earlier
	// inputs, which only widens what is checked. Each input gets its own
	// Reviewer.
	shared := newTestInjector(f, nil)
	f.Fuzz(func(t *testing.T, data []byte) {
		g := &podGen{data: data}
		var bodies [][]byte
		for k := 0; k < 4 && (k == 0 || g.more()); k++ {
			bodies = append(bodies, reviewOf(fmt.Sprintf("u%d", k), g.pick("shop", "other"), g.pod()))
		}
		ctx := context.Background()
		rv := NewReviewer(shared, ReviewerOptions{})
		for round := 0; round < 2; round++ {
			for k, body := range bodies {
				got, gerr := rv.Review(ctx, body)
				want, werr := fresh.Review(ctx, body)
				if (gerr == nil) != (werr == nil) || string(got) != string(want) {
					t.Fatalf("round %d, review %d:\n%s\nReviewer: %s (%v)\nReview:   %s (%v)", round, k, body, got, gerr, want, werr)
				}
			}
		}
	})
}

// podGen turns fuzz bytes into raw pods.
type podGen struct {
	data []byte
	at   int
}

func (g *podGen) next() int {
	if g.at >= len(g.data) {
		g.at++
		return g.at % 7
	}
	b := g.data[g.at]
	g.at++
	return int(b)
}

func (g *podGen) more() bool { return g.at < len(g.data) }

func (g *podGen) pick(options ...string) string { return options[g.next()%len(options)] }

var (
	genNames  = []string{`managedFields`, `ManagedFields`, `managed\u0046ields`, `managedFieldſ`, `app`, `metadata`, `a`, `labels`}
	genValues = []string{`"a"`, `"b"`, `""`, `"a b"`, `"x\"y"`, `"\u0061"`, `"v1.0"`}
	genMF     = []string{`[]`, `null`, `[{"manager":"m","time":"2026-01-01T00:00:00Z"}]`, `[{"manager":"m","time":"2026-02-02T00:00:00Z"}]`,
		`[{"time":"bad"}]`, `5`, `{}`, `[{"fieldsV1":{"f:a":{}}}]`, `[null]`, `[{"MANAGER":1}]`, `"x"`}
)

func (g *podGen) members(n int) string {
	var b strings.Builder
	for k := 0; k < n; k++ {
		if k > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"%s":%s`, g.pick(genNames...), g.pick(genValues...))
	}
	return b.String()
}

// pod builds one raw pod: metadata members in a generated order and
// number (duplicates included), and sometimes a second metadata member.
func (g *podGen) pod() string {
	var meta []string
	for k, n := 0, 1+g.next()%6; k < n; k++ {
		switch g.next() % 7 {
		case 0:
			meta = append(meta, `"labels":{`+g.members(g.next()%3)+`}`)
		case 1:
			meta = append(meta, `"annotations":{`+g.members(g.next()%3)+`}`)
		case 2:
			meta = append(meta, fmt.Sprintf(`"%s":%s`, g.pick(genNames[:4]...), g.pick(genMF...)))
		case 3:
			meta = append(meta, `"name":`+g.pick(`"web-0"`, `"web-1"`, `"Web_1"`, `"managedFields"`))
		case 4:
			meta = append(meta, `"generateName":`+g.pick(`"web-"`, `"managedFields-"`))
		case 5:
			meta = append(meta, `"uid":`+g.pick(`"u1"`, `"u2"`))
		case 6:
			meta = append(meta, `"namespace":`+g.pick(`"shop"`, `"other"`))
		}
	}
	pod := `{"apiVersion":"v1","kind":"Pod","metadata":{` + strings.Join(meta, ",") + `}`
	if g.next()%5 == 0 {
		pod += `,"metadata":{"labels":{` + g.members(1) + `}}`
	}
	return pod + `,"spec":{"containers":[{"name":"web","image":` + g.pick(`"nginx"`, `"nginx:2"`) + `}]}}`
}
