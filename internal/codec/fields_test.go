package codec

import (
	"encoding/json"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Types that exercise encoding/json's field rules.
type (
	Inner struct {
		A string `json:"a"`
		B string
		C string `json:"shadowed"`
	}
	inner2 struct {
		D string `json:"d"`
		A string `json:"a"`
	}
	Deep struct {
		Inner
		E string `json:"e"`
	}
	tagged struct {
		Name    string `json:"name,omitempty"`
		Skip    string `json:"-"`
		Dash    string `json:"-,"`
		private string
		Bad     string `json:"b\"ad"`
		Count   int    `json:",omitempty"`
		Quoted  int    `json:"quoted,string"`
		Zero    zeroer `json:"zero,omitzero"`
		When    metav1.Time
		Pointer *int  `json:"pointer,omitempty"`
		Slice   []int `json:"slice"`
		Map     map[string]int
	}
	zeroer   struct{ N int }
	embedded struct {
		Inner
		*inner2
		C string `json:"shadowed"` // shallower: wins over Inner.C
	}
	Wrap struct {
		Inner
		W string `json:"w"`
	}
	conflict struct { // two untagged A at depth 1: neither is kept
		Left
		Right
	}
	Left    struct{ A, L string }
	Right   struct{ A, R string }
	tagWins struct {
		TLeft
		TRight
	}
	TLeft  struct{ A string }
	TRight struct {
		A string `json:"A"`
	}
	dupEmbeds struct {
		Inner
		Deep // Inner again at depth 2: the depth-1 members win
	}
	named struct {
		Inner `json:"inner"`
	} // a tag name: a member, not flattened
	patched struct {
		List []Inner `json:"list" patchStrategy:"merge,retainKeys" patchMergeKey:"a"`
	}
)

func (z zeroer) IsZero() bool { return z.N < 0 }

// twiceType embeds Inner twice at depth 2 (through Deep and Wrap), which
// makes Inner's members ambiguous. It is built with reflect because go vet
// reports the repeated json tags of such a declaration, rightly for real
// code.
var twiceType = reflect.StructOf([]reflect.StructField{
	{Name: "X", Type: reflect.TypeFor[Inner](), Tag: `json:"x"`},
	{Name: "Deep", Type: reflect.TypeFor[Deep](), Anonymous: true},
	{Name: "Wrap", Type: reflect.TypeFor[Wrap](), Anonymous: true},
})

func twice(x Inner, d Deep, w Wrap) any {
	v := reflect.New(twiceType).Elem()
	v.Field(0).Set(reflect.ValueOf(x))
	v.Field(1).Set(reflect.ValueOf(d))
	v.Field(2).Set(reflect.ValueOf(w))
	return v.Interface()
}

func TestFields(t *testing.T) {
	for _, tt := range []struct {
		name, reason string
		typ          reflect.Type
		want         []string
	}{
		{"tags", "names, -, -, (a member named -), unexported, invalid names, options", reflect.TypeFor[tagged](),
			[]string{"name", "-", "Bad", "Count", "quoted", "zero", "When", "pointer", "slice", "Map"}},
		{"embedded", "flattened, the shallower wins, an embedded pointer is walked, two tagged a at one depth annihilate", reflect.TypeFor[embedded](),
			[]string{"B", "d", "shadowed"}},
		{"ambiguous", "a type embedded twice at one depth hides its members there", twiceType,
			[]string{"x", "e", "w"}},
		{"conflict", "two untagged members of one name at one depth annihilate", reflect.TypeFor[conflict](),
			[]string{"L", "R"}},
		{"tag wins", "at one depth a tagged member beats an untagged one", reflect.TypeFor[tagWins](),
			[]string{"A"}},
		{"shallower", "a type met again deeper is not walked again", reflect.TypeFor[dupEmbeds](),
			[]string{"a", "B", "shadowed", "e"}},
		{"named embed", "an embedded struct with a tag name is one member", reflect.TypeFor[named](),
			[]string{"inner"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, f := range PlanOf(tt.typ).Fields {
				got = append(got, f.Name)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("%s (-want +got):\n%s", tt.reason, d)
			}
		})
	}
	f := PlanOf(reflect.TypeFor[embedded]()).FieldByName("d")
	if f == nil || !f.ViaPointer {
		t.Errorf("d comes through an embedded pointer: %+v", f)
	}
	l := PlanOf(reflect.TypeFor[patched]()).FieldByName("list")
	if l == nil || l.MergeKey != "a" || !cmp.Equal(l.Strategies, []string{"merge", "retainKeys"}) {
		t.Errorf("patch tags: %+v", l)
	}
	q := PlanOf(reflect.TypeFor[tagged]()).FieldByName("quoted")
	if q == nil || !q.Quoted {
		t.Errorf("quoted: %+v", q)
	}
}

// TestFieldsMatchJSON encodes filled values of the same types with
// AppendJSON and encoding/json: member names, order and omission agree.
func TestFieldsMatchJSON(t *testing.T) {
	one := 1
	for _, tt := range []struct {
		name, reason string
		v            any
		fast         bool
	}{
		{"tags", "omitempty and omitzero with IsZero, the string option declines", &tagged{Name: "n", Dash: "d", Bad: "b", Zero: zeroer{-1}, Pointer: &one, Map: map[string]int{"b": 1, "a": 2}}, false},
		{"tags without quoted", "no quoted member: but the option still declines the struct", tagged{}, false},
		{"embedded", "flattened members, nil embedded pointer skipped", embedded{Inner: Inner{A: "a", B: "b", C: "c"}, C: "top"}, true},
		{"embedded pointer set", "members through a set embedded pointer", embedded{inner2: &inner2{D: "d", A: "hidden"}}, true},
		{"ambiguous", "hidden members are not written", twice(Inner{A: "x"}, Deep{Inner: Inner{A: "1"}, E: "e"}, Wrap{Inner{A: "2"}, "w"}), true},
		{"conflict", "annihilated members are not written", conflict{Left{"l", "L"}, Right{"r", "R"}}, true},
		{"tag wins", "the tagged member is written", tagWins{TLeft{"left"}, TRight{"right"}}, true},
		{"time", "metav1.Time's MarshalJSON, omitempty never omits a struct", struct {
			T metav1.Time  `json:"t,omitempty"`
			P *metav1.Time `json:"p"`
		}{T: metav1.NewTime(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC))}, true},
		{"omitzero time", "omitzero uses Time's IsZero (k8s.io v0.34+ creationTimestamp)", struct {
			T metav1.Time `json:"t,omitempty,omitzero"`
		}{}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			want, err := json.Marshal(tt.v)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := AppendJSON(nil, tt.v)
			if ok != (tt.fast && Fast) {
				t.Fatalf("taken = %v, want %v: %s", ok, tt.fast && Fast, tt.reason)
			}
			if ok && string(got) != string(want) {
				t.Errorf("AppendJSON = %s\nencoding/json  %s\n(%s)", got, want, tt.reason)
			}
		})
	}
}

// TestPlanConcurrent builds plans from several goroutines (with -race: the
// cache is safe) and checks that every caller gets the same plan.
func TestPlanConcurrent(t *testing.T) {
	types := []reflect.Type{reflect.TypeFor[embedded](), twiceType, reflect.TypeFor[recursive](), reflect.TypeFor[*recursive]()}
	got := make([][]*Plan, 8)
	var wg sync.WaitGroup
	for g := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, typ := range types {
				got[g] = append(got[g], PlanOf(typ))
			}
		}()
	}
	wg.Wait()
	for g := range got {
		for i := range types {
			if got[g][i] != got[0][i] {
				t.Fatalf("goroutine %d got another plan for %v", g, types[i])
			}
		}
	}
	r := PlanOf(reflect.TypeFor[recursive]())
	if r.FieldByName("next").Plan.Elem != r {
		t.Error("a recursive type's plan does not reach itself")
	}
}

type recursive struct {
	Next *recursive `json:"next"`
}
