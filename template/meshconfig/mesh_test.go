package meshconfig

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// istioCorpus returns the conformance corpus folder or skips the test.
func meshCorpusDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("KINJECT_ISTIO_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "istio-corpus")
	}
	if _, err := os.Stat(filepath.Join(dir, "cases")); err != nil {
		t.Skipf("Istio corpus not found at %s (set KINJECT_ISTIO_CORPUS): %v", dir, err)
	}
	return dir
}

// TestMeshConfigCorpus loads every corpus case's mesh.yaml and compares the
// result, encoded as JSON, with the effective MeshConfig Istio computed.
func TestMeshConfigCorpus(t *testing.T) {
	dir := meshCorpusDir(t)
	cases, err := filepath.Glob(filepath.Join(dir, "cases", "*", "mesh.yaml"))
	if err != nil || len(cases) == 0 {
		t.Fatalf("no mesh.yaml in corpus: %v", err)
	}
	sort.Strings(cases)
	for _, path := range cases {
		name := filepath.Base(filepath.Dir(path))
		t.Run(name, func(t *testing.T) {
			doc, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			m, err := ParseMeshConfig(doc)
			if err != nil {
				t.Fatalf("ParseMeshConfig: %v", err)
			}
			got, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(filepath.Join(filepath.Dir(path), "mesh-effective.json"))
			if err != nil {
				t.Fatal(err)
			}
			var g, w any
			if err := json.Unmarshal(got, &g); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(want, &w); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(w, g); d != "" {
				t.Errorf("effective mesh config mismatch (-istio +kinject):\n%s", d)
			}
		})
	}
}

