package codec

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
)

// checkDecodeJSON asserts that DecodeJSON, when it decodes data into a new
// T, gives what json.Unmarshal gives, and reports whether it decoded.
func checkDecodeJSON[T any](t testing.TB, data []byte) bool {
	t.Helper()
	got := new(T)
	if !DecodeJSON(data, got) {
		return false
	}
	want := new(T)
	if err := json.Unmarshal(data, want); err != nil {
		t.Fatalf("DecodeJSON decoded what encoding/json refuses (%v): %q", err, data)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("DecodeJSON differs from encoding/json (-json +fast) for %q:\n%s", data, d)
	}
	// cmp treats nil and empty alike nowhere, but say it: [] and {} give
	// empty values, null and absence nil ones, on both paths.
	if !reflect.DeepEqual(want, got) {
		t.Fatalf("DecodeJSON differs from encoding/json (reflect.DeepEqual) for %q", data)
	}
	return true
}

func TestDecodeJSON(t *testing.T) {
	for _, tt := range []struct {
		name, reason string
		json         string
		fast         bool
	}{
		{"empty", "the empty pod", `{}`, true},
		{"whitespace", "JSON's four whitespace bytes anywhere between tokens", " \t\r\n{ \"metadata\" :\n{\"name\":\"p\" } }\n", true},
		{"inline type meta", "TypeMeta is embedded inline in Pod", `{"kind":"Pod","apiVersion":"v1","metadata":{"name":"p"}}`, true},
		{"labels and annotations", "map[string]string, escapes resolved", `{"metadata":{"labels":{"a":"1"},"annotations":{"b":"x\ny\u00e9\"","c":"{\"k\":[1]}"}}}`, true},
		{"escaped key", "keys are unescaped before they are matched", `{"metadata":{"na\u006de":"p","labels":{"\u0061":"b"}}}`, true},
		{"invalid UTF-8", "encoding/json reads U+FFFD for a byte that is not UTF-8", "{\"metadata\":{\"name\":\"a\xffb\",\"labels\":{\"k\xfe\":\"v\"}}}", true},
		{"null map value", "encoding/json stores the key with an empty string", `{"metadata":{"labels":{"a":null}}}`, true},
		{"empty map and list", "{} and [] give empty values, not nil", `{"metadata":{"labels":{}},"spec":{"containers":[],"volumes":[]}}`, true},
		{"null fields", "null leaves fields zero, pointers nil", `{"metadata":null,"spec":{"containers":null,"securityContext":null,"terminationGracePeriodSeconds":null}}`, true},
		{"null time", "metav1.Time's UnmarshalJSON gets null", `{"metadata":{"creationTimestamp":null}}`, true},
		{"time", "metav1.Time has its own UnmarshalJSON", `{"metadata":{"creationTimestamp":"2024-01-02T03:04:05Z"}}`, true},
		{"quantities", "resource.Quantity from strings and numbers, raw bytes to its UnmarshalJSON", `{"spec":{"containers":[{"name":"c","resources":{"limits":{"cpu":"2","memory":" 1Gi "},"requests":{"cpu":0.5,"memory":1e3}}}]}}`, true},
		{"escaped quantity", "UnmarshalJSON sees the raw escape and refuses: the reference reports", `{"spec":{"containers":[{"name":"c","resources":{"limits":{"cpu":"\u0032"}}}]}}`, false},
		{"int or string", "IntOrString from a string and a number", `{"spec":{"containers":[{"name":"c","readinessProbe":{"httpGet":{"port":"http","path":"/"}},"livenessProbe":{"tcpSocket":{"port":8080}}}]}}`, true},
		{"pointers and ints", "pointer fields and integer kinds", `{"spec":{"terminationGracePeriodSeconds":30,"securityContext":{"runAsUser":1337,"runAsNonRoot":true,"runAsGroup":-1},"containers":[{"name":"c","ports":[{"containerPort":80,"protocol":"TCP"}]}]}}`, true},
		{"big int", "int64 beyond 2^53 exactly, as encoding/json parses it", `{"spec":{"activeDeadlineSeconds":9007199254740993}}`, true},
		{"null list item", "a null in a list leaves a zero element", `{"spec":{"containers":[null,{"name":"c"}]}}`, true},
		{"empty dir size", "a *Quantity field", `{"spec":{"volumes":[{"name":"v","emptyDir":{"medium":"Memory","sizeLimit":"1Gi"}}]}}`, true},
		{"false", "false leaves a bool false, through a pointer too", `{"spec":{"hostNetwork":false,"automountServiceAccountToken":false}}`, true},
		{"unknown field", "encoding/json ignores it; the reference decides", `{"spec":{"bogus":1}}`, false},
		{"case folded key", "encoding/json matches Spec to spec; the reference decides", `{"Spec":{"hostNetwork":true}}`, false},
		{"duplicate key", "encoding/json merges the two; the reference decides", `{"metadata":{"name":"a"},"metadata":{"labels":{"b":"c"}}}`, false},
		{"duplicate map key", "the last wins in encoding/json; the reference decides", `{"metadata":{"labels":{"a":"1","a":"2"}}}`, false},
		{"fraction into int", "encoding/json refuses it; the reference reports", `{"spec":{"terminationGracePeriodSeconds":1.5}}`, false},
		{"exponent into int", "ParseInt refuses 1e3", `{"spec":{"terminationGracePeriodSeconds":1e3}}`, false},
		{"int out of range", "int32 overflow is for encoding/json to report", `{"spec":{"containers":[{"name":"c","ports":[{"containerPort":4294967296}]}]}}`, false},
		{"string for bool", "a type mismatch is for encoding/json to report", `{"spec":{"hostNetwork":"yes"}}`, false},
		{"number for string", "a type mismatch is for encoding/json to report", `{"metadata":{"name":1}}`, false},
		{"bad quantity", "ParseQuantity refuses; the reference reports", `{"spec":{"containers":[{"name":"c","resources":{"limits":{"cpu":"lots"}}}]}}`, false},
		{"trailing text", "one value only", `{} {}`, false},
		{"trailing comma", "not JSON", `{"metadata":{"name":"p",}}`, false},
		{"leading zero", "not a JSON number", `{"spec":{"terminationGracePeriodSeconds":01}}`, false},
		{"raw control character", "not JSON", "{\"metadata\":{\"name\":\"a\nb\"}}", false},
		{"bad escape", "not JSON", `{"metadata":{"name":"a\qb"}}`, false},
		{"bad literal", "not JSON", `{"spec":{"hostNetwork":tru}}`, false},
		{"cut off", "not JSON", `{"metadata":{"name":"p"}`, false},
		{"not an object", "a pod is an object", `[]`, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := checkDecodeJSON[corev1.Pod](t, []byte(tt.json)); got != (tt.fast && Fast) {
				t.Errorf("decoded = %v, want %v: %s", got, tt.fast && Fast, tt.reason)
			}
		})
	}
}

