package meshconfig

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// MeshConfig is Istio's mesh configuration (the "mesh" key of the istio
// ConfigMap), as plain Go with Istio's JSON field names.
//
// Load one with ParseMeshConfig, which applies Istio's defaults; a zero
// MeshConfig has none of them. Encoding a MeshConfig with encoding/json gives
// the same document as protobuf JSON would (fields at their zero value are
// left out, message fields and wrappers are printed when set). Sub-messages
// that the injector never reads (tcpKeepalive, discoverySelectors, ca, ...)
// are kept as raw JSON: they round-trip but their inner fields are not
// checked.
type MeshConfig struct {
	ProxyListenPort                int32                  `json:"proxyListenPort,omitempty"`
	ProxyInboundListenPort         int32                  `json:"proxyInboundListenPort,omitempty"`
	ProxyHTTPPort                  int32                  `json:"proxyHttpPort,omitempty"`
	ConnectTimeout                 *Duration              `json:"connectTimeout,omitempty"`
	ProtocolDetectionTimeout       *Duration              `json:"protocolDetectionTimeout,omitempty"`
	TCPKeepalive                   json.RawMessage        `json:"tcpKeepalive,omitempty"`
	IngressClass                   string                 `json:"ingressClass,omitempty"`
	IngressService                 string                 `json:"ingressService,omitempty"`
	IngressControllerMode          IngressControllerMode  `json:"ingressControllerMode,omitempty"`
	IngressSelector                string                 `json:"ingressSelector,omitempty"`
	EnableTracing                  bool                   `json:"enableTracing,omitempty"`
	AccessLogFile                  string                 `json:"accessLogFile,omitempty"`
	AccessLogFormat                string                 `json:"accessLogFormat,omitempty"`
	AccessLogEncoding              AccessLogEncoding      `json:"accessLogEncoding,omitempty"`
	EnableEnvoyAccessLogService    bool                   `json:"enableEnvoyAccessLogService,omitempty"`
	DisableEnvoyListenerLog        bool                   `json:"disableEnvoyListenerLog,omitempty"`
	DefaultConfig                  *ProxyConfig           `json:"defaultConfig,omitempty"`
	OutboundTrafficPolicy          *OutboundTrafficPolicy `json:"outboundTrafficPolicy,omitempty"`
	InboundTrafficPolicy           *InboundTrafficPolicy  `json:"inboundTrafficPolicy,omitempty"`
	ConfigSources                  []json.RawMessage      `json:"configSources,omitempty"`
	EnableAutoMTLS                 *BoolValue             `json:"enableAutoMtls,omitempty"`
	TrustDomain                    string                 `json:"trustDomain,omitempty"`
	TrustDomainAliases             []string               `json:"trustDomainAliases,omitempty"`
	CACertificates                 []json.RawMessage      `json:"caCertificates,omitempty"`
	DefaultServiceExportTo         []string               `json:"defaultServiceExportTo,omitempty"`
	DefaultVirtualServiceExportTo  []string               `json:"defaultVirtualServiceExportTo,omitempty"`
	DefaultDestinationRuleExportTo []string               `json:"defaultDestinationRuleExportTo,omitempty"`
	RootNamespace                  string                 `json:"rootNamespace,omitempty"`
	LocalityLbSetting              json.RawMessage        `json:"localityLbSetting,omitempty"`
	DNSRefreshRate                 *Duration              `json:"dnsRefreshRate,omitempty"`
	H2UpgradePolicy                string                 `json:"h2UpgradePolicy,omitempty"`
	InboundClusterStatName         string                 `json:"inboundClusterStatName,omitempty"`
	OutboundClusterStatName        string                 `json:"outboundClusterStatName,omitempty"`
	Certificates                   []json.RawMessage      `json:"certificates,omitempty"`
	ServiceSettings                []json.RawMessage      `json:"serviceSettings,omitempty"`
	EnablePrometheusMerge          *BoolValue             `json:"enablePrometheusMerge,omitempty"`
	VerifyCertificateAtClient      *BoolValue             `json:"verifyCertificateAtClient,omitempty"`
	CA                             json.RawMessage        `json:"ca,omitempty"`
	ExtensionProviders             []*ExtensionProvider   `json:"extensionProviders,omitempty"`
	DefaultProviders               *DefaultProviders      `json:"defaultProviders,omitempty"`
	DiscoverySelectors             []json.RawMessage      `json:"discoverySelectors,omitempty"`
	PathNormalization              json.RawMessage        `json:"pathNormalization,omitempty"`
	DefaultHTTPRetryPolicy         json.RawMessage        `json:"defaultHttpRetryPolicy,omitempty"`
	MeshMTLS                       json.RawMessage        `json:"meshMTLS,omitempty"`
	TLSDefaults                    json.RawMessage        `json:"tlsDefaults,omitempty"`
	ServiceScopeConfigs            []json.RawMessage      `json:"serviceScopeConfigs,omitempty"`
}

