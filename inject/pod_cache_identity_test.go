package inject

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/kinject/kinject/internal/codec"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8stypes "k8s.io/apimachinery/pkg/types"
)

// identityByJSON is identityThroughJSON's reference: the round trip itself.
func identityByJSON(t *testing.T, in *metav1.ObjectMeta) (metav1.ObjectMeta, bool) {
	t.Helper()
	var out metav1.ObjectMeta
	b, err := json.Marshal(in)
	if err != nil || json.Unmarshal(b, &out) != nil {
		return metav1.ObjectMeta{}, false
	}
	return out, true
}

// checkIdentityStable holds the fast path identityStable to the JSON round
// trip: when it is taken, the round trip gives the value back unchanged.
func checkIdentityStable(t *testing.T, in metav1.ObjectMeta, wantTaken bool, reason string) {
	t.Helper()
	taken := identityStable(&in)
	if taken != (wantTaken && codec.Fast) {
		t.Errorf("identityStable = %v, want %v (%s)", taken, wantTaken && codec.Fast, reason)
	}
	if !taken {
		return
	}
	out, ok := identityByJSON(t, &in)
	if !ok || !reflect.DeepEqual(out, in) {
		t.Errorf("taken, but the round trip gives %#v (ok %v) for %#v (%s)", out, ok, in, reason)
	}
}

// TestIdentityStable covers the cases the fast path takes and those it
// leaves to the round trip.
func TestIdentityStable(t *testing.T) {
	whole := time.Date(2026, 12, 2, 1, 2, 3, 0, time.UTC).Local()
	cases := []struct {
		name   string
		meta   metav1.ObjectMeta
		taken  bool
		reason string
	}{
		{"empty", metav1.ObjectMeta{}, true, "a new pod: nothing to carry"},
		{"names", metav1.ObjectMeta{Name: "web-0", GenerateName: "web-", UID: "4f7c", ResourceVersion: "12"}, true, "plain strings survive JSON"},
		{"escaped", metav1.ObjectMeta{Name: "a\"b<\u2028>"}, true, "escaped runes come back as they were"},
		{"invalid UTF-8", metav1.ObjectMeta{UID: "a\xffb"}, false, "JSON turns an invalid byte into U+FFFD"},
		{"whole second local", metav1.ObjectMeta{CreationTimestamp: metav1.NewTime(whole)}, true, "what metav1.Time decodes to"},
		{"fraction", metav1.ObjectMeta{CreationTimestamp: metav1.NewTime(whole.Add(time.Millisecond))}, false, "RFC 3339 without fraction drops it"},
		{"UTC", metav1.ObjectMeta{CreationTimestamp: metav1.NewTime(whole.UTC())}, false, "the round trip moves it to the local zone"},
		{"zero with zone", metav1.ObjectMeta{CreationTimestamp: metav1.NewTime(time.Time{}.Local())}, false, "a zero instant with a zone is printed null and comes back without it"},
		{"year 10000", metav1.ObjectMeta{CreationTimestamp: metav1.NewTime(time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC).Local())}, false, "five digits do not parse back"},
		{"managed fields", metav1.ObjectMeta{ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "m"}}}, false, "left to the reference"},
		{"empty managed fields", metav1.ObjectMeta{ManagedFields: []metav1.ManagedFieldsEntry{}}, false, "an empty list comes back nil"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { checkIdentityStable(t, c.meta, c.taken, c.reason) })
	}
}

func FuzzIdentityStable(f *testing.F) {
	f.Add("web-0", "web-", "uid", "1", int64(1764637323), int64(0), uint8(0))
	f.Add("a\xff", "", "", "", int64(0), int64(5), uint8(1))
	f.Fuzz(func(t *testing.T, name, gen, uid, rv string, sec, nsec int64, zone uint8) {
		var ts time.Time
		switch zone % 4 {
		case 0:
			ts = time.Unix(sec, nsec).Local()
		case 1:
			ts = time.Unix(sec, nsec).UTC()
		case 2:
			ts = time.Unix(sec, nsec).In(time.FixedZone("x", 3600))
		}
		in := metav1.ObjectMeta{Name: name, GenerateName: gen, UID: k8stypes.UID(uid), ResourceVersion: rv, CreationTimestamp: metav1.NewTime(ts)}
		if !identityStable(&in) {
			return
		}
		out, ok := identityByJSON(t, &in)
		if !ok || !reflect.DeepEqual(out, in) {
			t.Errorf("taken, but the round trip gives %#v (ok %v) for %#v", out, ok, in)
		}
	})
}
