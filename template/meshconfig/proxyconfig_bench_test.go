package meshconfig

import "testing"

// BenchmarkProtoJSON measures PROXY_CONFIG rendering, done once per
// injected pod by the shipped templates.
func BenchmarkProtoJSON(b *testing.B) {
	p, err := MergeProxyConfig(DefaultProxyConfig(), []byte("discoveryAddress: foo:123\nconcurrency: 0\nproxyMetadata: {FOO: bar}\n"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for n := 0; n < b.N; n++ {
		if _, err := p.ProtoJSON(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMergeProxyConfig measures the proxy.istio.io/config overlay.
func BenchmarkMergeProxyConfig(b *testing.B) {
	base := DefaultProxyConfig()
	doc := []byte(`{ "holdApplicationUntilProxyStarts": true }`)
	b.ReportAllocs()
	for n := 0; n < b.N; n++ {
		if _, err := MergeProxyConfig(base, doc); err != nil {
			b.Fatal(err)
		}
	}
}
