package meshconfig

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kinject/kinject/internal/codec"
	"sigs.k8s.io/yaml"
)

// ProxyConfig is Istio's per-proxy configuration: the mesh's defaultConfig,
// overlaid by a pod's proxy.istio.io/config annotation. Field names and JSON
// names follow Istio's meshconfig ProxyConfig; the struct fields are declared
// in the protobuf field order, so ProtoJSON prints them in the order Istio
// does.
//
// Message fields are pointers (nil means unset), wrapper types (BoolValue,
// Int32Value) keep "set to false/0" apart from "unset", and enums are
// integers that print as their names. Fields whose inner structure kinject
// never reads (readinessProbe, privateKeyProvider, proxyHeaders, sds) are kept
// as raw JSON and are not validated beyond being JSON objects.
type ProxyConfig struct {
	// ConfigPath is the directory the proxy writes its generated Envoy bootstrap
	// to; default "./etc/istio/proxy".
	ConfigPath string `json:"configPath,omitempty"`
	// BinaryPath is the path of the Envoy binary the agent starts; default
	// "/usr/local/bin/envoy".
	BinaryPath string `json:"binaryPath,omitempty"`
	// ServiceCluster is the legacy cluster name the proxy reports itself under;
	// default "istio-proxy" (TracingServiceName now decides span service names).
	ServiceCluster string `json:"serviceCluster,omitempty"`
	// DrainDuration is how long Envoy drains old connections when its listeners
	// change or it restarts; default 45s.
	DrainDuration *Duration `json:"drainDuration,omitempty"`
	// ParentShutdownDuration is an old hot-restart setting (how long a previous
	// Envoy lived on), kept for round trips.
	ParentShutdownDuration *Duration `json:"parentShutdownDuration,omitempty"`
	// DiscoveryAddress is the istiod address (host:port) the proxy fetches its
	// configuration and certificates from; default
	// "istiod.istio-system.svc:15012".
	DiscoveryAddress string `json:"discoveryAddress,omitempty"`
	// ZipkinAddress is the old form of Tracing.Zipkin's collector address
	// (host:port).
	ZipkinAddress string `json:"zipkinAddress,omitempty"`
	// StatsdUDPAddress is a statsd sink (host:port) Envoy sends stats to; empty
	// means none.
	StatsdUDPAddress string `json:"statsdUdpAddress,omitempty"`
	// EnvoyMetricsServiceAddress is the old form of EnvoyMetricsService's address
	// (host:port).
	EnvoyMetricsServiceAddress string `json:"envoyMetricsServiceAddress,omitempty"`
	// ProxyAdminPort is the localhost port of Envoy's admin interface; default
	// 15000.
	ProxyAdminPort int32 `json:"proxyAdminPort,omitempty"`
	// AvailabilityZone is an old way to set the proxy's locality; Istio reads the
	// locality from the node's labels now.
	AvailabilityZone string `json:"availabilityZone,omitempty"`
	// ControlPlaneAuthPolicy is how the proxy authenticates to istiod; default
	// MUTUAL_TLS.
	ControlPlaneAuthPolicy AuthenticationPolicy `json:"controlPlaneAuthPolicy,omitempty"`
	// CustomConfigFile is a path to an Envoy bootstrap used instead of the
	// generated one.
	CustomConfigFile string `json:"customConfigFile,omitempty"`
	// StatNameLength caps the length of Envoy stat names, longer ones being
	// shortened; default 189.
	StatNameLength int32 `json:"statNameLength,omitempty"`
	// Concurrency is the number of Envoy worker threads: 0 means one per CPU core
	// of the node; unset leaves Istio to size it from the proxy container's CPU.
	Concurrency *Int32Value `json:"concurrency,omitempty"`
	// ProxyBootstrapTemplatePath is the path of the template the agent fills in to
	// make Envoy's bootstrap; empty means the built-in one.
	ProxyBootstrapTemplatePath string `json:"proxyBootstrapTemplatePath,omitempty"`
	// InterceptionMode is how traffic is captured into the sidecar: REDIRECT (the
	// default), TPROXY (keeps the client's source address) or NONE. Istio's
	// templates pass it to istio-iptables; the injector also reads it, or the
	// sidecar.istio.io/interceptionMode annotation, when a pod overrides the
	// proxy's user: under TPROXY the proxy stays root.
	InterceptionMode InterceptionMode `json:"interceptionMode,omitempty"`
	// Tracing chooses the tracer the proxy reports spans to and its sampling; nil
	// means none configured here.
	Tracing *Tracing `json:"tracing,omitempty"`
	// SDS is a legacy secret discovery setting, kept as raw JSON for round
	// trips.
	SDS json.RawMessage `json:"sds,omitempty"`
	// EnvoyAccessLogService is the gRPC access log service the proxy streams to
	// when the mesh's enableEnvoyAccessLogService is on.
	EnvoyAccessLogService *RemoteService `json:"envoyAccessLogService,omitempty"`
	// EnvoyMetricsService is a metrics service the proxy pushes its stats to.
	EnvoyMetricsService *RemoteService `json:"envoyMetricsService,omitempty"`
	// ProxyMetadata are environment variables for the proxy container, which the
	// agent reads as settings; merged key by key. In a proxy.istio.io/config
	// annotation, the template package's validation refuses keys that are not
	// environment variable names and values a template could not write unquoted.
	ProxyMetadata map[string]string `json:"proxyMetadata,omitempty"`
	// StatusPort is the port of the agent's health and merged-metrics endpoint;
	// default 15020. The injector points rewritten probes and Prometheus merging
	// at the mesh defaultConfig's value, not a pod's override; for probes the
	// status.sidecar.istio.io/port annotation wins, and a port of 0 turns probe
	// rewriting off.
	StatusPort int32 `json:"statusPort,omitempty"`
	// ExtraStatTags are tag names, beyond Istio's standard ones, that the proxy's
	// metrics may carry.
	ExtraStatTags []string `json:"extraStatTags,omitempty"`
	// GatewayTopology describes what stands in front of a gateway proxy; nil for
	// sidecars.
	GatewayTopology *Topology `json:"gatewayTopology,omitempty"`
	// TerminationDrainDuration is how long the proxy keeps serving after the pod
	// is told to stop; default 5s.
	TerminationDrainDuration *Duration `json:"terminationDrainDuration,omitempty"`
	// MeshID names the mesh in telemetry; empty means the trust domain.
	MeshID string `json:"meshId,omitempty"`
	// ReadinessProbe replaces the proxy container's readiness probe, kept as raw
	// JSON.
	ReadinessProbe json.RawMessage `json:"readinessProbe,omitempty"`
	// ProxyStatsMatcher selects Envoy stats to keep beyond Istio's default set.
	ProxyStatsMatcher *ProxyStatsMatcher `json:"proxyStatsMatcher,omitempty"`
	// HoldApplicationUntilProxyStarts makes the application containers wait until
	// the proxy is ready: the injector then moves the proxy to the front of the
	// containers (so does values.global.proxy.holdApplicationUntilProxyStarts).
	HoldApplicationUntilProxyStarts *BoolValue `json:"holdApplicationUntilProxyStarts,omitempty"`
	// CACertificatesPem are extra PEM root certificates the proxy trusts for
	// workload-to-workload TLS.
	CACertificatesPem []string `json:"caCertificatesPem,omitempty"`
	// Image chooses the proxy image variant; the injector reads its imageType
	// unless the pod's sidecar.istio.io/proxyImageType annotation sets one.
	Image *ProxyImage `json:"image,omitempty"`
	// PrivateKeyProvider hands private key operations to an accelerator (such as
	// CryptoMB or QAT), kept as raw JSON.
	PrivateKeyProvider json.RawMessage `json:"privateKeyProvider,omitempty"`
	// ProxyHeaders controls the headers the proxy adds or removes (server, request
	// ID, forwarded client certificate), kept as raw JSON.
	ProxyHeaders json.RawMessage `json:"proxyHeaders,omitempty"`
	// TracingServiceName is how the service name on the proxy's spans is made;
	// default APP_LABEL_AND_NAMESPACE.
	TracingServiceName TracingServiceName `json:"tracingServiceName,omitempty"`
	// RuntimeValues are Envoy runtime flags (name to value); merged key by key.
	RuntimeValues map[string]string `json:"runtimeValues,omitempty"`
	// FileFlushInterval is how often Envoy flushes access log files; unset means
	// Envoy's default.
	FileFlushInterval *Duration `json:"fileFlushInterval,omitempty"`
	// FileFlushMinSizeKb is the access log buffer size, in KiB, that forces a
	// flush; unset means Envoy's default.
	FileFlushMinSizeKb *UInt32Value `json:"fileFlushMinSizeKb,omitempty"`
	// StatsFlushInterval is how often Envoy flushes its stats to the configured
	// sinks; unset means Envoy's default.
	StatsFlushInterval *Duration `json:"statsFlushInterval,omitempty"`
}

