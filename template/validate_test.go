package template

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestValidateResources(t *testing.T) {
	cases := []struct {
		name, pod    string
		wantWarnings []string
		wantErr      string
		wantRE       []ResourceError
		reason       string
	}{
		{
			name:   "request within limit",
			pod:    `spec: {containers: [{name: istio-proxy, resources: {requests: {cpu: 100m, memory: 128Mi}, limits: {cpu: "2", memory: 1Gi}}}]}`,
			reason: "Istio's default resources are fine",
		},
		{
			name:    "request above limit",
			pod:     `spec: {containers: [{name: istio-proxy, resources: {requests: {cpu: "2"}, limits: {cpu: "1"}}}]}`,
			wantErr: `container "istio-proxy": cpu request 2 exceeds limit 1`,
			wantRE:  []ResourceError{{Container: "istio-proxy", Resource: "cpu", Request: "2", Limit: "1"}},
			reason:  "Kubernetes rejects it; say so before it does",
		},
		{
			name: "several errors joined in order",
			pod: `spec:
  initContainers: [{name: init, resources: {requests: {memory: 2Gi}, limits: {memory: 1Gi}}}]
  containers: [{name: app, resources: {requests: {cpu: 3, memory: 1Gi}, limits: {cpu: 2, memory: 512Mi}}}]`,
			wantErr: "container \"init\": memory request 2Gi exceeds limit 1Gi\ncontainer \"app\": cpu request 3 exceeds limit 2\ncontainer \"app\": memory request 1Gi exceeds limit 512Mi",
			wantRE: []ResourceError{
				{Container: "init", Resource: "memory", Request: "2Gi", Limit: "1Gi"},
				{Container: "app", Resource: "cpu", Request: "3", Limit: "2"},
				{Container: "app", Resource: "memory", Request: "1Gi", Limit: "512Mi"},
			},
			reason: "errors.Join of every finding, init containers first",
		},
		{
			name:         "request without limit",
			pod:          `spec: {containers: [{name: istio-proxy, resources: {requests: {cpu: "2"}}}]}`,
			wantWarnings: []string{`container "istio-proxy": cpu request 2 has no limit, so its cpu limit is unbounded; set the limit explicitly`},
			reason:       "the seed: proxyCPU without proxyCPULimit leaves the CPU unbounded",
		},
		{
			name:         "limit without request",
			pod:          `spec: {containers: [{name: x, resources: {limits: {memory: 1Gi}}}]}`,
			wantWarnings: []string{`container "x": memory limit 1Gi has no request; Kubernetes will request 1Gi`},
			reason:       "worth knowing, not an error",
		},
		{
			name:    "negative",
			pod:     `spec: {containers: [{name: x, resources: {requests: {cpu: "-1"}, limits: {cpu: "1"}}}]}`,
			wantErr: `container "x": cpu request -1: negative quantity`,
			reason:  "a negative quantity parses but is never valid",
		},
		{
			name:   "no resources",
			pod:    `spec: {containers: [{name: x}]}`,
			reason: "nothing to check",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			warnings, err := ValidateResources(mustPod(t, tc.pod))
			if d := cmp.Diff(tc.wantWarnings, warnings); d != "" {
				t.Errorf("warnings (-want +got) (%s):\n%s", tc.reason, d)
			}
			if tc.wantErr == "" {
				if err != nil {
					t.Errorf("err = %v (%s)", err, tc.reason)
				}
				return
			}
			if err == nil || err.Error() != tc.wantErr {
				t.Fatalf("err = %v, want %q (%s)", err, tc.wantErr, tc.reason)
			}
			var got []ResourceError
			var joined interface{ Unwrap() []error }
			if errors.As(err, &joined) {
				for _, e := range joined.Unwrap() {
					var re *ResourceError
					if errors.As(e, &re) {
						got = append(got, *re)
					}
				}
			}
			if d := cmp.Diff(tc.wantRE, got); d != "" {
				t.Errorf("ResourceErrors (-want +got) (%s):\n%s", tc.reason, d)
			}
		})
	}
	if w, err := ValidateResources(nil); w != nil || err != nil {
		t.Errorf("nil pod: %v, %v", w, err)
	}
}