// GetDefaultConfig returns the mesh's default proxy config (nil-safe).
func (m *MeshConfig) GetDefaultConfig() *ProxyConfig {
	if m == nil {
		return nil
	}
	return m.DefaultConfig
}

// GetExtensionProviders returns the extension providers (nil-safe).
func (m *MeshConfig) GetExtensionProviders() []*ExtensionProvider {
	if m == nil {
		return nil
	}
	return m.ExtensionProviders
}

// GetTrustDomain returns the trust domain (nil-safe).
func (m *MeshConfig) GetTrustDomain() string {
	if m == nil {
		return ""
	}
	return m.TrustDomain
}

// InboundMode returns the inbound traffic policy mode in lower case
// ("passthrough" or "localhost"), the form templates see as
// .InboundTrafficPolicyMode.
func (m *MeshConfig) InboundMode() string {
	if m == nil || m.InboundTrafficPolicy == nil {
		return strings.ToLower(InboundPassthrough.String())
	}
	return strings.ToLower(m.InboundTrafficPolicy.Mode.String())
}

// PrometheusMerge reports whether the injector merges the application's
// prometheus.io annotations into the proxy's (enablePrometheusMerge, true when
// unset).
func (m *MeshConfig) PrometheusMerge() bool {
	if m == nil || m.EnablePrometheusMerge == nil {
		return true
	}
	return m.EnablePrometheusMerge.Value
}

// OutboundTrafficPolicy says what happens to traffic for unknown hosts.
type OutboundTrafficPolicy struct {
	Mode OutboundMode `json:"mode,omitempty"`
}

// InboundTrafficPolicy says how inbound traffic reaches the application.
type InboundTrafficPolicy struct {
	Mode InboundMode `json:"mode,omitempty"`
}

// DefaultProviders names the extension providers used when none is chosen.
type DefaultProviders struct {
	Tracing       []string `json:"tracing,omitempty"`
	Metrics       []string `json:"metrics,omitempty"`
	AccessLogging []string `json:"accessLogging,omitempty"`
}

// ExtensionProvider is one entry of the mesh's extensionProviders: a name and
// exactly one provider. Only OpenTelemetry is typed (templates read its
// serviceAttributeEnrichment); the others are kept as raw JSON objects.
type ExtensionProvider struct {
	Name               string          `json:"name"`
	EnvoyExtAuthzHTTP  json.RawMessage `json:"envoyExtAuthzHttp,omitempty"`
	EnvoyExtAuthzGRPC  json.RawMessage `json:"envoyExtAuthzGrpc,omitempty"`
	Zipkin             json.RawMessage `json:"zipkin,omitempty"`
	Lightstep          json.RawMessage `json:"lightstep,omitempty"`
	Datadog            json.RawMessage `json:"datadog,omitempty"`
	Stackdriver        json.RawMessage `json:"stackdriver,omitempty"`
	Opencensus         json.RawMessage `json:"opencensus,omitempty"`
	Skywalking         json.RawMessage `json:"skywalking,omitempty"`
	Opentelemetry      *OpenTelemetry  `json:"opentelemetry,omitempty"`
	Prometheus         json.RawMessage `json:"prometheus,omitempty"`
	EnvoyFileAccessLog json.RawMessage `json:"envoyFileAccessLog,omitempty"`
	EnvoyHTTPAls       json.RawMessage `json:"envoyHttpAls,omitempty"`
	EnvoyTCPAls        json.RawMessage `json:"envoyTcpAls,omitempty"`
	EnvoyOtelAls       json.RawMessage `json:"envoyOtelAls,omitempty"`
	SDS                json.RawMessage `json:"sds,omitempty"`
}

