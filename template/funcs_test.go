package template

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/kinject/kinject/internal/codec"
	"github.com/kinject/kinject/template/meshconfig"
)

type funcCase struct {
	name, tmpl string
	data       any
	want       string
	wantErr    string
	reason     string
}

func runFuncCases(t *testing.T, env map[string]string, cases []funcCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse(map[string]string{"t": tc.tmpl}, Options{Env: env})
			if err != nil {
				t.Fatalf("Parse: %v (%s)", err, tc.reason)
			}
			t0, _ := s.lookup("t")
			var b strings.Builder
			err = t0.Execute(&b, tc.data)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %q, %v; want error containing %q (%s)", b.String(), err, tc.wantErr, tc.reason)
				}
				return
			}
			if err != nil {
				t.Fatalf("Execute: %v (%s)", err, tc.reason)
			}
			if b.String() != tc.want {
				t.Errorf("got %q, want %q (%s)", b.String(), tc.want, tc.reason)
			}
		})
	}
}

type protoish struct{}

func (protoish) ProtoJSON() ([]byte, error) { return []byte("{\n  \"a\": 1\n}"), nil }

type durish struct{ d time.Duration }

func (d *durish) AsDuration() time.Duration { return d.d }

func TestIstioFuncs(t *testing.T) {
	runFuncCases(t, map[string]string{"A": "1", "E": ""}, istioFuncCases())
}