func TestValidateResourcesFor(t *testing.T) {
	const pod = `spec:
  initContainers: [{name: istio-init, resources: {limits: {cpu: "1"}}}]
  containers:
  - {name: app, resources: {requests: {cpu: 100m}}}
  - {name: istio-proxy, resources: {requests: {cpu: "2"}}}
  - {name: bad-app, resources: {requests: {cpu: "2"}, limits: {cpu: "1"}}}`
	sidecar := func(n string) bool { return strings.HasPrefix(n, "istio-") }
	cases := []struct {
		name, reason string
		warnFor      func(string) bool
		wantWarnings []string
	}{
		{"nil", "nil scope warns for every container, as ValidateResources", nil, []string{
			`container "istio-init": cpu limit 1 has no request; Kubernetes will request 1`,
			`container "app": cpu request 100m has no limit, so its cpu limit is unbounded; set the limit explicitly`,
			`container "istio-proxy": cpu request 2 has no limit, so its cpu limit is unbounded; set the limit explicitly`,
		}},
		{"sidecars", "an injector warns only for what it added; the app's missing limit is the user's business", sidecar, []string{
			`container "istio-init": cpu limit 1 has no request; Kubernetes will request 1`,
			`container "istio-proxy": cpu request 2 has no limit, so its cpu limit is unbounded; set the limit explicitly`,
		}},
		{"none", "no container in scope: no warnings at all", func(string) bool { return false }, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			warnings, err := ValidateResourcesFor(mustPod(t, pod), tc.warnFor)
			if d := cmp.Diff(tc.wantWarnings, warnings); d != "" {
				t.Errorf("warnings (-want +got) (%s):\n%s", tc.reason, d)
			}
			var re *ResourceError
			if !errors.As(err, &re) || re.Container != "bad-app" {
				t.Errorf("err = %v: errors are reported for every container, in scope or not (%s)", err, tc.reason)
			}
		})
	}
}