// DefaultProxyConfig returns Istio's built-in proxy defaults (what
// mesh.DefaultProxyConfig sets), a fresh value each call.
func DefaultProxyConfig() *ProxyConfig {
	return &ProxyConfig{
		ConfigPath:               "./etc/istio/proxy",
		BinaryPath:               "/usr/local/bin/envoy",
		ServiceCluster:           "istio-proxy",
		DrainDuration:            NewDuration(45 * time.Second),
		DiscoveryAddress:         "istiod.istio-system.svc:15012",
		ProxyAdminPort:           15000,
		ControlPlaneAuthPolicy:   AuthenticationPolicyMutualTLS,
		StatNameLength:           189,
		StatusPort:               15020,
		TerminationDrainDuration: NewDuration(5 * time.Second),
	}
}

// GetTracing returns the tracing settings; nil-safe, as Istio's templates
// expect (.ProxyConfig.GetTracing.GetTlsSettings.GetCaCertificates).
func (p *ProxyConfig) GetTracing() *Tracing {
	if p == nil {
		return nil
	}
	return p.Tracing
}

// GetHoldApplicationUntilProxyStarts returns the wrapper, nil when unset.
func (p *ProxyConfig) GetHoldApplicationUntilProxyStarts() *BoolValue {
	if p == nil {
		return nil
	}
	return p.HoldApplicationUntilProxyStarts
}

