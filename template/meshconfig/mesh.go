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
	// ProxyListenPort is the port the sidecar accepts captured outbound traffic
	// on; default 15001. Istio's templates give it to istio-iptables (-p).
	ProxyListenPort int32 `json:"proxyListenPort,omitempty"`
	// ProxyInboundListenPort is the port the sidecar accepts captured inbound
	// traffic on; default 15006. Istio's templates give it to istio-iptables
	// (-z).
	ProxyInboundListenPort int32 `json:"proxyInboundListenPort,omitempty"`
	// ProxyHTTPPort is the port of an explicit HTTP proxy listener for
	// applications configured to use one; 0 means none.
	ProxyHTTPPort int32 `json:"proxyHttpPort,omitempty"`
	// ConnectTimeout bounds how long a proxy waits to open a connection to an
	// upstream; default 10s.
	ConnectTimeout *Duration `json:"connectTimeout,omitempty"`
	// ProtocolDetectionTimeout is how long the proxy waits for a client's first
	// bytes before treating the connection as plain TCP; default 0s, no timeout.
	ProtocolDetectionTimeout *Duration `json:"protocolDetectionTimeout,omitempty"`
	// TCPKeepalive is the keepalive setting for upstream connections, kept as raw
	// JSON.
	TCPKeepalive json.RawMessage `json:"tcpKeepalive,omitempty"`
	// IngressClass is the Kubernetes ingress class Istio serves; default "istio".
	IngressClass string `json:"ingressClass,omitempty"`
	// IngressService is the gateway Service whose address Istio writes into
	// Ingress status; default "istio-ingressgateway".
	IngressService string `json:"ingressService,omitempty"`
	// IngressControllerMode says which Ingress resources Istio serves: none, all,
	// or only those of IngressClass; default STRICT.
	IngressControllerMode IngressControllerMode `json:"ingressControllerMode,omitempty"`
	// IngressSelector is the istio label value of the gateway pods that serve
	// Ingress resources; empty means IngressService's pods.
	IngressSelector string `json:"ingressSelector,omitempty"`
	// EnableTracing turns span reporting by the proxies on or off; default true.
	EnableTracing bool `json:"enableTracing,omitempty"`
	// AccessLogFile is where proxies write access logs, such as "/dev/stdout";
	// empty turns file logging off.
	AccessLogFile string `json:"accessLogFile,omitempty"`
	// AccessLogFormat is the Envoy format string of access log lines; empty means
	// Istio's default format.
	AccessLogFormat string `json:"accessLogFormat,omitempty"`
	// AccessLogEncoding chooses TEXT or JSON access log lines; default TEXT.
	AccessLogEncoding AccessLogEncoding `json:"accessLogEncoding,omitempty"`
	// EnableEnvoyAccessLogService makes proxies stream access logs to
	// defaultConfig.envoyAccessLogService.
	EnableEnvoyAccessLogService bool `json:"enableEnvoyAccessLogService,omitempty"`
	// DisableEnvoyListenerLog stops the access log entries Envoy writes for
	// connections no filter chain accepts.
	DisableEnvoyListenerLog bool `json:"disableEnvoyListenerLog,omitempty"`
	// DefaultConfig is the proxy configuration every sidecar starts from, before
	// its pod's proxy.istio.io/config; ParseMeshConfig merges it over
	// DefaultProxyConfig and never leaves it nil.
	DefaultConfig *ProxyConfig `json:"defaultConfig,omitempty"`
	// OutboundTrafficPolicy says whether proxies pass traffic to hosts outside the
	// service registry; default ALLOW_ANY.
	OutboundTrafficPolicy *OutboundTrafficPolicy `json:"outboundTrafficPolicy,omitempty"`
	// InboundTrafficPolicy says where the sidecar delivers inbound traffic;
	// templates see its mode as .InboundTrafficPolicyMode (see InboundMode).
	InboundTrafficPolicy *InboundTrafficPolicy `json:"inboundTrafficPolicy,omitempty"`
	// ConfigSources lists where istiod reads Istio resources from (Kubernetes, xDS
	// servers), kept as raw JSON.
	ConfigSources []json.RawMessage `json:"configSources,omitempty"`
	// EnableAutoMTLS lets client proxies use Istio mutual TLS on their own when
	// the server has a sidecar; default true.
	EnableAutoMTLS *BoolValue `json:"enableAutoMtls,omitempty"`
	// TrustDomain is the trust domain of the workloads' SPIFFE identities;
	// default "cluster.local". Istio's templates set the proxy's TRUST_DOMAIN
	// (and, without values.global.meshID, its mesh ID) from it, falling back
	// to values.global.trustDomain.
	TrustDomain string `json:"trustDomain,omitempty"`
	// TrustDomainAliases are other trust domains whose identities count as this
	// mesh's, as during a trust domain migration.
	TrustDomainAliases []string `json:"trustDomainAliases,omitempty"`
	// CACertificates are extra root certificates for workloads to trust, kept as
	// raw JSON entries.
	CACertificates []json.RawMessage `json:"caCertificates,omitempty"`
	// DefaultServiceExportTo is the namespaces a Service is visible to unless it
	// says otherwise; default ["*"], every namespace.
	DefaultServiceExportTo []string `json:"defaultServiceExportTo,omitempty"`
	// DefaultVirtualServiceExportTo is the same default for VirtualServices;
	// default ["*"].
	DefaultVirtualServiceExportTo []string `json:"defaultVirtualServiceExportTo,omitempty"`
	// DefaultDestinationRuleExportTo is the same default for DestinationRules;
	// default ["*"].
	DefaultDestinationRuleExportTo []string `json:"defaultDestinationRuleExportTo,omitempty"`
	// RootNamespace is the namespace whose Istio resources apply mesh-wide;
	// default "istio-system".
	RootNamespace string `json:"rootNamespace,omitempty"`
	// LocalityLbSetting configures locality-aware load balancing, kept as raw
	// JSON; default {"enabled":true}.
	LocalityLbSetting json.RawMessage `json:"localityLbSetting,omitempty"`
	// DNSRefreshRate is how often proxies resolve DNS-typed service hosts again;
	// default 60s.
	DNSRefreshRate *Duration `json:"dnsRefreshRate,omitempty"`
	// H2UpgradePolicy is the default for upgrading HTTP/1.1 upstream
	// connections to HTTP/2: DO_NOT_UPGRADE (the zero value) or UPGRADE.
	H2UpgradePolicy H2UpgradePolicy `json:"h2UpgradePolicy,omitempty"`
	// InboundClusterStatName is the pattern of inbound cluster names in stats;
	// empty means Istio's default.
	InboundClusterStatName string `json:"inboundClusterStatName,omitempty"`
	// OutboundClusterStatName is the pattern of outbound cluster names in stats;
	// empty means Istio's default.
	OutboundClusterStatName string `json:"outboundClusterStatName,omitempty"`
	// Certificates asks istiod to provision DNS certificates for the listed names,
	// kept as raw JSON entries.
	Certificates []json.RawMessage `json:"certificates,omitempty"`
	// ServiceSettings are per-host settings such as keeping a service
	// cluster-local, kept as raw JSON entries.
	ServiceSettings []json.RawMessage `json:"serviceSettings,omitempty"`
	// EnablePrometheusMerge makes the injector point the pod's prometheus.io
	// scrape annotations at the sidecar, which merges the application's metrics
	// with its own; unset means true (read it with PrometheusMerge).
	EnablePrometheusMerge *BoolValue `json:"enablePrometheusMerge,omitempty"`
	// VerifyCertificateAtClient makes proxies check upstream server certificates
	// against the system roots when a TLS setting names no CA.
	VerifyCertificateAtClient *BoolValue `json:"verifyCertificateAtClient,omitempty"`
	// CA points istiod at an external certificate authority for workload
	// certificates, kept as raw JSON.
	CA json.RawMessage `json:"ca,omitempty"`
	// ExtensionProviders are the named telemetry and external authorization
	// backends that Telemetry and AuthorizationPolicy resources refer to;
	// ParseMeshConfig adds them to the defaults (prometheus, stackdriver, envoy).
	ExtensionProviders []*ExtensionProvider `json:"extensionProviders,omitempty"`
	// DefaultProviders names the providers used when a Telemetry resource names
	// none; default metrics from "prometheus".
	DefaultProviders *DefaultProviders `json:"defaultProviders,omitempty"`
	// DiscoverySelectors are label selectors limiting the namespaces istiod
	// watches, kept as raw JSON.
	DiscoverySelectors []json.RawMessage `json:"discoverySelectors,omitempty"`
	// PathNormalization says how proxies normalise request paths before matching
	// policies, kept as raw JSON.
	PathNormalization json.RawMessage `json:"pathNormalization,omitempty"`
	// DefaultHTTPRetryPolicy is the retry policy of HTTP routes that set none,
	// kept as raw JSON.
	DefaultHTTPRetryPolicy json.RawMessage `json:"defaultHttpRetryPolicy,omitempty"`
	// MeshMTLS sets TLS parameters (minimum version, ciphers) of Istio mutual TLS
	// inside the mesh, kept as raw JSON.
	MeshMTLS json.RawMessage `json:"meshMTLS,omitempty"`
	// TLSDefaults sets TLS parameters for TLS outside Istio mutual TLS, such as
	// gateways, kept as raw JSON.
	TLSDefaults json.RawMessage `json:"tlsDefaults,omitempty"`
	// ServiceScopeConfigs mark services as local to their cluster or global across
	// a multicluster mesh, kept as raw JSON.
	ServiceScopeConfigs []json.RawMessage `json:"serviceScopeConfigs,omitempty"`
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
	// Mode is REGISTRY_ONLY (traffic to unknown hosts is refused) or ALLOW_ANY (it
	// passes through); the zero value is REGISTRY_ONLY.
	Mode OutboundMode `json:"mode,omitempty"`
}