// GetOpentelemetry returns the OpenTelemetry provider (nil-safe).
func (e *ExtensionProvider) GetOpentelemetry() *OpenTelemetry {
	if e == nil {
		return nil
	}
	return e.Opentelemetry
}

// OpenTelemetry is the OpenTelemetry tracing provider.
type OpenTelemetry struct {
	Service                    string          `json:"service,omitempty"`
	Port                       uint32          `json:"port,omitempty"`
	MaxTagLength               uint32          `json:"maxTagLength,omitempty"`
	HTTP                       json.RawMessage `json:"http,omitempty"`
	GRPC                       json.RawMessage `json:"grpc,omitempty"`
	ResourceDetectors          json.RawMessage `json:"resourceDetectors,omitempty"`
	DynatraceSampler           json.RawMessage `json:"dynatraceSampler,omitempty"`
	ServiceAttributeEnrichment string          `json:"serviceAttributeEnrichment,omitempty"`
}

// DefaultMeshConfig returns Istio's mesh defaults (what
// mesh.DefaultMeshConfig sets), a fresh value each call.
func DefaultMeshConfig() *MeshConfig {
	return &MeshConfig{
		ProxyListenPort:                15001,
		ProxyInboundListenPort:         15006,
		ConnectTimeout:                 NewDuration(10 * time.Second),
		ProtocolDetectionTimeout:       NewDuration(0),
		IngressClass:                   "istio",
		IngressService:                 "istio-ingressgateway",
		IngressControllerMode:          IngressControllerStrict,
		EnableTracing:                  true,
		DefaultConfig:                  DefaultProxyConfig(),
		OutboundTrafficPolicy:          &OutboundTrafficPolicy{Mode: OutboundAllowAny},
		InboundTrafficPolicy:           &InboundTrafficPolicy{},
		EnableAutoMTLS:                 NewBool(true),
		TrustDomain:                    "cluster.local",
		DefaultServiceExportTo:         []string{"*"},
		DefaultVirtualServiceExportTo:  []string{"*"},
		DefaultDestinationRuleExportTo: []string{"*"},
		RootNamespace:                  "istio-system",
		LocalityLbSetting:              json.RawMessage(`{"enabled":true}`),
		DNSRefreshRate:                 NewDuration(60 * time.Second),
		EnablePrometheusMerge:          NewBool(true),
		ExtensionProviders: []*ExtensionProvider{
			{Name: "prometheus", Prometheus: json.RawMessage(`{}`)},
			{Name: "stackdriver", Stackdriver: json.RawMessage(`{}`)},
			{Name: "envoy", EnvoyFileAccessLog: json.RawMessage(`{"path":"/dev/stdout"}`)},
		},
		DefaultProviders: &DefaultProviders{Metrics: []string{"prometheus"}},
	}
}

// ParseMeshConfig decodes a mesh configuration (YAML or JSON, the "mesh" key
// of Istio's istio ConfigMap) over Istio's defaults, the way Istio loads it:
//
//   - fields present in doc replace the defaults;
//   - defaultConfig is merged field by field over Istio's default proxy
//     config (and proxyMetadata key by key), so setting one proxy field keeps
//     the other defaults;
//   - extensionProviders are added to the default providers (prometheus,
//     stackdriver, envoy), a provider with the name of a default replacing it.
//
// Decoding is strict: an unknown field is an error that names it. A nil or
// empty doc gives the defaults.
//
// Trap: encoding a MeshConfig leaves out booleans that are false, as
// protobuf JSON does, so loading that encoding again over the defaults turns
// enableTracing (default true) back on. Keep the original document, not a
// re-encoding, when the config must be loaded again.
func ParseMeshConfig(doc []byte) (*MeshConfig, error) {
	m := DefaultMeshConfig()
	defaults := m.ExtensionProviders
	m.ExtensionProviders = nil
	if len(bytes.TrimSpace(doc)) > 0 {
		if err := strictYAML(doc, m); err != nil {
			return nil, fmt.Errorf("mesh config: %w", err)
		}
	}
	if m.DefaultConfig == nil {
		m.DefaultConfig = DefaultProxyConfig()
	}
	m.ExtensionProviders = mergeProviders(defaults, m.ExtensionProviders)
	for i, p := range m.ExtensionProviders {
		if p == nil || p.Name == "" {
			return nil, fmt.Errorf("mesh config: extensionProviders[%d]: name is required", i)
		}
	}
	return m, nil
}