// GetProxyMetadata returns the proxy metadata map (nil-safe).
func (p *ProxyConfig) GetProxyMetadata() map[string]string {
	if p == nil {
		return nil
	}
	return p.ProxyMetadata
}

// GetInterceptionMode returns the interception mode (nil-safe; REDIRECT for
// nil).
func (p *ProxyConfig) GetInterceptionMode() InterceptionMode {
	if p == nil {
		return InterceptionRedirect
	}
	return p.InterceptionMode
}

// GetStatusPort returns the status port (nil-safe).
func (p *ProxyConfig) GetStatusPort() int32 {
	if p == nil {
		return 0
	}
	return p.StatusPort
}

// Clone returns a deep copy.
func (p *ProxyConfig) Clone() *ProxyConfig {
	if p == nil {
		return nil
	}
	out := &ProxyConfig{}
	b, err := json.Marshal(p)
	if err == nil {
		err = json.Unmarshal(b, out)
	}
	if err != nil {
		// Unreachable: every field round-trips through JSON. Fall back to a
		// shallow copy rather than panic.
		c := *p
		return &c
	}
	return out
}

// ErrProxyConfig is returned (wrapped) when a proxy config document does not
// parse; errors.Is(err, ErrProxyConfig) holds for a bad
// proxy.istio.io/config annotation.
var ErrProxyConfig = errors.New("invalid proxy config")

// ParseProxyConfig decodes a ProxyConfig document (YAML or JSON, Istio's
// field names) strictly: an unknown field is an error naming it.
func ParseProxyConfig(doc []byte) (*ProxyConfig, error) {
	return MergeProxyConfig(nil, doc)
}

