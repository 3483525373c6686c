package template

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kinject/kinject/internal/codec"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	k8sschema "k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"
)

// checkNameRules holds every fast name check to its reference on value:
// a fast acceptance must be the reference's, and for ASCII (which the fast
// checks cover) the fast check must accept whatever the reference accepts,
// so the fast path is taken wherever it can be.
func checkNameRules(t *testing.T, value, reason string) {
	t.Helper()
	if !codec.Fast {
		t.Skip("fast paths decline under kinject_reference")
	}
	ascii := true
	for i := range len(value) {
		if value[i] >= utf8.RuneSelf {
			ascii = false
		}
	}
	agree := func(what string, fast bool, problems []string) {
		t.Helper()
		if fast && len(problems) > 0 {
			t.Errorf("%s(%q): fast accepts, reference refuses: %v (%s)", what, value, problems, reason)
		}
		if ascii && !fast && len(problems) == 0 {
			t.Errorf("%s(%q): reference accepts, fast declines (%s)", what, value, reason)
		}
	}
	lower := strings.ToLower(value)
	for _, prefix := range []bool{false, true} {
		for _, r := range []struct {
			name string
			rule nameRule
			ref  apivalidation.ValidateNameFunc
		}{
			{"ValidateNamespaceName", ruleNamespace, apivalidation.ValidateNamespaceName},
			{"NameIsDNSLabel", ruleLabel, apivalidation.NameIsDNSLabel},
			{"NameIsDNSSubdomain", ruleSubdomain, apivalidation.NameIsDNSSubdomain},
			{"ValidateServiceAccountName", ruleServiceAccount, apivalidation.ValidateServiceAccountName},
		} {
			what := r.name
			if prefix {
				what += " prefix"
			}
			agree(what, r.rule.fast(value, prefix), r.ref(lower, prefix))
			if got, want := r.rule.reference(lower, prefix), r.ref(lower, prefix); strings.Join(got, ";") != strings.Join(want, ";") {
				t.Errorf("%s(%q): reference gives %v, apimachinery %v", what, value, got, want)
			}
		}
	}
	agree("kind", dnsLabelOK(value, 0, true, true), validation.IsDNS1035Label(lower))
	agree("IsValidPortName", portNameOK(value), validation.IsValidPortName(value))
	agree("IsQualifiedName", qualifiedNameOK(value), validation.IsQualifiedName(value))
	agree("IsValidLabelValue", labelValueOK(value), validation.IsValidLabelValue(value))
	var problems []string
	if gv, err := k8sschema.ParseGroupVersion(value); err != nil {
		problems = []string{err.Error()}
	} else {
		if gv.Group != "" {
			problems = append(problems, validation.IsDNS1123Subdomain(gv.Group)...)
		}
		problems = append(problems, validation.IsDNS1035Label(gv.Version)...)
	}
	if value != "" && value != "/" && !strings.HasPrefix(value, "/") {
		agree("apiVersion", apiVersionOK(value), problems)
	} else if apiVersionOK(value) && len(problems) > 0 {
		t.Errorf("apiVersion(%q): fast accepts, reference refuses: %v (%s)", value, problems, reason)
	}
}

// TestNameRulesMatchReference runs the fast name checks (a fast path, see
// internal/codec's doc) against apimachinery's regular expressions.
func TestNameRulesMatchReference(t *testing.T) {
	long := strings.Repeat("a", 63)
	cases := []struct{ value, reason string }{
		{"", "empty: refused by every rule (ValidateNames skips it before asking)"},
		{"a", "the shortest name"},
		{"web-0", "a StatefulSet pod"},
		{"hello-7d8f9c-", "a generateName: the reference masks the trailing dash"},
		{"a-", "a two-byte prefix masks to \"a\""},
		{"-", "one dash is not masked"},
		{"--", "two dashes mask to \"a\""},
		{"a.-", "the masked tail follows a dot"},
		{"ab.", "a trailing dot"},
		{".ab", "a leading dot"},
		{"a..b", "an empty label"},
		{"a.-b", "a label starting with a dash"},
		{"a-.b", "a label ending with a dash"},
		{"web.v2", "a dotted subdomain: no label"},
		{long, "63 bytes: the longest label"},
		{long + "b", "64 bytes: too long for a label, fine for a subdomain"},
		{strings.Repeat("a.", 126) + "a", "253 bytes: the longest subdomain"},
		{strings.Repeat("a.", 126) + "ab", "254 bytes"},
		{strings.Repeat("a.", 126) + "a-", "a 254-byte prefix masks to 253"},
		{"Web-Main", "capitals fold for names, not for port names or API versions"},
		{"9lives", "a digit first: a DNS-1123 label, not a DNS-1035 one or a kind"},
		{"http", "a port name"},
		{"h2c-1", "a port name with a digit and a dash"},
		{"12345", "a port name needs a letter"},
		{"a--b", "consecutive dashes: fine in a label, not in a port name"},
		{"abcdefghijklmnop", "16 bytes: too long for a port name"},
		{"apps/v1", "an API version"},
		{"v1", "the core group's"},
		{"example.com/v1beta1", "a custom resource's"},
		{"apps/v1/x", "two slashes"},
		{"apps/", "no version"},
		{"/v1", "no group: the reference accepts it, the fast check declines"},
		{"/", "ParseGroupVersion's special case"},
		{"a_b", "an underscore"},
		{"a b", "a space"},
		{"a\nb", "a line break"},
		{"a}}b", "template delimiters"},
		{"a\"b", "a quote"},
		{"\u212aube", "the Kelvin sign lowers to an ASCII k: non-ASCII goes to the reference"},
		{"ab\xff-", "an invalid byte before a prefix's dash: lowering lengthens it"},
		{"ab\xc3\xa9-", "a two-byte letter before the dash"},
		{"app.kubernetes.io/name", "a label key with a prefix"},
		{"sidecar.istio.io/inject", "Istio's label key"},
		{"My_Value.1", "a label value: capitals, '_' and '.' inside"},
		{"_a", "a label value starting with '_'"},
		{"a.", "a label value ending with '.'"},
		{"Example.com/name", "a prefix with a capital: the subdomain does not fold"},
		{"example.com/", "an empty name part"},
		{"a/b/c", "two slashes in a key"},
		{"/name", "an empty prefix"},
		{"example.com/" + long, "a 63-byte name part after a prefix"},
		{"example.com/" + long + "b", "a 64-byte name part"},
		{strings.Repeat("a.", 126) + "a/x", "a 253-byte prefix"},
		{strings.Repeat("a.", 126) + "ab/x", "a 254-byte prefix"},
	}
	for _, c := range cases {
		t.Run(c.value, func(t *testing.T) { checkNameRules(t, c.value, c.reason) })
	}
}

func FuzzNameRules(f *testing.F) {
	for _, s := range []string{"web-0", "hello-", "apps/v1", "http", "a.b-", "\u212a-", "ab\xff-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value string) { checkNameRules(t, value, "fuzz") })
}