func TestParseMeshConfig(t *testing.T) {
	tests := []struct {
		name, reason string
		doc          string
		check        func(*MeshConfig) string
		wantErr      string
	}{
		{
			name: "empty", reason: "no document gives Istio's defaults",
			check: func(m *MeshConfig) string {
				return cmp.Diff(DefaultMeshConfig(), m)
			},
		},
		{
			name: "proxy field merges", reason: "defaultConfig merges over the proxy defaults rather than replacing them",
			doc: "defaultConfig:\n  drainDuration: 23s\n",
			check: func(m *MeshConfig) string {
				want := DefaultProxyConfig()
				want.DrainDuration = NewDuration(23 * time.Second)
				return cmp.Diff(want, m.DefaultConfig)
			},
		},
		{
			name: "enable tracing false", reason: "a bool defaulting to true can be switched off",
			doc: "enableTracing: false",
			check: func(m *MeshConfig) string {
				return cmp.Diff(false, m.EnableTracing)
			},
		},
		{
			name: "provider replaces default", reason: "a user provider named like a default replaces it",
			doc: "extensionProviders:\n- name: envoy\n  envoyFileAccessLog:\n    path: /tmp/log\n",
			check: func(m *MeshConfig) string {
				var names []string
				for _, p := range m.ExtensionProviders {
					names = append(names, p.Name)
				}
				return cmp.Diff([]string{"prometheus", "stackdriver", "envoy"}, names) +
					cmp.Diff(`{"path":"/tmp/log"}`, string(m.ExtensionProviders[2].EnvoyFileAccessLog))
			},
		},
		{
			name: "inbound mode", reason: "templates see the inbound mode in lower case",
			doc: "inboundTrafficPolicy:\n  mode: LOCALHOST\n",
			check: func(m *MeshConfig) string {
				return cmp.Diff("localhost", m.InboundMode())
			},
		},
		{
			name: "unknown top-level field", reason: "typos are errors naming the field",
			doc: "trustDomian: x", wantErr: `unknown field "trustDomian"`,
		},
		{
			name: "unknown proxy field", reason: "typos inside defaultConfig are errors naming the field",
			doc: "defaultConfig:\n  drainDurtion: 5s\n", wantErr: `unknown field "defaultConfig.drainDurtion"`,
		},
		{
			name: "bad enum", reason: "an unknown enum name is an error listing the known ones",
			doc: "defaultConfig:\n  interceptionMode: BOUNCE\n", wantErr: `invalid interceptionMode "BOUNCE" (known: REDIRECT, TPROXY, NONE)`,
		},
		{
			name: "h2 upgrade by name", reason: "h2UpgradePolicy is an enum: its name is read",
			doc: "h2UpgradePolicy: UPGRADE",
			check: func(m *MeshConfig) string {
				return cmp.Diff(H2Upgrade, m.H2UpgradePolicy)
			},
		},
		{
			name: "h2 upgrade by number", reason: "protobuf's JSON accepts an enum's number as well as its name",
			doc: "h2UpgradePolicy: 1",
			check: func(m *MeshConfig) string {
				return cmp.Diff(H2Upgrade, m.H2UpgradePolicy)
			},
		},
		{
			name: "bad h2 upgrade", reason: "an h2UpgradePolicy Istio does not know is an error, as for every enum",
			doc: "h2UpgradePolicy: ALWAYS", wantErr: `invalid h2UpgradePolicy "ALWAYS" (known: DO_NOT_UPGRADE, UPGRADE)`,
		},
		{
			name: "forward client cert", reason: "gatewayTopology.forwardClientCertDetails is an enum: its name is read",
			doc: "defaultConfig:\n  gatewayTopology:\n    forwardClientCertDetails: APPEND_FORWARD\n",
			check: func(m *MeshConfig) string {
				if m.DefaultConfig.GatewayTopology == nil {
					return "no gatewayTopology"
				}
				return cmp.Diff("APPEND_FORWARD", m.DefaultConfig.GatewayTopology.ForwardClientCertDetails.String())
			},
		},
		{
			name: "bad forward client cert", reason: "an unknown forwardClientCertDetails is an error listing the known ones",
			doc:     "defaultConfig:\n  gatewayTopology:\n    forwardClientCertDetails: KEEP\n",
			wantErr: `invalid gatewayTopology.forwardClientCertDetails "KEEP" (known: UNDEFINED, SANITIZE`,
		},
		{
			name: "provider of two kinds", reason: "a provider is a protobuf oneof: Istio's parser refuses a second kind",
			doc:     "extensionProviders:\n- name: both\n  zipkin: {service: z, port: 9411}\n  datadog: {service: d, port: 8126}\n",
			wantErr: `extensionProviders[3] ("both"): sets zipkin and datadog; a provider is of one kind`,
		},
		{
			name: "provider kind null", reason: "null is an unset member in protobuf's JSON, not a second kind",
			doc: "extensionProviders:\n- name: z\n  zipkin: {service: z, port: 9411}\n  datadog: null\n",
			check: func(m *MeshConfig) string {
				return cmp.Diff([]string{"zipkin"}, m.ExtensionProviders[3].kinds())
			},
		},
		{
			name: "bad duration", reason: "durations must parse",
			doc: "connectTimeout: soon", wantErr: `invalid duration "soon"`,
		},
		{
			name: "not yaml", reason: "malformed YAML is an error",
			doc: "a: [", wantErr: "mesh config:",
		},
		{
			name: "provider without name", reason: "Istio requires every provider to be named",
			doc: "extensionProviders:\n- zipkin: {}\n", wantErr: "extensionProviders[3]: name is required",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParseMeshConfig([]byte(tt.doc))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want it to contain %q (%s)", err, tt.wantErr, tt.reason)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseMeshConfig: %v (%s)", err, tt.reason)
			}
			if d := tt.check(m); d != "" {
				t.Errorf("%s:\n%s", tt.reason, d)
			}
		})
	}
}