// MergeProxyConfig overlays doc (YAML or JSON) on a copy of base, the way
// Istio applies a pod's proxy.istio.io/config annotation to the mesh's
// defaultConfig: fields present in doc replace those of base, nested messages
// and maps (proxyMetadata, runtimeValues) merge key by key, lists are
// replaced. base is not modified; a nil base starts from an empty config.
func MergeProxyConfig(base *ProxyConfig, doc []byte) (*ProxyConfig, error) {
	out := base.Clone()
	if out == nil {
		out = &ProxyConfig{}
	}
	if len(bytes.TrimSpace(doc)) == 0 {
		return out, nil
	}
	if err := strictYAML(doc, out); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrProxyConfig, err)
	}
	return out, nil
}

// ProtoJSON renders the proxy config the way Istio passes it to the proxy in
// the PROXY_CONFIG environment variable: protobuf JSON (camelCase names,
// durations as "23s", enums by name) holding only the fields whose value
// differs from Istio's built-in defaults (DefaultProxyConfig), in protobuf
// field order. A config equal to the defaults prints as {}.
func (p *ProxyConfig) ProtoJSON() ([]byte, error) {
	if p == nil {
		return []byte("{}"), nil
	}
	v := reflect.ValueOf(p).Elem()
	def := reflect.ValueOf(DefaultProxyConfig()).Elem()
	buf := make([]byte, 0, 64)
	buf = append(buf, '{')
	for _, pf := range codec.PlanFor[ProxyConfig]().Fields {
		name := pf.Name
		f, d := v.FieldByIndex(pf.Index), def.FieldByIndex(pf.Index)
		if codec.Empty(f) || reflect.DeepEqual(f.Interface(), d.Interface()) {
			continue
		}
		val, err := json.Marshal(f.Interface())
		if err != nil {
			return nil, fmt.Errorf("proxy config field %s: %w", name, err)
		}
		if len(buf) > 1 {
			buf = append(buf, ',')
		}
		buf = strconv.AppendQuote(buf, name)
		buf = append(buf, ':')
		buf = append(buf, val...)
	}
	return append(buf, '}'), nil
}

// strictYAML decodes YAML or JSON into v, refusing unknown fields.
func strictYAML(doc []byte, v any) error {
	js, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return err
	}
	if bytes.Equal(bytes.TrimSpace(js), []byte("null")) {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if strings.HasPrefix(err.Error(), "json: unknown field ") {
			var raw any
			if json.Unmarshal(js, &raw) == nil {
				if path := unknownField(codec.PlanOf(reflect.TypeOf(v)), raw, ""); path != "" {
					return fmt.Errorf("unknown field %q", path)
				}
			}
		}
		return cleanJSONError(err)
	}
	if dec.More() {
		return errors.New("trailing data after the document")
	}
	return nil
}

// unknownField returns the dotted path of the first member of raw (in
// sorted key order) that plan p has no JSON field for, or "".
func unknownField(p *codec.Plan, raw any, prefix string) string {
	p = p.Deref()
	switch v := raw.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		switch {
		case p.Kind == codec.Map:
			for _, k := range keys {
				if path := unknownField(p.Elem, v[k], prefix+k+"."); path != "" {
					return path
				}
			}
		case p.Kind == codec.Struct && p.Unmarshal == codec.NoMethod:
			for _, k := range keys {
				f := p.FieldByName(k)
				if f == nil {
					return prefix + k
				}
				if path := unknownField(f.Plan, v[k], prefix+k+"."); path != "" {
					return path
				}
			}
		}
	case []any:
		if p.Kind == codec.Slice {
			for i, e := range v {
				if path := unknownField(p.Elem, e, fmt.Sprintf("%s[%d].", strings.TrimSuffix(prefix, "."), i)); path != "" {
					return path
				}
			}
		}
	}
	return ""
}

// cleanJSONError rewords encoding/json's messages so they name the field in
// the configuration's own terms.
func cleanJSONError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field != "" {
			return fmt.Errorf("field %s: cannot use JSON %s as %s", te.Field, te.Value, te.Type)
		}
		return fmt.Errorf("cannot use JSON %s as %s", te.Value, te.Type)
	}
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return fmt.Errorf("unknown field %s", rest)
	}
	return errors.New(strings.TrimPrefix(msg, "json: "))
}