func mergeProviders(defaults, user []*ExtensionProvider) []*ExtensionProvider {
	out := make([]*ExtensionProvider, 0, len(defaults)+len(user))
	for _, d := range defaults {
		replaced := false
		for _, u := range user {
			if u != nil && u.Name == d.Name {
				replaced = true
				break
			}
		}
		if !replaced {
			out = append(out, d)
		}
	}
	return append(out, user...)
}

// IngressControllerMode is how Istio handles Kubernetes Ingress resources.
type IngressControllerMode int32

// Ingress controller modes.
const (
	IngressControllerUnspecified IngressControllerMode = 0
	IngressControllerOff         IngressControllerMode = 1
	IngressControllerDefault     IngressControllerMode = 2
	IngressControllerStrict      IngressControllerMode = 3
)

var ingressModes = enumNames{{0, "UNSPECIFIED"}, {1, "OFF"}, {2, "DEFAULT"}, {3, "STRICT"}}

// String returns the mode's name.
func (m IngressControllerMode) String() string { return ingressModes.name(int32(m)) }

// MarshalJSON prints the name.
func (m IngressControllerMode) MarshalJSON() ([]byte, error) { return json.Marshal(m.String()) }

// UnmarshalJSON accepts the name or the number.
func (m *IngressControllerMode) UnmarshalJSON(d []byte) error {
	v, err := ingressModes.parse("ingressControllerMode", d)
	*m = IngressControllerMode(v)
	return err
}

// AccessLogEncoding is the access log format.
type AccessLogEncoding int32

var accessLogEncodings = enumNames{{0, "TEXT"}, {1, "JSON"}}

// String returns the encoding's name.
func (e AccessLogEncoding) String() string { return accessLogEncodings.name(int32(e)) }

// MarshalJSON prints the name.
func (e AccessLogEncoding) MarshalJSON() ([]byte, error) { return json.Marshal(e.String()) }

// UnmarshalJSON accepts the name or the number.
func (e *AccessLogEncoding) UnmarshalJSON(d []byte) error {
	v, err := accessLogEncodings.parse("accessLogEncoding", d)
	*e = AccessLogEncoding(v)
	return err
}

// OutboundMode is the outbound traffic policy mode.
type OutboundMode int32

// Outbound modes.
const (
	OutboundRegistryOnly OutboundMode = 0
	OutboundAllowAny     OutboundMode = 1
)

var outboundModes = enumNames{{0, "REGISTRY_ONLY"}, {1, "ALLOW_ANY"}}

// String returns the mode's name.
func (m OutboundMode) String() string { return outboundModes.name(int32(m)) }

// MarshalJSON prints the name.
func (m OutboundMode) MarshalJSON() ([]byte, error) { return json.Marshal(m.String()) }

// UnmarshalJSON accepts the name or the number.
func (m *OutboundMode) UnmarshalJSON(d []byte) error {
	v, err := outboundModes.parse("outboundTrafficPolicy.mode", d)
	*m = OutboundMode(v)
	return err
}

// InboundMode is the inbound traffic policy mode.
type InboundMode int32

// Inbound modes.
const (
	InboundPassthrough InboundMode = 0
	InboundLocalhost   InboundMode = 1
)

var inboundModes = enumNames{{0, "PASSTHROUGH"}, {1, "LOCALHOST"}}

// String returns the mode's name.
func (m InboundMode) String() string { return inboundModes.name(int32(m)) }

// MarshalJSON prints the name.
func (m InboundMode) MarshalJSON() ([]byte, error) { return json.Marshal(m.String()) }

// UnmarshalJSON accepts the name or the number.
func (m *InboundMode) UnmarshalJSON(d []byte) error {
	v, err := inboundModes.parse("inboundTrafficPolicy.mode", d)
	*m = InboundMode(v)
	return err
}