// TestDecodeJSONReview decodes AdmissionReviews: the object stays raw
// bytes (RawExtension's UnmarshalJSON), the rest decodes by plan.
func TestDecodeJSONReview(t *testing.T) {
	for _, tt := range []struct {
		name, reason string
		json         string
		fast         bool
	}{
		{"create", "a pod CREATE as an API server sends it",
			`{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":{"uid":"u1","kind":{"group":"","version":"v1","kind":"Pod"},` +
				`"resource":{"group":"","version":"v1","resource":"pods"},"namespace":"default","operation":"CREATE",` +
				`"userInfo":{"username":"system:serviceaccount:kube-system:replicaset-controller","groups":["system:serviceaccounts"],"extra":{"k":["v"]}},` +
				`"object":{"metadata":{"name":"p","weird":[1,{"x":null}]},"spec":{}},"oldObject":null,"dryRun":false,"options":{"kind":"CreateOptions"}}}`, true},
		{"object with escapes", "the raw object keeps its escapes", `{"request":{"uid":"u","object":{"a":"\u00e9\n","b":[true,false,null,-1.5e-3]}}}`, true},
		{"bad object", "the raw object must be JSON", `{"request":{"uid":"u","object":{"a":tru}}}`, false},
		{"no request", "an empty review", `{"kind":"AdmissionReview"}`, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := checkDecodeJSON[admissionv1.AdmissionReview](t, []byte(tt.json)); got != (tt.fast && Fast) {
				t.Errorf("decoded = %v, want %v: %s", got, tt.fast && Fast, tt.reason)
			}
		})
	}
}

// TestDecodeJSONDeep: nesting beyond maxDecodeDepth is declined, never a
// stack exhaustion.
func TestDecodeJSONDeep(t *testing.T) {
	deep := `{"request":{"uid":"u","object":` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `}}`
	if checkDecodeJSON[admissionv1.AdmissionReview](t, []byte(deep)) {
		t.Error("5,000 levels decoded; want declined")
	}
}

func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{
		`{"metadata":{"name":"p","labels":{"a":"<b>"},"creationTimestamp":"2024-01-02T03:04:05Z"},"spec":{"containers":[{"name":"c","image":"i"}]}}`,
		`{"spec":{"containers":[{"name":"c","resources":{"limits":{"cpu":"2"},"requests":{"cpu":0.5}}}]}}`,
		`{"spec":{"containers":[{"name":"c","readinessProbe":{"httpGet":{"port":8080}}}],"volumes":[{"name":"v","emptyDir":{}}]}}`,
		`{"metadata":{"annotations":{"x":"\ud83d\ude00\ud800"}},"spec":{"terminationGracePeriodSeconds":-0}}`,
		`{"request":{"uid":"u","object":{"a":[1,2,{"b":"c"}]},"dryRun":true}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkDecodeJSON[corev1.Pod](t, data)
		checkDecodeJSON[admissionv1.AdmissionReview](t, data)
	})
}