// Tracing is the proxy's tracing configuration.
type Tracing struct {
	// Zipkin reports spans to a Zipkin collector, kept as raw JSON.
	Zipkin json.RawMessage `json:"zipkin,omitempty"`
	// Lightstep reports spans to Lightstep, kept as raw JSON.
	Lightstep json.RawMessage `json:"lightstep,omitempty"`
	// Datadog reports spans to a Datadog agent, kept as raw JSON.
	Datadog json.RawMessage `json:"datadog,omitempty"`
	// Stackdriver reports spans to Google Cloud Trace, kept as raw JSON.
	Stackdriver json.RawMessage `json:"stackdriver,omitempty"`
	// OpenCensusAgent reports spans to an OpenCensus agent, kept as raw JSON.
	OpenCensusAgent json.RawMessage `json:"openCensusAgent,omitempty"`
	// CustomTags are tags added to every span, each taken from a literal, an
	// environment variable or a request header; each kept as raw JSON.
	CustomTags map[string]json.RawMessage `json:"customTags,omitempty"`
	// MaxPathTagLength caps the length of the request path tag on spans; 0 means
	// the proxy's default.
	MaxPathTagLength uint32 `json:"maxPathTagLength,omitempty"`
	// Sampling is the percentage of requests traced, 0 to 100; 0 leaves it to
	// istiod's default.
	Sampling float64 `json:"sampling,omitempty"`
	// TLSSettings secures the connection to the tracer; in a proxy.istio.io/config
	// annotation, the template package's validation refuses a caCertificates path
	// a template could not write unquoted.
	TLSSettings *ClientTLSSettings `json:"tlsSettings,omitempty"`
	// EnableIstioTags adds Istio's own tags (such as the canonical service) to
	// spans; unset means true.
	EnableIstioTags *BoolValue `json:"enableIstioTags,omitempty"`
}

// GetTlsSettings returns the tracer's TLS settings (nil-safe). The name
// follows Istio's generated getter, which templates call.
//
//nolint:revive // name fixed by Istio's templates
func (t *Tracing) GetTlsSettings() *ClientTLSSettings { //nolint:stylecheck
	if t == nil {
		return nil
	}
	return t.TLSSettings
}

// ClientTLSSettings are TLS settings for a connection the proxy opens.
type ClientTLSSettings struct {
	// Mode is DISABLE, SIMPLE (verify the server), MUTUAL (also present a client
	// certificate from files) or ISTIO_MUTUAL (use Istio's own certificates); the
	// zero value is DISABLE.
	Mode TLSMode `json:"mode,omitempty"`
	// ClientCertificate is the path of the client certificate file, for MUTUAL.
	ClientCertificate string `json:"clientCertificate,omitempty"`
	// PrivateKey is the path of the client's private key file, for MUTUAL.
	PrivateKey string `json:"privateKey,omitempty"`
	// CACertificates is the path of the CA bundle that verifies the server.
	CACertificates string `json:"caCertificates,omitempty"`
	// CredentialName names a Kubernetes secret holding the certificates, instead
	// of file paths.
	CredentialName string `json:"credentialName,omitempty"`
	// SubjectAltNames are the names a server certificate may carry to be accepted.
	SubjectAltNames []string `json:"subjectAltNames,omitempty"`
	// SNI is the server name sent in the TLS handshake.
	SNI string `json:"sni,omitempty"`
	// InsecureSkipVerify turns off verification of the server certificate.
	InsecureSkipVerify *BoolValue `json:"insecureSkipVerify,omitempty"`
	// CACrl is the path of a certificate revocation list checked against the
	// server certificate.
	CACrl string `json:"caCrl,omitempty"`
}

// GetCaCertificates returns the CA certificate path (nil-safe). The name
// follows Istio's generated getter, which templates call.
func (c *ClientTLSSettings) GetCaCertificates() string { //nolint:stylecheck
	if c == nil {
		return ""
	}
	return c.CACertificates
}