func istioFuncCases() []funcCase {
	meta := map[string]any{
		"M": metav1.ObjectMeta{Annotations: map[string]string{"a": "x", "empty": ""}},
		"N": metav1.ObjectMeta{},
	}
	cs := []corev1.Container{
		{Name: "app", Ports: []corev1.ContainerPort{{ContainerPort: 80}, {ContainerPort: 81}}},
		{Name: "istio-proxy", Ports: []corev1.ContainerPort{{ContainerPort: 15090}}},
		{Name: "side", Ports: []corev1.ContainerPort{{ContainerPort: 9000}}},
	}
	otelMesh := map[string]any{"extensionProviders": []any{map[string]any{"name": "o", "opentelemetry": map[string]any{"serviceAttributeEnrichment": "OTEL_SEMANTIC_CONVENTIONS"}}}}
	cases := []funcCase{
		{"annotation/present", "{{ annotation .M `a` `d` }}", meta, "x", "", "a present annotation wins over the default"},
		{"annotation/empty-present", "{{ annotation .M `empty` `d` }}", meta, "", "", "present but empty is still present, as in Istio"},
		{"annotation/default", "{{ annotation .M `b` 15020 }}", meta, "15020", "", "the default is printed with fmt.Sprint"},
		{"annotation/nil-default", "{{ annotation .N `b` nil }}", meta, "<nil>", "", "Istio prints a nil default as <nil>; templates guard with isset"},
		{"isset/yes", "{{ isset .M.Annotations `a` }}", meta, "true", "", "present key"},
		{"isset/nil-map", "{{ isset .N.Annotations `a` }}", meta, "false", "", "a nil map has no keys"},
		{"valueOrDefault/empty", "{{ valueOrDefault `` `d` }}", nil, "d", "", "empty string takes the default"},
		{"valueOrDefault/nil", "{{ valueOrDefault .x `d` }}", map[string]any{}, "d", "", "missing value takes the default"},
		{"valueOrDefault/value", "{{ valueOrDefault `v` `d` }}", nil, "v", "", "a set value wins"},
		{"valueOrDefault/false", "{{ valueOrDefault false `d` }}", nil, "false", "", "false is a value, unlike sprig's default"},
		{"excludeInboundPort/add", "{{ excludeInboundPort 15020 `80,81` }}", nil, "80,81,15020", "", "the status port is appended"},
		{"excludeInboundPort/empty-list", "{{ excludeInboundPort `15020` `` }}", nil, "15020", "", "no existing list"},
		{"excludeInboundPort/already", "{{ excludeInboundPort `81` `80,81` }}", nil, "80,81", "", "an excluded port is not repeated"},
		{"excludeInboundPort/zero", "{{ excludeInboundPort `0` `80` }}", nil, "80", "", "port 0 disables the status port"},
		{"excludeInboundPort/spaces", "{{ excludeInboundPort `1` ` 80 , ,81` }}", nil, "80,81,1", "", "blanks are trimmed and empty entries dropped"},
		{"includeInboundPorts", "{{ includeInboundPorts . }}", cs, "80,81,15090,9000", "", "every container's ports"},
		{"includeInboundPorts/none", "{{ includeInboundPorts . }}", []corev1.Container(nil), "", "", "no containers, no ports"},
		{"applicationPorts", "{{ applicationPorts . }}", cs, "80,81,9000", "", "istio-proxy's ports are not the application's"},
		{"kubevirtInterfaces", "{{ kubevirtInterfaces `net1,net2` }}", nil, "net1,net2", "", "identity, kept for old templates"},
		{"excludeInterfaces", "{{ excludeInterfaces `eth1` }}", nil, "eth1", "", "identity, kept for old templates"},
		{"toJSON", "{{ toJSON . }}", map[string]string{"b": "2", "a": "1"}, `{"a":"1","b":"2"}`, "", "sorted keys"},
		{"toJSON/nil", "{{ toJSON . }}", map[string]string(nil), "{}", "", "nil map is {}"},
		{"fromJSON", "{{ range $k, $v := fromJSON `{\"b\":1,\"a\":\"x\"}` }}{{$k}}={{$v}};{{ end }}", nil, "a=x;b=1;", "", "JSON object ranged in key order"},
		{"fromJSON/bad", "{{ fromJSON `{nope` }}", nil, "{}", "", "Istio returns the string {} on bad JSON"},
		{"structToJSON", "{{ structToJSON . }}", corev1.ContainerPort{Name: "http", ContainerPort: 80}, `{"name":"http","containerPort":80}`, "", "what ISTIO_META_POD_PORTS is built from"},
		{"structToJSON/nil", "{{ structToJSON . }}", (*corev1.ContainerPort)(nil), "{}", "", "nil is {}"},
		{"structToJSON/proto", "{{ structToJSON . }}", protoish{}, `{"a":1}`, "", "a ProtoJSON method is preferred and compacted"},
		{"protoToJSON/proto", "{{ protoToJSON . }}", protoish{}, `{"a":1}`, "", "one line, for a YAML block scalar"},
		{"protoToJSON/nil", "{{ protoToJSON . }}", (*meshconfig.ProxyConfig)(nil), "{}", "", "nil config is {}"},
		{"protoToJSON/default", "{{ protoToJSON . }}", meshconfig.DefaultProxyConfig(), "{}", "", "defaults are left out by ProxyConfig.ProtoJSON"},
		{"protoToJSON/plain", "{{ protoToJSON . }}", map[string]int{"x": 1}, `{"x":1}`, "", "without ProtoJSON, encoding/json"},
		{"toJsonMap", "{{ toJsonMap (strdict `a` `1` `b` `2`) (strdict `b` `3`) }}", nil, `{"a":"1","b":"3"}`, "", "later maps win"},
		{"toJsonMap/nil", "{{ toJsonMap .x }}", map[string]map[string]string{}, `{}`, "", "a nil map merges as empty"},
		{"mergeMaps", "{{ $m := mergeMaps (strdict `a` `1`) (strdict `a` `2` `c` `3`) }}{{ $m.a }}{{ $m.c }}", nil, "23", "", "later keys win"},
		{"toYaml", "{{ toYaml . }}", map[string]any{"b": 1, "a": []string{"x"}}, "a:\n- x\nb: 1\n", "", "sigs.k8s.io/yaml output, trailing newline"},
		{"toYaml/nil", "{{ toYaml .x }}", map[string]any{}, "null\n", "", "nil prints null"},
		{"indent/one-line", "{{ indent 4 `a` }}", nil, "a", "", "Istio's indent leaves the first line alone"},
		{"indent/lines", "{{ indent 2 \"a\\nb\\nc\" }}", nil, "a\n  b\n  c", "", "every line but the first"},
		{"indent/empty", "{{ indent 2 `` }}", nil, "", "", "empty stays empty"},
		{"nindent", "{{ nindent 2 \"a\\nb\" }}", nil, "\n  a\n  b", "", "Helm's nindent: newline then every line"},
		{"directory", "{{ directory `/etc/certs/ca.pem` }}", nil, "/etc/certs/", "", "keeps the trailing slash, as path.Split"},
		{"directory/none", "{{ directory `ca.pem` }}", nil, "", "", "no directory part"},
		{"contains", "{{ contains `/` `docker.io/x` }} {{ contains `/` `x` }}", nil, "true false", "", "needle first, as templates call it"},
		{"toLower", "{{ toLower `Deployment` }}", nil, "deployment", "", "used for ISTIO_META_OWNER"},
		{"appendMultusNetwork/empty", "{{ appendMultusNetwork `` `default/istio-cni` }}", nil, "default/istio-cni", "", "no existing networks"},
		{"appendMultusNetwork/list", "{{ appendMultusNetwork `a, b` `istio-cni` }}", nil, "a, b, istio-cni", "", "comma-separated form"},
		{"appendMultusNetwork/list-has", "{{ appendMultusNetwork `istio-cni, b` `istio-cni` }}", nil, "istio-cni, b", "", "already listed"},
		{"appendMultusNetwork/json", "{{ appendMultusNetwork `[{\"name\": \"a\"}]` `istio-cni` }}", nil, `[{"name": "a"}, {"name": "istio-cni"}]`, "", "JSON form"},
		{"appendMultusNetwork/json-has", "{{ appendMultusNetwork `[{\"name\": \"istio-cni\"}]` `istio-cni` }}", nil, `[{"name": "istio-cni"}]`, "", "already in the JSON"},
		{"appendMultusNetwork/json-namespaced", "{{ appendMultusNetwork `[{\"name\": \"a\"}]` `default/istio-cni` }}", nil, `[{"name": "a"}, {"name": "istio-cni", "namespace": "default"}]`, "", "Istio appends namespace/name as an object with both fields, not as a name with a slash"},
		{"appendMultusNetwork/json-has-namespaced", "{{ appendMultusNetwork `[{\"name\": \"istio-cni\", \"namespace\": \"default\"}]` `default/istio-cni` }}", nil, `[{"name": "istio-cni", "namespace": "default"}]`, "", "the same network in the same namespace is not added twice"},
		{"appendMultusNetwork/json-has-unqualified", "{{ appendMultusNetwork `[{\"name\": \"istio-cni\"}]` `default/istio-cni` }}", nil, `[{"name": "istio-cni"}]`, "", "an entry without a namespace may be the same attachment: not duplicated"},
		{"appendMultusNetwork/json-other-namespace", "{{ appendMultusNetwork `[{\"name\": \"istio-cni\", \"namespace\": \"kube-system\"}]` `default/istio-cni` }}", nil, `[{"name": "istio-cni", "namespace": "kube-system"}, {"name": "istio-cni", "namespace": "default"}]`, "", "same name in another namespace is another network"},
		{"appendMultusNetwork/json-empty", "{{ appendMultusNetwork `[]` `default/istio-cni` }}", nil, `[{"name": "istio-cni", "namespace": "default"}]`, "", "an empty list gets no leading comma"},
		{"appendMultusNetwork/json-escaped", "{{ appendMultusNetwork `[{\"name\": \"a\"}]` `ns/x\"y` }}", nil, `[{"name": "a"}, {"name": "x\"y", "namespace": "ns"}]`, "", "names are JSON-encoded, never pasted"},
		{"appendMultusNetwork/list-namespaced", "{{ appendMultusNetwork `a` `default/istio-cni` }}", nil, "a, default/istio-cni", "", "the text form keeps Multus' ns/name short form"},
		{"appendMultusNetwork/bad-json", "{{ appendMultusNetwork `[nope]` `istio-cni` }}", nil, `[nope]`, "", "unparsable JSON is kept as is"},
		{"env/set", "{{ env `A` `d` }}", nil, "1", "", "reads Options.Env"},
		{"env/unset", "{{ env `HOME` `d` }}", nil, "d", "", "never the process environment"},
		{"env/empty", "{{ env `E` `d` }}", nil, "d", "", "empty counts as unset"},
		{"omit", "{{ toJSON (omit (strdict `a` `1` `b` `2`) `a`) }}", nil, `{"b":"2"}`, "", "string maps, as the gateway templates use"},
		{"omit/any", "{{ toJson (omit . `a`) }}", map[string]any{"a": 1, "b": 2}, `{"b":2}`, "", "any-valued maps too"},
		{"omit/nil", "{{ toJSON (omit .x `a`) }}", map[string]any{}, `{}`, "", "nil map gives an empty map"},
		{"omit/bad", "{{ omit 3 `a` }}", nil, "", "want a map", "not a map is an error"},
		{"omitNil", "{{ toJson (omitNil .) }}", map[string]any{"a": nil, "b": map[string]any{"c": nil, "d": "1"}}, `{"b":{"d":"1"}}`, "", "recursive, for values' resources with nulls"},
		{"omitNil/nil", "{{ toJson (omitNil .x) }}", map[string]any{}, `null`, "", "nil stays nil"},
		{"strdict/odd", "{{ toJSON (strdict `a`) }}", nil, `{"a":""}`, "", "a missing value is empty"},
		{"formatDuration/dur", "{{ formatDuration . }}", 90 * time.Second, "1m30s", "", "time.Duration"},
		{"formatDuration/as", "{{ formatDuration . }}", &durish{23 * time.Second}, "23s", "", "a protobuf-style duration"},
		{"formatDuration/string", "{{ formatDuration `1h` }}", nil, "1h0m0s", "", "a duration string is normalised"},
		{"formatDuration/nil", "{{ formatDuration .x }}", map[string]any{}, "0s", "", "unset is zero"},
		{"formatDuration/bad", "{{ formatDuration 3 }}", nil, "", "want a duration", "an int is not a duration"},
		{"otel/on", "{{ otelResourceAttributes .m .a .l `default` .c }}", map[string]any{"m": otelMesh, "a": map[string]string{}, "l": map[string]string{"app.kubernetes.io/version": "v1"}, "c": cs}, "service.namespace=default,service.version=v1,service.instance.id=default.$(POD_NAME).app", "", "semantic conventions asked for by the mesh"},
		{"otel/annotations", "{{ otelResourceAttributes .m .a .l `default` .c }}", map[string]any{"m": otelMesh, "a": map[string]string{"resource.opentelemetry.io/service.namespace": "shop"}, "l": map[string]string{}, "c": cs}, "service.namespace=shop,service.instance.id=default.$(POD_NAME).app", "", "the annotation names the service's namespace; the instance id keeps the Kubernetes one; no version with several containers"},
		{"otel/off", "{{ otelResourceAttributes .m .a .l `default` .c }}", map[string]any{"m": &meshconfig.MeshConfig{}, "a": map[string]string{}, "l": map[string]string{}, "c": cs}, "", "", "no enrichment asked for"},
		{"otel/nil-mesh", "{{ otelResourceAttributes .m .a .l `default` .c }}", map[string]any{"m": (*meshconfig.MeshConfig)(nil), "a": map[string]string{}, "l": map[string]string{}, "c": cs}, "", "", "nil mesh"},
	}
	return cases
}