// InboundTrafficPolicy says how inbound traffic reaches the application.
type InboundTrafficPolicy struct {
	// Mode is PASSTHROUGH (traffic goes to the address it was sent to) or
	// LOCALHOST (it goes to localhost); the zero value is PASSTHROUGH.
	Mode InboundMode `json:"mode,omitempty"`
}

// DefaultProviders names the extension providers used when none is chosen.
type DefaultProviders struct {
	// Tracing names the providers spans are reported to.
	Tracing []string `json:"tracing,omitempty"`
	// Metrics names the providers metrics are reported to.
	Metrics []string `json:"metrics,omitempty"`
	// AccessLogging names the providers access logs go to.
	AccessLogging []string `json:"accessLogging,omitempty"`
}

// ExtensionProvider is one entry of the mesh's extensionProviders: a name and
// one kind of provider (ParseMeshConfig refuses two, as Istio's protobuf
// parser refuses a second member of a oneof). Only OpenTelemetry is typed (templates read its
// serviceAttributeEnrichment); the others are kept as raw JSON objects.
type ExtensionProvider struct {
	// Name is how Telemetry and AuthorizationPolicy resources refer to the
	// provider; required, and a provider named like a default replaces it.
	Name string `json:"name"`
	// EnvoyExtAuthzHTTP is an external authorization service reached over HTTP.
	EnvoyExtAuthzHTTP json.RawMessage `json:"envoyExtAuthzHttp,omitempty"`
	// EnvoyExtAuthzGRPC is an external authorization service reached over gRPC.
	EnvoyExtAuthzGRPC json.RawMessage `json:"envoyExtAuthzGrpc,omitempty"`
	// Zipkin is a Zipkin tracing backend.
	Zipkin json.RawMessage `json:"zipkin,omitempty"`
	// Lightstep is a Lightstep tracing backend.
	Lightstep json.RawMessage `json:"lightstep,omitempty"`
	// Datadog is a Datadog tracing backend.
	Datadog json.RawMessage `json:"datadog,omitempty"`
	// Stackdriver is Google Cloud's operations suite, for traces, metrics and
	// logs.
	Stackdriver json.RawMessage `json:"stackdriver,omitempty"`
	// Opencensus is an OpenCensus agent tracing backend.
	Opencensus json.RawMessage `json:"opencensus,omitempty"`
	// Skywalking is an Apache SkyWalking tracing backend.
	Skywalking json.RawMessage `json:"skywalking,omitempty"`
	// Opentelemetry is an OpenTelemetry collector for traces, the one provider
	// kinject decodes.
	Opentelemetry *OpenTelemetry `json:"opentelemetry,omitempty"`
	// Prometheus is the Prometheus metrics provider.
	Prometheus json.RawMessage `json:"prometheus,omitempty"`
	// EnvoyFileAccessLog writes access logs to a file (the default "envoy"
	// provider writes to /dev/stdout).
	EnvoyFileAccessLog json.RawMessage `json:"envoyFileAccessLog,omitempty"`
	// EnvoyHTTPAls streams HTTP access logs to a gRPC access log service.
	EnvoyHTTPAls json.RawMessage `json:"envoyHttpAls,omitempty"`
	// EnvoyTCPAls streams TCP access logs to a gRPC access log service.
	EnvoyTCPAls json.RawMessage `json:"envoyTcpAls,omitempty"`
	// EnvoyOtelAls sends access logs to an OpenTelemetry collector.
	EnvoyOtelAls json.RawMessage `json:"envoyOtelAls,omitempty"`
	// SDS is an external secret discovery service supplying certificates to
	// gateways.
	SDS json.RawMessage `json:"sds,omitempty"`
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
	// Service is the collector's host name, such as
	// "otel-collector.observability.svc.cluster.local".
	Service string `json:"service,omitempty"`
	// Port is the collector's port.
	Port uint32 `json:"port,omitempty"`
	// MaxTagLength caps the length of span tag values; 0 means the proxy's
	// default.
	MaxTagLength uint32 `json:"maxTagLength,omitempty"`
	// HTTP sends spans over OTLP/HTTP with these settings instead of gRPC, kept as
	// raw JSON.
	HTTP json.RawMessage `json:"http,omitempty"`
	// GRPC holds the OTLP/gRPC settings (timeout, headers), kept as raw JSON.
	GRPC json.RawMessage `json:"grpc,omitempty"`
	// ResourceDetectors choose what fills the spans' resource attributes, kept as
	// raw JSON.
	ResourceDetectors json.RawMessage `json:"resourceDetectors,omitempty"`
	// DynatraceSampler configures Dynatrace's sampler, kept as raw JSON.
	DynatraceSampler json.RawMessage `json:"dynatraceSampler,omitempty"`
	// ServiceAttributeEnrichment set to "OTEL_SEMANTIC_CONVENTIONS" makes the
	// template function otelResourceAttributes, which Istio's templates after
	// 1.29 call for the proxy's OTEL_RESOURCE_ATTRIBUTES, return the pod's
	// service namespace, version and instance ID; any other value leaves it
	// empty.
	ServiceAttributeEnrichment string `json:"serviceAttributeEnrichment,omitempty"`
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
		if kinds := p.kinds(); len(kinds) > 1 {
			// The provider is a protobuf oneof: Istio's parser refuses a
			// second member.
			return nil, fmt.Errorf("mesh config: extensionProviders[%d] (%q): sets %s; a provider is of one kind", i, p.Name, strings.Join(kinds, " and "))
		}
	}
	return m, nil
}