// RemoteService is a service the proxy reports to (access log, metrics).
type RemoteService struct {
	// Address is the service's host:port.
	Address string `json:"address,omitempty"`
	// TLSSettings secures the connection; nil means plain text.
	TLSSettings *ClientTLSSettings `json:"tlsSettings,omitempty"`
	// TCPKeepalive is the keepalive setting of the connection, kept as raw JSON.
	TCPKeepalive json.RawMessage `json:"tcpKeepalive,omitempty"`
}

// Topology describes a gateway's place in the network.
type Topology struct {
	// NumTrustedProxies is how many proxies in front of the gateway set
	// X-Forwarded-For entries that can be trusted.
	NumTrustedProxies uint32 `json:"numTrustedProxies,omitempty"`
	// ForwardClientCertDetails says what the gateway does with the
	// x-forwarded-client-cert header (such as SANITIZE or APPEND_FORWARD).
	ForwardClientCertDetails ForwardClientCertDetails `json:"forwardClientCertDetails,omitempty"`
	// SetCurrentClientCertDetails chooses which client certificate fields go into
	// that header, kept as raw JSON.
	SetCurrentClientCertDetails json.RawMessage `json:"setCurrentClientCertDetails,omitempty"`
	// ProxyProtocol makes the gateway expect a PROXY protocol header, kept as raw
	// JSON.
	ProxyProtocol json.RawMessage `json:"proxyProtocol,omitempty"`
}

// ProxyStatsMatcher selects the Envoy stats a proxy reports.
type ProxyStatsMatcher struct {
	// InclusionPrefixes keeps stats whose name starts with one of these.
	InclusionPrefixes []string `json:"inclusionPrefixes,omitempty"`
	// InclusionSuffixes keeps stats whose name ends with one of these.
	InclusionSuffixes []string `json:"inclusionSuffixes,omitempty"`
	// InclusionRegexps keeps stats whose whole name matches one of these regular
	// expressions.
	InclusionRegexps []string `json:"inclusionRegexps,omitempty"`
}

// ProxyImage selects the proxy image variant.
type ProxyImage struct {
	// ImageType is "default", "debug" or "distroless".
	ImageType string `json:"imageType,omitempty"`
}

// BoolValue is protobuf's google.protobuf.BoolValue: a bool whose presence
// matters. It encodes as a plain JSON bool.
type BoolValue struct {
	// Value is the wrapped bool.
	Value bool
}

// GetValue returns the value, false for a nil wrapper (Istio's templates
// call .HoldApplicationUntilProxyStarts.GetValue on a possibly unset field).
func (b *BoolValue) GetValue() bool { return b != nil && b.Value }

// MarshalJSON encodes the wrapper as a bare bool.
func (b BoolValue) MarshalJSON() ([]byte, error) { return json.Marshal(b.Value) }

// UnmarshalJSON accepts a JSON bool.
func (b *BoolValue) UnmarshalJSON(d []byte) error { return json.Unmarshal(d, &b.Value) }

// NewBool returns a set BoolValue.
func NewBool(v bool) *BoolValue { return &BoolValue{Value: v} }

// Int32Value is protobuf's google.protobuf.Int32Value.
type Int32Value struct {
	// Value is the wrapped number.
	Value int32
}

// GetValue returns the value, 0 for a nil wrapper.
func (v *Int32Value) GetValue() int32 {
	if v == nil {
		return 0
	}
	return v.Value
}

// MarshalJSON encodes the wrapper as a bare number.
func (v Int32Value) MarshalJSON() ([]byte, error) { return json.Marshal(v.Value) }

// UnmarshalJSON accepts a JSON number (or a quoted one, as protojson does).
func (v *Int32Value) UnmarshalJSON(d []byte) error {
	n, err := protoInt(d, 32, true)
	v.Value = int32(n)
	return err
}

// UInt32Value is protobuf's google.protobuf.UInt32Value.
type UInt32Value struct {
	// Value is the wrapped number.
	Value uint32
}

// GetValue returns the value, 0 for a nil wrapper.
func (v *UInt32Value) GetValue() uint32 {
	if v == nil {
		return 0
	}
	return v.Value
}

// MarshalJSON encodes the wrapper as a bare number.
func (v UInt32Value) MarshalJSON() ([]byte, error) { return json.Marshal(v.Value) }