func TestSprigFuncs(t *testing.T) { runFuncCases(t, nil, sprigFuncCases()) }

func sprigFuncCases() []funcCase {
	return []funcCase{
		{"default/empty", "{{ `` | default `d` }}", nil, "d", "", "empty string"},
		{"default/zero", "{{ 0 | default `1337` }}", nil, "1337", "", "zero number, as .ProxyUID | default"},
		{"default/missing", "{{ .x | default `d` }}", map[string]any{}, "d", "", "missing map key"},
		{"default/set", "{{ `v` | default `d` }}", nil, "v", "", "set value"},
		{"default/struct", "{{ default `d` . }}", struct{}{}, "{}", "", "structs are never empty"},
		{"empty", "{{ empty list }} {{ empty (list 1) }}", nil, "true false", "", "empty list"},
		{"coalesce", "{{ coalesce `` 0 `x` }}", nil, "x", "", "first non-empty"},
		{"ternary", "{{ ternary `a` `b` true }}{{ ternary `a` `b` false }}", nil, "ab", "", "condition last"},
		{"required", "{{ required `need x` .x }}", map[string]any{}, "", "need x", "missing value fails"},
		{"fail", "{{ fail `boom` }}", nil, "", "boom", "explicit failure"},
		{"quote", "{{ quote `a\"b` }}", nil, `"a\"b"`, "", "escaped double quote"},
		{"quote/newline", "{{ quote \"a\\nb: c\" }}", nil, `"a\nb: c"`, "", "newline escaped, stays one scalar"},
		{"quote/many", "{{ quote `a` .x `b` }}", map[string]any{}, `"a" "b"`, "", "nil arguments skipped, like sprig"},
		{"quote/number", "{{ quote 15001 }}", nil, `"15001"`, "", "numbers printed then quoted"},
		{"quote/invalid-utf8", "{{ quote . }}", "a\xffb", "\"a\uFFFDb\"", "", "invalid UTF-8 becomes U+FFFD, not a \\x escape YAML reads differently"},
		{"squote", "{{ squote `it's` }}", nil, `'it''s'`, "", "single quote doubled, YAML-safe"},
		{"squote/newline", "{{ squote \"a\\nb\" }}", nil, `"a\nb"`, "", "a line break falls back to double quotes"},
		{"cat", "{{ cat `a` 1 .x `b` }}", map[string]any{}, "a 1 b", "", "space-joined, nil skipped"},
		{"toString", "{{ toString 12 }}", nil, "12", "", "fmt printing"},
		{"upper-lower", "{{ upper `aB` }}{{ lower `aB` }}", nil, "ABab", "", "case"},
		{"title", "{{ title `hello world-x` }}", nil, "Hello World-X", "", "word starts"},
		{"trim", "{{ trim `  a  ` }}", nil, "a", "", "spaces"},
		{"trimAll", "{{ `-_a.b-` | trimAll `-_.` }}", nil, "a.b", "", "cut set first, as the canonical-name label uses"},
		{"trimPrefix-Suffix", "{{ trimPrefix `a` `abc` }}{{ trimSuffix `c` `abc` }}", nil, "bcab", "", "prefix and suffix"},
		{"trunc", "{{ trunc 3 `abcdef` }}", nil, "abc", "", "keep the first n bytes"},
		{"trunc/short", "{{ trunc 63 `abc` }}", nil, "abc", "", "shorter strings unchanged"},
		{"trunc/negative", "{{ trunc -2 `abcdef` }}", nil, "ef", "", "negative keeps the end"},
		{"replace", "{{ replace `a` `b` `aXa` }}", nil, "bXb", "", "all occurrences"},
		{"repeat", "{{ repeat 3 `ab` }}", nil, "ababab", "", "repeat"},
		{"repeat/huge", "{{ repeat 100000000 `ab` }}", nil, "", "out of range", "bounded"},
		{"substr", "{{ substr 1 3 `abcd` }}", nil, "bc", "", "byte range"},
		{"substr/out", "{{ substr 3 99 `abcd` }}", nil, "d", "", "end clamped"},
		{"nospace", "{{ nospace ` a b ` }}", nil, "ab", "", "all spaces removed"},
		{"hasPrefix-Suffix", "{{ hasPrefix `a` `ab` }} {{ hasSuffix `a` `ab` }}", nil, "true false", "", "prefix/suffix"},
		{"split", "{{ $p := split `,` `a,b` }}{{ $p._1 }}", nil, "b", "", "sprig's map form"},
		{"splitList", "{{ join `|` (splitList `,` `a,b`) }}", nil, "a|b", "", "list form"},
		{"join", "{{ list `a` 1 | join `,` }}", nil, "a,1", "", "any list"},
		{"join/strings", "{{ join `,` . }}", []string{"x", "y"}, "x,y", "", "[]string"},
		{"join/nil", "{{ join `,` .x }}", map[string]any{}, "", "", "nil joins to empty"},
		{"b64", "{{ b64enc `hi` }} {{ b64dec `aGk=` }}", nil, "aGk= hi", "", "round trip"},
		{"b64dec/bad", "{{ b64dec `!` }}", nil, "", "b64dec", "bad input is an error"},
		{"append", "{{ $l := list }}{{ $l = append $l `a` }}{{ $l = append $l `b` }}{{ join `,` $l }}", nil, "a,b", "", "how the sidecar template collects container names"},
		{"append/not-list", "{{ append 3 `a` }}", nil, "", "want a list", "appending to a number"},
		{"append/branches", "{{ $a := list 1 }}{{ $a = append $a 2 }}{{ $b := append $a 3 }}{{ $c := append $a 4 }}{{ $b = append $b 5 }}{{ join `,` $b }} {{ join `,` $c }} {{ join `,` $a }}", nil, "1,2,3,5 1,2,4 1,2", "", "two appends to one list give two lists, as sprig's copies do"},
		{"append/strings", "{{ $a := splitList `,` `x,y` }}{{ join `,` (append $a `z`) }} {{ join `,` $a }}", nil, "x,y,z x,y", "", "a list made elsewhere is copied"},
		{"prepend", "{{ prepend (list `b`) `a` | join `,` }}", nil, "a,b", "", "in front"},
		{"first-last", "{{ first (list 1 2 3) }}{{ last (list 1 2 3) }}{{ first list }}", nil, "13<no value>", "", "ends; empty list gives nothing"},
		{"rest-initial", "{{ rest (list 1 2 3) | join `` }}{{ initial (list 1 2 3) | join `` }}", nil, "2312", "", "all but one end"},
		{"has", "{{ has `a` (list `a`) }}{{ has `b` (list `a`) }}", nil, "truefalse", "", "membership"},
		{"uniq", "{{ uniq (list 1 1 2) | join `` }}", nil, "12", "", "duplicates removed"},
		{"without", "{{ without (list 1 2 3) 2 | join `` }}", nil, "13", "", "values removed"},
		{"compact", "{{ compact (list `` `a` 0) | join `` }}", nil, "a", "", "empty values removed"},
		{"uniq/not-a-list", "{{ uniq 3 }}", nil, "", "uniq", "a scalar is an error naming the function"},
		{"without/not-a-list", "{{ without `abc` `a` }}", nil, "", "without", "a string is not a list"},
		{"concat", "{{ concat (list 1) (list 2 3) | join `` }}", nil, "123", "", "lists joined"},
		{"reverse", "{{ reverse (list 1 2) | join `` }}", nil, "21", "", "reversed"},
		{"sortAlpha", "{{ sortAlpha (list `b` `a`) | join `` }}", nil, "ab", "", "sorted strings"},
		{"dict-get", "{{ $d := dict `a` 1 `b` }}{{ get $d `a` }}[{{ get $d `b` }}][{{ get $d `c` }}]", nil, "1[][]", "", "odd pair and missing key are empty"},
		{"set-unset-hasKey", "{{ $d := dict }}{{ $_ := set $d `a` 1 }}{{ hasKey $d `a` }}{{ $_ := unset $d `a` }}{{ hasKey $d `a` }}", nil, "truefalse", "", "in-place edits on a template's own dict"},
		{"keys-values", "{{ keys (dict `b` 1 `a` 2) | join `` }}{{ values (dict `b` 1 `a` 2) | join `` }}", nil, "ab21", "", "sorted for determinism"},
		{"pluck", "{{ pluck `a` (dict `a` 1) (dict `b` 2) (dict `a` 3) | join `` }}", nil, "13", "", "from each dict that has it"},
		{"merge", "{{ $d := merge (dict `a` 1 `n` (dict `x` 1)) (dict `a` 2 `b` 3 `n` (dict `y` 2)) }}{{ toJson $d }}", nil, `{"a":1,"b":3,"n":{"x":1,"y":2}}`, "", "first wins, nested maps merged"},
		{"dig", "{{ dig `a` `b` `d` . }}|{{ dig `a` `x` `d` . }}", map[string]any{"a": map[string]any{"b": "v"}}, "v|d", "", "nested lookup with default"},
		{"toJson", "{{ toJson (list 1 `a`) }}", nil, `[1,"a"]`, "", "any value"},
		{"toPrettyJson", "{{ toPrettyJson (dict `a` 1) }}", nil, "{\n  \"a\": 1\n}", "", "indented"},
		{"fromJson", "{{ (fromJson `{\"a\":1}`).a }}", nil, "1", "", "decoded"},
		{"fromJson/bad", "{{ fromJson `{` }}", nil, "", "fromJson", "sprig's strict variant fails"},
		{"fromYaml", "{{ (fromYaml \"a: b\").a }}", nil, "b", "", "YAML decoded"},
		{"int-conversions", "{{ int `12` }} {{ int64 3.9 }} {{ float64 `1.5` }} {{ atoi ` 7 ` }} {{ int true }}", nil, "12 3 1.5 7 1", "", "numeric conversions"},
		{"int/bad", "{{ int `x` }}", nil, "", "not a number", "bad number"},
		{"arith", "{{ add 1 2 3 }} {{ sub 5 2 }} {{ mul 2 3 }} {{ div 7 2 }} {{ mod 7 2 }} {{ max 1 5 3 }} {{ min 4 2 }}", nil, "6 3 6 3 1 5 2", "", "integer arithmetic"},
		{"div/zero", "{{ div 1 0 }}", nil, "", "division by zero", "an error, not a panic"},
		{"until", "{{ range until 3 }}{{.}}{{ end }}{{ range untilStep 5 0 -2 }}{{.}}{{ end }}", nil, "012531", "", "ranges"},
		{"until/zero-step", "{{ untilStep 0 5 0 }}", nil, "", "out of range", "no infinite loop"},
	}
}