func TestValidateAnnotations(t *testing.T) {
	cases := []struct {
		name    string
		ann     map[string]string
		wantErr string
		reason  string
	}{
		{"none", nil, "", "no annotations"},
		{"unrelated", map[string]string{"foo": "a\"b\n}}"}, "", "annotations no template reads are not ours to judge"},
		{"interception ok", map[string]string{"sidecar.istio.io/interceptionMode": "TPROXY"}, "", "a known mode"},
		{"interception bad", map[string]string{"sidecar.istio.io/interceptionMode": "tproxy"}, `invalid annotation sidecar.istio.io/interceptionMode="tproxy": interception mode must be REDIRECT, TPROXY or NONE`, "modes are upper case, as Istio's enum"},
		{"ip ranges ok", map[string]string{"traffic.sidecar.istio.io/includeOutboundIPRanges": "10.0.0.0/8,fd00::/8", "traffic.sidecar.istio.io/excludeOutboundIPRanges": ""}, "", "CIDR list, empty allowed"},
		{"ip ranges star", map[string]string{"traffic.sidecar.istio.io/includeOutboundIPRanges": "*"}, "", "* means everything"},
		{"exclude star", map[string]string{"traffic.sidecar.istio.io/excludeOutboundIPRanges": "*"}, `excludeIPRanges invalid: CIDR "*"`, "* is only for include, as in Istio"},
		{"ip ranges injection", map[string]string{"traffic.sidecar.istio.io/includeOutboundIPRanges": "10.0.0.0/8\"\nfoo: bar"}, `includeIPRanges invalid`, "a quote and newline cannot pass as a CIDR"},
		{"ports ok", map[string]string{"traffic.sidecar.istio.io/includeInboundPorts": "*", "traffic.sidecar.istio.io/excludeInboundPorts": "80, 443", "traffic.sidecar.istio.io/excludeOutboundPorts": ""}, "", "lists, star and empty"},
		{"ports bad", map[string]string{"traffic.sidecar.istio.io/excludeInboundPorts": "80,http"}, `excludeInboundPorts invalid: port "http" is not a number from 0 to 65535`, "names the bad port"},
		{"port too big", map[string]string{"status.sidecar.istio.io/port": "70000"}, `port "70000"`, "16 bits"},
		{"readiness", map[string]string{"readiness.status.sidecar.istio.io/periodSeconds": "-1"}, `want a whole number`, "uint32"},
		{"bool", map[string]string{"prometheus.istio.io/merge-metrics": "yes"}, `want true or false`, "strconv booleans only"},
		{"core dump yes", map[string]string{"sidecar.istio.io/enableCoreDump": "yes"}, "", "not validated since Istio 1.25, which injects it"},
		{"core dump injection", map[string]string{"sidecar.istio.io/enableCoreDump": "true\"\nevil: x"}, `value holds a control character or line break, which could change other fields of the pod (the newest Istio would accept it; kinject refuses it)`, "unvalidated by Istio, still data"},
		{"exclude interfaces", map[string]string{"traffic.sidecar.istio.io/excludeInterfaces": "eth0, net_1,ve-th.2"}, "", "Linux names, blanks around them"},
		{"exclude interfaces bad", map[string]string{"traffic.sidecar.istio.io/excludeInterfaces": "eth0,bad iface!"}, `interface name "bad iface!" holds ' '`, "Istio checks the names from 1.30"},
		{"exclude interfaces empty member", map[string]string{"traffic.sidecar.istio.io/excludeInterfaces": "eth0,"}, `empty interface name`, "Istio refuses an empty name"},
		{"exclude interfaces leading dash", map[string]string{"traffic.sidecar.istio.io/excludeInterfaces": "-eth0"}, `starts with '-'`, "a name that reads as an iptables option"},
		{"quantity", map[string]string{"sidecar.istio.io/proxyCPU": "2 cores"}, `sidecar.istio.io/proxyCPU="2 cores": not a quantity`, "fail before rendering, naming the key"},
		{"proxy config ok", map[string]string{"proxy.istio.io/config": "holdApplicationUntilProxyStarts: true\nproxyMetadata: {FOO: bar}"}, "", "a valid config"},
		{"proxy config unknown field", map[string]string{"proxy.istio.io/config": "holdApplicationUntilProxyStart: true"}, `proxy.istio.io/config=`, "names the key, unlike Istio's 'could not parse proxy config'"},
		{"proxy metadata injection", map[string]string{"proxy.istio.io/config": `proxyMetadata: {FOO: "x\"\n- name: EVIL"}`}, `proxyMetadata FOO: value holds a control character`, "metadata values are written unquoted by the shipped template"},
		{"interfaces", map[string]string{"traffic.sidecar.istio.io/kubevirtInterfaces": "net1, net2", "istio.io/reroute-virtual-interfaces": "eth0"}, "", "interface lists"},
		{"interfaces injection", map[string]string{"traffic.sidecar.istio.io/kubevirtInterfaces": `eth0",evil: "x`}, `interface name "eth0\"" holds '"'`, "the shipped template writes these unquoted; Istio does not check them"},
		{"user volume ok", map[string]string{"sidecar.istio.io/userVolume": `{"cache":{"emptyDir":{}}}`}, "", "a volume"},
		{"user volume name", map[string]string{"sidecar.istio.io/userVolume": `{"a\"b":{"emptyDir":{}}}`}, `volume name "a\"b"`, "keys become names, unquoted"},
		{"user volume scalar", map[string]string{"sidecar.istio.io/userVolumeMount": `{"a":"x"}`}, `volume a: want a JSON object`, "a scalar would be pasted into the YAML"},
		{"datadog", map[string]string{"apm.datadoghq.com/env": `{"DD_ENV":"prod"}`}, "", "env from JSON"},
		{"datadog injection", map[string]string{"apm.datadoghq.com/env": `{"DD_ENV":"a\"\n"}`}, `env DD_ENV: value holds a control character`, "values are written between quotes without escaping"},
		{"multus", map[string]string{"k8s.v1.cni.cncf.io/networks": `[{"name":"a"}]`}, "", "JSON form is fine"},
		{"multus quote", map[string]string{"k8s.v1.cni.cncf.io/networks": `a', evil: 'x`}, `single quote`, "written inside single quotes"},
		{"several sorted", map[string]string{"sidecar.istio.io/proxyCPU": "x", "sidecar.istio.io/interceptionMode": "x"}, "invalid annotation sidecar.istio.io/interceptionMode=\"x\": interception mode must be REDIRECT, TPROXY or NONE\ninvalid annotation sidecar.istio.io/proxyCPU=\"x\"", "all findings, by key"},
		{"long value cut", map[string]string{"sidecar.istio.io/interceptionMode": strings.Repeat("A", 100000)}, `... (100000 bytes)`, "a 100 KB value is not echoed whole"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateAnnotations(tc.ann)
			if tc.wantErr == "" {
				if err != nil {
					t.Errorf("err = %v (%s)", err, tc.reason)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want it to contain %q (%s)", err, tc.wantErr, tc.reason)
			}
			if !errors.Is(err, ErrInvalidAnnotation) {
				t.Errorf("err does not wrap ErrInvalidAnnotation (%s)", tc.reason)
			}
		})
	}
}