func TestProtoJSON(t *testing.T) {
	tests := []struct {
		name, reason string
		overlay      string
		want         string
	}{
		{"defaults", "a config equal to Istio's defaults prints as {}", "", `{}`},
		{"duration", "durations print in protobuf form", "drainDuration: 23s", `{"drainDuration":"23s"}`},
		{"fraction", "fractional seconds use 3, 6 or 9 digits", "drainDuration: 1500ms", `{"drainDuration":"1.500s"}`},
		{"wrapper false", "a set wrapper prints even when false", `{"holdApplicationUntilProxyStarts": false}`, `{"holdApplicationUntilProxyStarts":false}`},
		{"enum", "enums print by name", "interceptionMode: TPROXY", `{"interceptionMode":"TPROXY"}`},
		{"enum default", "REDIRECT is the zero value and is omitted", "interceptionMode: REDIRECT", `{}`},
		{"topology enum", "a gateway's forwardClientCertDetails prints by name",
			"gatewayTopology: {forwardClientCertDetails: SANITIZE_SET}", `{"gatewayTopology":{"forwardClientCertDetails":"SANITIZE_SET"}}`},
		{"empty message", "a set empty message prints as {}", "tracing: {}", `{"tracing":{}}`},
		{"field order", "fields print in protobuf field order, not alphabetically",
			"proxyMetadata: {FOO: bar}\nconcurrency: 0\ndiscoveryAddress: foo:123",
			`{"discoveryAddress":"foo:123","concurrency":0,"proxyMetadata":{"FOO":"bar"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := MergeProxyConfig(DefaultProxyConfig(), []byte(tt.overlay))
			if err != nil {
				t.Fatal(err)
			}
			got, err := p.ProtoJSON()
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("ProtoJSON = %s, want %s (%s)", got, tt.want, tt.reason)
			}
		})
	}
}

func TestMergeProxyConfig(t *testing.T) {
	base := DefaultProxyConfig()
	base.ProxyMetadata = map[string]string{"A": "1", "B": "2"}
	tests := []struct {
		name, reason string
		doc          string
		check        func(*ProxyConfig) string
		wantErr      string
	}{
		{
			name: "metadata merges", reason: "proxyMetadata merges key by key, the overlay winning",
			doc: "proxyMetadata: {B: x, C: z}",
			check: func(p *ProxyConfig) string {
				return cmp.Diff(map[string]string{"A": "1", "B": "x", "C": "z"}, p.ProxyMetadata)
			},
		},
		{
			name: "json", reason: "the annotation may be JSON",
			doc: `{ "holdApplicationUntilProxyStarts": true }`,
			check: func(p *ProxyConfig) string {
				return cmp.Diff(true, p.HoldApplicationUntilProxyStarts.GetValue())
			},
		},
		{
			name: "unknown", reason: "an unknown field is named",
			doc: "holdApplication: true", wantErr: `unknown field "holdApplication"`,
		},
		{
			name: "wrong type", reason: "a type mismatch names the field",
			doc: "statusPort: abc", wantErr: "field statusPort",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := MergeProxyConfig(base, []byte(tt.doc))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrProxyConfig) {
					t.Fatalf("error = %v, want ErrProxyConfig containing %q (%s)", err, tt.wantErr, tt.reason)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := tt.check(p); d != "" {
				t.Errorf("%s:\n%s", tt.reason, d)
			}
			if d := cmp.Diff(map[string]string{"A": "1", "B": "2"}, base.ProxyMetadata); d != "" {
				t.Errorf("base was modified:\n%s", d)
			}
		})
	}
}

func TestTemplateAccessors(t *testing.T) {
	var p *ProxyConfig
	if p.GetTracing().GetTlsSettings().GetCaCertificates() != "" {
		t.Error("nil chain should give an empty string")
	}
	if p.GetHoldApplicationUntilProxyStarts().GetValue() {
		t.Error("nil wrapper should be false")
	}
	if got := InterceptionMode(0).String(); got != "REDIRECT" {
		t.Errorf("zero interception mode = %s, want REDIRECT", got)
	}
	if got := NewDuration(90 * time.Second).String(); got != "1m30s" {
		t.Errorf("Duration.String = %s, want Go form 1m30s", got)
	}
}
