package meshconfig

import (
	"encoding/json"
	"testing"
)

// FuzzParseMeshConfig: arbitrary mesh documents never panic, and loading is
// stable: once a loaded config has been encoded and loaded again, further
// rounds change nothing. (The first round may change it: encoding leaves
// out false booleans as protobuf JSON does, and loading over the defaults
// turns enableTracing back on.)
func FuzzParseMeshConfig(f *testing.F) {
	f.Add([]byte("defaultConfig:\n  drainDuration: 23s\n"))
	f.Add([]byte("extensionProviders:\n- name: otel\n  opentelemetry: {port: 4317}\n"))
	f.Add([]byte("inboundTrafficPolicy: {mode: LOCALHOST}\nenableTracing: false\n"))
	f.Fuzz(func(t *testing.T, doc []byte) {
		m, err := ParseMeshConfig(doc)
		if err != nil {
			return
		}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("encoding a loaded config: %v", err)
		}
		m2, err := ParseMeshConfig(b)
		if err != nil {
			t.Fatalf("re-loading %s: %v", b, err)
		}
		b2, _ := json.Marshal(m2)
		m3, err := ParseMeshConfig(b2)
		if err != nil {
			t.Fatalf("re-loading %s: %v", b2, err)
		}
		b3, _ := json.Marshal(m3)
		if string(b2) != string(b3) {
			t.Fatalf("loading is not stable:\n%s\n%s", b2, b3)
		}
	})
}

// FuzzMergeProxyConfig: arbitrary proxy.istio.io/config values never panic
// and ProtoJSON of any accepted config is valid JSON.
func FuzzMergeProxyConfig(f *testing.F) {
	f.Add([]byte(`{ "holdApplicationUntilProxyStarts": true }`))
	f.Add([]byte("discoveryAddress: foo:123\nconcurrency: 0\nproxyMetadata: {A: b}\n"))
	f.Add([]byte("tracing: {tlsSettings: {caCertificates: /x}}\ndrainDuration: 1.5s\n"))
	f.Fuzz(func(t *testing.T, doc []byte) {
		p, err := MergeProxyConfig(DefaultProxyConfig(), doc)
		if err != nil {
			return
		}
		js, err := p.ProtoJSON()
		if err != nil {
			t.Fatalf("ProtoJSON: %v", err)
		}
		if !json.Valid(js) {
			t.Fatalf("ProtoJSON is not JSON: %s", js)
		}
	})
}