func TestValidateLabels(t *testing.T) {
	cases := []struct {
		name    string
		labels  map[string]string
		wantErr string
		reason  string
	}{
		{"ok", map[string]string{"app": "web", "service.istio.io/canonical-name": "web-1.0"}, "", "valid keys and values"},
		{"bad value", map[string]string{"service.istio.io/workload-name": "a\"\nb"}, `invalid label service.istio.io/workload-name="a\"\nb"`, "the shipped template writes this label unquoted"},
		{"bad key", map[string]string{"a b": "x"}, `invalid label key "a b"`, "keys are qualified names"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateLabels(tc.labels)
			if tc.wantErr == "" {
				if err != nil {
					t.Errorf("err = %v (%s)", err, tc.reason)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.Is(err, ErrInvalidLabel) {
				t.Errorf("err = %v, want %q wrapping ErrInvalidLabel (%s)", err, tc.wantErr, tc.reason)
			}
		})
	}
}

func TestValidatedAnnotationsSorted(t *testing.T) {
	ks := ValidatedAnnotations()
	for i := 1; i < len(ks); i++ {
		if ks[i-1] >= ks[i] {
			t.Fatalf("not sorted at %d: %q, %q", i, ks[i-1], ks[i])
		}
	}
	if len(ks) != len(annotationValidators) {
		t.Errorf("got %d keys, want %d", len(ks), len(annotationValidators))
	}
}

// TestResourceErrorMessage: what set a quantity, when known, follows the
// container's finding, so the user sees the annotations they wrote.
func TestResourceErrorMessage(t *testing.T) {
	base := ResourceError{Container: "istio-proxy", Resource: "cpu", Request: "2", Limit: "500m"}
	cases := []struct {
		name, reason string
		req, lim     string
		want         string
	}{
		{"unknown", "without sources the message names the container only", "", "",
			`container "istio-proxy": cpu request 2 exceeds limit 500m`},
		{"both", "both quantities came from annotations", `sidecar.istio.io/proxyCPU: "2"`, `sidecar.istio.io/proxyCPULimit: "500m"`,
			`container "istio-proxy": cpu request 2 exceeds limit 500m (sidecar.istio.io/proxyCPU: "2" exceeds sidecar.istio.io/proxyCPULimit: "500m")`},
		{"request only", "the limit came from elsewhere (the pod's own container)", `sidecar.istio.io/proxyCPU: "2"`, "",
			`container "istio-proxy": cpu request 2 exceeds limit 500m (sidecar.istio.io/proxyCPU: "2" exceeds limit 500m)`},
		{"limit only", "the request came from elsewhere", "", `sidecar.istio.io/proxyCPULimit: "500m"`,
			`container "istio-proxy": cpu request 2 exceeds limit 500m (request 2 exceeds sidecar.istio.io/proxyCPULimit: "500m")`},
	}
	for _, tc := range cases {
		e := base
		e.RequestFrom, e.LimitFrom = tc.req, tc.lim
		if got := e.Error(); got != tc.want {
			t.Errorf("%s: got %q, want %q (%s)", tc.name, got, tc.want, tc.reason)
		}
	}
}

// The checks that changed between Istio releases, each under the release
// that has it and the one that does not.
func TestValidateAnnotationsFor(t *testing.T) {
	old := AnnotationChecks{Release: "Istio 1.23.6", BoolCoreDump: true, LaxInterfaces: true}
	mid := AnnotationChecks{Release: "Istio 1.26.8", LaxInterfaces: true}
	newest := AnnotationChecks{}
	cases := []struct {
		name    string
		checks  AnnotationChecks
		ann     map[string]string
		wantErr string
		reason  string
	}{
		{"1.23 core dump yes", old, map[string]string{"sidecar.istio.io/enableCoreDump": "yes"}, "want true or false", "up to 1.24 Istio parses it as a boolean"},
		{"1.23 core dump True", old, map[string]string{"sidecar.istio.io/enableCoreDump": "True"}, "", "ParseBool accepts True"},
		{"1.26 core dump yes", mid, map[string]string{"sidecar.istio.io/enableCoreDump": "yes"}, "", "from 1.25 it is not validated"},
		{"newest core dump yes", newest, map[string]string{"sidecar.istio.io/enableCoreDump": "yes"}, "", "the bug the issue names: refused before"},
		{"1.26 core dump quote", mid, map[string]string{"sidecar.istio.io/enableCoreDump": `yes"`}, `(Istio 1.26.8 would accept it; kinject refuses it)`, "security holds where the release let it through, and says which release"},
		{"1.23 interfaces malformed", old, map[string]string{"traffic.sidecar.istio.io/excludeInterfaces": "eth0,bad iface!"}, "", "malformed but cannot leave its quotes: follows the release"},
		{"1.26 interfaces injection", mid, map[string]string{"traffic.sidecar.istio.io/excludeInterfaces": "eth0\"\n  stdin: true"}, `excludeInterfaces="eth0\"\n  stdin: true": value holds a control character or line break, which could change other fields of the pod (Istio 1.26.8 would accept it`, "kinject keeps refusing a break-out"},
		{"1.26 interfaces backslash", mid, map[string]string{"traffic.sidecar.istio.io/excludeInterfaces": `eth0\`}, "value holds a quote or backslash", "a trailing backslash would escape the closing quote"},
		{"1.26 interfaces bad UTF-8", mid, map[string]string{"traffic.sidecar.istio.io/excludeInterfaces": "eth\xff"}, "not valid UTF-8", "the YAML parser would fail without naming the annotation"},
		{"newest interfaces malformed", newest, map[string]string{"traffic.sidecar.istio.io/excludeInterfaces": "eth0,bad iface!"}, `interface name "bad iface!" holds ' '`, "from 1.30 Istio checks the names"},
		{"1.23 unchanged checks", old, map[string]string{"sidecar.istio.io/interceptionMode": "tproxy"}, "interception mode must be", "checks no release changed apply to all"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateAnnotationsFor(tc.ann, tc.checks)
			if tc.wantErr == "" {
				if err != nil {
					t.Errorf("err = %v (%s)", err, tc.reason)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want it to contain %q (%s)", err, tc.wantErr, tc.reason)
			}
			if !errors.Is(err, ErrInvalidAnnotation) {
				t.Errorf("err does not wrap ErrInvalidAnnotation (%s)", tc.reason)
			}
		})
	}
}