// UnmarshalJSON accepts a JSON number (or a quoted one).
func (v *UInt32Value) UnmarshalJSON(d []byte) error {
	n, err := protoInt(d, 32, false)
	v.Value = uint32(n)
	return err
}

func protoInt(d []byte, bits int, signed bool) (int64, error) {
	s := strings.Trim(string(d), `"`)
	if signed {
		return strconv.ParseInt(s, 10, bits)
	}
	u, err := strconv.ParseUint(s, 10, bits)
	return int64(u), err
}

// Duration is protobuf's google.protobuf.Duration. It encodes as protobuf
// JSON does ("45s", "0.500s", "0s") and decodes that form as well as Go's
// ("1m30s").
type Duration struct {
	// D is the wrapped duration.
	D time.Duration
}

// NewDuration returns a set Duration.
func NewDuration(d time.Duration) *Duration { return &Duration{D: d} }

// AsDuration returns the duration (0 for nil).
func (d *Duration) AsDuration() time.Duration {
	if d == nil {
		return 0
	}
	return d.D
}

// String prints the duration in Go's notation ("45s", "1m30s"), as Istio's
// formatDuration template function does.
func (d *Duration) String() string { return d.AsDuration().String() }

// MarshalJSON prints the protobuf JSON form: seconds with 0, 3, 6 or 9
// fractional digits and an "s" suffix.
func (d Duration) MarshalJSON() ([]byte, error) {
	return []byte(`"` + protoDuration(d.D) + `"`), nil
}

func protoDuration(d time.Duration) string {
	sign := ""
	if d < 0 {
		sign = "-"
		d = -d
	}
	secs := int64(d / time.Second)
	nanos := int64(d % time.Second)
	s := sign + strconv.FormatInt(secs, 10)
	switch {
	case nanos == 0:
	case nanos%1e6 == 0:
		s += fmt.Sprintf(".%03d", nanos/1e6)
	case nanos%1e3 == 0:
		s += fmt.Sprintf(".%06d", nanos/1e3)
	default:
		s += fmt.Sprintf(".%09d", nanos)
	}
	return s + "s"
}

// UnmarshalJSON accepts "23s", "0.5s" or a Go duration such as "1m30s".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a string such as \"5s\", got %s", b)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("invalid duration %q", s)
	}
	d.D = v
	return nil
}

// enum is the shared machinery of protobuf enums: names by number.
type enumNames []struct {
	n    int32
	name string
}

func (e enumNames) name(v int32) string {
	for _, x := range e {
		if x.n == v {
			return x.name
		}
	}
	return strconv.Itoa(int(v))
}

func (e enumNames) parse(kind string, d []byte) (int32, error) {
	var s string
	if err := json.Unmarshal(d, &s); err != nil {
		var n float64
		if err2 := json.Unmarshal(d, &n); err2 == nil && n == math.Trunc(n) {
			for _, x := range e {
				if float64(x.n) == n {
					return x.n, nil
				}
			}
		}
		return 0, fmt.Errorf("invalid %s %s", kind, d)
	}
	for _, x := range e {
		if x.name == s {
			return x.n, nil
		}
	}
	known := make([]string, len(e))
	for i, x := range e {
		known[i] = x.name
	}
	return 0, fmt.Errorf("invalid %s %q (known: %s)", kind, s, strings.Join(known, ", "))
}

// ForwardClientCertDetails is what a gateway does with the
// x-forwarded-client-cert header of a request.
type ForwardClientCertDetails int32

var forwardClientCertDetails = enumNames{
	{0, "UNDEFINED"}, {1, "SANITIZE"}, {2, "FORWARD_ONLY"}, {3, "APPEND_FORWARD"},
	{4, "SANITIZE_SET"}, {5, "ALWAYS_FORWARD_ONLY"},
}

// String returns the setting's name.
func (f ForwardClientCertDetails) String() string { return forwardClientCertDetails.name(int32(f)) }

// MarshalJSON prints the name.
func (f ForwardClientCertDetails) MarshalJSON() ([]byte, error) { return json.Marshal(f.String()) }