// kinds lists the JSON names of the provider kinds p sets (null is unset,
// as in protobuf's JSON).
func (p *ExtensionProvider) kinds() []string {
	var out []string
	for _, k := range []struct {
		name string
		raw  json.RawMessage
	}{
		{"envoyExtAuthzHttp", p.EnvoyExtAuthzHTTP}, {"envoyExtAuthzGrpc", p.EnvoyExtAuthzGRPC},
		{"zipkin", p.Zipkin}, {"lightstep", p.Lightstep}, {"datadog", p.Datadog},
		{"stackdriver", p.Stackdriver}, {"opencensus", p.Opencensus}, {"skywalking", p.Skywalking},
		{"prometheus", p.Prometheus}, {"envoyFileAccessLog", p.EnvoyFileAccessLog},
		{"envoyHttpAls", p.EnvoyHTTPAls}, {"envoyTcpAls", p.EnvoyTCPAls}, {"envoyOtelAls", p.EnvoyOtelAls},
		{"sds", p.SDS},
	} {
		if len(k.raw) > 0 && string(k.raw) != "null" {
			out = append(out, k.name)
		}
	}
	if p.Opentelemetry != nil {
		out = append(out, "opentelemetry")
	}
	return out
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

// H2UpgradePolicy is whether proxies upgrade HTTP/1.1 upstream connections
// to HTTP/2 by default.
type H2UpgradePolicy int32

// H2 upgrade policies.
const (
	H2DoNotUpgrade H2UpgradePolicy = 0
	H2Upgrade      H2UpgradePolicy = 1
)

var h2UpgradePolicies = enumNames{{0, "DO_NOT_UPGRADE"}, {1, "UPGRADE"}}

// String returns the policy's name.
func (p H2UpgradePolicy) String() string { return h2UpgradePolicies.name(int32(p)) }

// MarshalJSON prints the name.
func (p H2UpgradePolicy) MarshalJSON() ([]byte, error) { return json.Marshal(p.String()) }

// UnmarshalJSON accepts the name or the number.
func (p *H2UpgradePolicy) UnmarshalJSON(d []byte) error {
	v, err := h2UpgradePolicies.parse("h2UpgradePolicy", d)
	*p = H2UpgradePolicy(v)
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