// TestFuncMapCovered fails when a function is called by no case above, so
// a new function cannot land untested.
func TestFuncMapCovered(t *testing.T) {
	called := map[string]bool{}
	for _, tc := range append(istioFuncCases(), sprigFuncCases()...) {
		for _, w := range strings.FieldsFunc(tc.tmpl, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
		}) {
			called[w] = true
		}
	}
	for name := range FuncMap(nil) {
		if !called[name] {
			t.Errorf("function %s has no table case", name)
		}
	}
}

// FuzzQuote checks that quote and squote produce one YAML scalar that reads
// back as the value (invalid UTF-8 becomes U+FFFD), in block and flow
// context, whatever the value holds.
func FuzzQuote(f *testing.F) {
	for _, s := range []string{"", "a", "a\nb", `"}}`, "{{ x }}", ": #", "&a *b - c", "'", "\\", "\x00\x1f\u2028\ufeff", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := strings.ToValidUTF8(s, "\uFFFD")
		for _, doc := range []string{
			"k: " + quote(s) + "\nother: x\n",
			"k: " + squote(s) + "\nother: x\n",
			"m: {k: " + quote(s) + ", other: x}\n",
		} {
			var got map[string]any
			if err := yaml.Unmarshal([]byte(doc), &got); err != nil {
				t.Fatalf("%q: %v", doc, err)
			}
			if m, ok := got["m"].(map[string]any); ok {
				got = m
			}
			if len(got) != 2 || got["k"] != want || got["other"] != "x" {
				t.Fatalf("%q read back as %#v, want k=%q", doc, got, want)
			}
		}
	})
}

