package template

// MeshConfig is Istio's mesh configuration (the "mesh" key of the istio
// ConfigMap), as plain Go with Istio's JSON field names.
//
// TODO(issue 6): complete the field set and defaults.
type MeshConfig struct {
	TrustDomain   string       `json:"trustDomain,omitempty"`
	DefaultConfig *ProxyConfig `json:"defaultConfig,omitempty"`
}

// ProxyConfig is Istio's per-proxy configuration (the mesh's defaultConfig,
// overlaid by a pod's proxy.istio.io/config annotation).
//
// TODO(issue 6): complete the field set.
type ProxyConfig struct {
	DiscoveryAddress string            `json:"discoveryAddress,omitempty"`
	ProxyMetadata    map[string]string `json:"proxyMetadata,omitempty"`
}