// UnmarshalJSON accepts the name or the number.
func (f *ForwardClientCertDetails) UnmarshalJSON(d []byte) error {
	v, err := forwardClientCertDetails.parse("gatewayTopology.forwardClientCertDetails", d)
	*f = ForwardClientCertDetails(v)
	return err
}

// InterceptionMode is how inbound traffic reaches the proxy. The zero value
// is REDIRECT.
type InterceptionMode int32

// Interception modes.
const (
	InterceptionRedirect InterceptionMode = 0
	InterceptionTProxy   InterceptionMode = 1
	InterceptionNone     InterceptionMode = 2
)

var interceptionModes = enumNames{{0, "REDIRECT"}, {1, "TPROXY"}, {2, "NONE"}}

// String returns REDIRECT, TPROXY or NONE.
func (m InterceptionMode) String() string { return interceptionModes.name(int32(m)) }

// MarshalJSON prints the name.
func (m InterceptionMode) MarshalJSON() ([]byte, error) { return json.Marshal(m.String()) }

// UnmarshalJSON accepts the name or the number.
func (m *InterceptionMode) UnmarshalJSON(d []byte) error {
	v, err := interceptionModes.parse("interceptionMode", d)
	*m = InterceptionMode(v)
	return err
}

// ParseInterceptionMode parses REDIRECT, TPROXY or NONE.
func ParseInterceptionMode(s string) (InterceptionMode, error) {
	var m InterceptionMode
	err := m.UnmarshalJSON([]byte(strconv.Quote(s)))
	return m, err
}

// AuthenticationPolicy is the control-plane authentication policy.
type AuthenticationPolicy int32

// Authentication policies.
const (
	AuthenticationPolicyNone      AuthenticationPolicy = 0
	AuthenticationPolicyMutualTLS AuthenticationPolicy = 1
	AuthenticationPolicyInherit   AuthenticationPolicy = 1000
)

var authPolicies = enumNames{{0, "NONE"}, {1, "MUTUAL_TLS"}, {1000, "INHERIT"}}

// String returns the policy's name.
func (a AuthenticationPolicy) String() string { return authPolicies.name(int32(a)) }

// MarshalJSON prints the name.
func (a AuthenticationPolicy) MarshalJSON() ([]byte, error) { return json.Marshal(a.String()) }

// UnmarshalJSON accepts the name or the number.
func (a *AuthenticationPolicy) UnmarshalJSON(d []byte) error {
	v, err := authPolicies.parse("controlPlaneAuthPolicy", d)
	*a = AuthenticationPolicy(v)
	return err
}

// TLSMode is a client TLS mode.
type TLSMode int32

var tlsModes = enumNames{{0, "DISABLE"}, {1, "SIMPLE"}, {2, "MUTUAL"}, {3, "ISTIO_MUTUAL"}}

// String returns the mode's name.
func (t TLSMode) String() string { return tlsModes.name(int32(t)) }

// MarshalJSON prints the name.
func (t TLSMode) MarshalJSON() ([]byte, error) { return json.Marshal(t.String()) }

// UnmarshalJSON accepts the name or the number.
func (t *TLSMode) UnmarshalJSON(d []byte) error {
	v, err := tlsModes.parse("tls mode", d)
	*t = TLSMode(v)
	return err
}

// TracingServiceName selects how the tracing service name is derived.
type TracingServiceName int32

var tracingServiceNames = enumNames{{0, "APP_LABEL_AND_NAMESPACE"}, {1, "CANONICAL_NAME_ONLY"}, {2, "CANONICAL_NAME_AND_NAMESPACE"}}

// String returns the name.
func (t TracingServiceName) String() string { return tracingServiceNames.name(int32(t)) }

// MarshalJSON prints the name.
func (t TracingServiceName) MarshalJSON() ([]byte, error) { return json.Marshal(t.String()) }

// UnmarshalJSON accepts the name or the number.
func (t *TracingServiceName) UnmarshalJSON(d []byte) error {
	v, err := tracingServiceNames.parse("tracingServiceName", d)
	*t = TracingServiceName(v)
	return err
}