// TestYAMLMemo: the toYaml memo answers by content, so every call prints
// what toYaml prints for the value as it is now.
func TestYAMLMemo(t *testing.T) {
	res := map[string]any{"requests": map[string]any{"cpu": "100m", "memory": "128Mi"}}
	cases := []struct {
		name   string
		before func(m *yamlMemo) // calls that fill the memo
		v      any
		reason string
	}{
		{"miss", func(*yamlMemo) {}, res, "an empty memo renders"},
		{"same map", func(m *yamlMemo) { _, _ = m.toYaml(res) }, res, "a hit returns the remembered output"},
		{"equal copy", func(m *yamlMemo) { _, _ = m.toYaml(res) }, codec.CopyTree(res), "another map with the same content hits too"},
		{"changed in place", func(m *yamlMemo) {
			r := codec.CopyTree(res).(map[string]any)
			_, _ = m.toYaml(r)
			r["limits"] = map[string]any{"cpu": "2"}
			if got, _ := m.toYaml(r); !strings.Contains(got, "limits") {
				t.Errorf("changed in place: stale output %q", got)
			}
		}, res, "a map changed after its first print is printed afresh"},
		{"nil vs empty", func(m *yamlMemo) { _, _ = m.toYaml(map[string]any{}) }, map[string]any(nil), "a nil map does not hit an empty one"},
		{"empty vs nil", func(m *yamlMemo) { _, _ = m.toYaml(map[string]any(nil)) }, map[string]any{}, "an empty map does not hit a nil one"},
		{"number types", func(m *yamlMemo) { _, _ = m.toYaml(map[string]any{"a": 1.0}) }, map[string]any{"a": "1"}, "a string does not hit an equal-looking number"},
		{"list order", func(m *yamlMemo) { _, _ = m.toYaml([]any{"a", "b"}) }, []any{"b", "a"}, "lists are ordered"},
		{"not a tree", func(m *yamlMemo) { _, _ = m.toYaml(corev1.Container{Name: "x"}) }, corev1.Container{Name: "y"}, "structs bypass the memo"},
		{"overflow", func(m *yamlMemo) {
			for i := 0; i < 20000; i++ {
				_, _ = m.toYaml(map[string]any{"i": float64(i), "pad": strings.Repeat("x", i%500)})
			}
			if m.c.Bytes() > yamlMemoBytes || m.c.Len() < 100 {
				t.Errorf("overflow: %d entries of %d bytes, bound %d bytes", m.c.Len(), m.c.Bytes(), yamlMemoBytes)
			}
		}, map[string]any{"i": 5.0}, "the memo stays within its bytes, and keeps many small entries"},
		{"outsized", func(m *yamlMemo) {
			big := map[string]any{"x": strings.Repeat("y", yamlMemoBytes/8)}
			_, _ = m.toYaml(big)
			if m.c.Len() != 0 {
				t.Errorf("outsized: a %d-byte output was kept", yamlMemoBytes/8)
			}
		}, map[string]any{"i": 5.0}, "an output above a sixteenth of the budget is not kept"},
	}
	for _, c := range cases {
		m := newYAMLMemo()
		c.before(m)
		want, werr := toYaml(c.v)
		got, err := m.toYaml(c.v)
		if got != want || (err == nil) != (werr == nil) {
			t.Errorf("%s (%s): got %q, %v; want %q, %v", c.name, c.reason, got, err, want, werr)
		}
	}
}

// TestYAMLMemoConcurrent: one memo shared by concurrent renders (run with
// -race) gives each caller its own value's output.
func TestYAMLMemoConcurrent(t *testing.T) {
	m := newYAMLMemo()
	done := make(chan error, 8)
	for g := 0; g < 8; g++ {
		go func(g int) {
			for i := 0; i < 200; i++ {
				v := map[string]any{"g": float64(g), "i": float64(i % 7)}
				want, _ := toYaml(v)
				if got, _ := m.toYaml(v); got != want {
					done <- fmt.Errorf("goroutine %d: got %q want %q", g, got, want)
					return
				}
			}
			done <- nil
		}(g)
	}
	for g := 0; g < 8; g++ {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

// BenchmarkToYaml: printing a resources block, fresh and through the memo
// (the second and later renders of a config value).
func BenchmarkToYaml(b *testing.B) {
	v := map[string]any{"requests": map[string]any{"cpu": "100m", "memory": "128Mi"}, "limits": map[string]any{"cpu": "2", "memory": "1Gi"}}
	b.Run("sigs", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := toYaml(v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("memo", func(b *testing.B) {
		m := newYAMLMemo()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := m.toYaml(v); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestAppendConcurrent appends from goroutines to one shared list and to
// lists of their own (with -race: the in-place growth is safe).
func TestAppendConcurrent(t *testing.T) {
	a := newAppender()
	shared, _ := a.append([]any{"x"}, "y")
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := shared
			for i := 0; i < 100; i++ {
				mine, _ = a.append(mine, g)
			}
			if len(mine) != 102 || mine[1] != "y" || mine[101] != g {
				t.Errorf("goroutine %d: %v", g, mine[:3])
			}
		}()
	}
	wg.Wait()
	if len(shared) != 2 {
		t.Errorf("shared list changed: %v", shared)
	}
}

// BenchmarkAppendLoop appends n items one by one, as a template collecting
// container names does: time per item should not grow with n.
func BenchmarkAppendLoop(b *testing.B) {
	for _, n := range []int{1000, 10000, 40000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			a := newAppender()
			b.ReportAllocs()
			for b.Loop() {
				var l any
				for i := 0; i < n; i++ {
					l, _ = a.append(l, i)
				}
			}
		})
	}
}

// TestQuoteString: quoteString, which compiled templates call for quote
// of one string, is quote of that string.
func TestQuoteString(t *testing.T) {
	for _, s := range []string{"", "a", `a"b`, "a\nb", "\x00\x7f", "\xff\xfe", "é\xc3", "\u2028", `\`, "}}: #&*"} {
		if got, want := quoteString(s), quote(any(s)); got != want {
			t.Errorf("quoteString(%q) = %q, quote gives %q", s, got, want)
		}
		var b strings.Builder
		writeYAMLDoubleQuoted(&b, s)
		if got := quoteString(s); got != b.String() {
			t.Errorf("quoteString(%q) = %q, the quoting of several arguments gives %q", s, got, b.String())
		}
	}
}

// TestDefaultString: defaultString, which compiled templates call for
// default of two strings, is default of them.
func TestDefaultString(t *testing.T) {
	for _, c := range [][2]string{{"d", ""}, {"d", "g"}, {"", ""}, {"", "g"}, {"d", " "}} {
		if got, want := defaultString(c[0], c[1]), dfault(c[0], c[1]); got != want {
			t.Errorf("defaultString(%q, %q) = %q, default gives %v", c[0], c[1], got, want)
		}
	}
}
