// Package meshconfig is Istio's configuration model as plain Go: MeshConfig
// (the "mesh" key of the istio ConfigMap) and ProxyConfig (the mesh's
// defaultConfig, overlaid by a pod's proxy.istio.io/config annotation),
// with Istio's defaults, its field names and its protobuf-style JSON.
//
// # The model
//
// ParseMeshConfig layers a mesh document (YAML or JSON) over
// DefaultMeshConfig, as istiod does; MergeProxyConfig layers a pod's
// proxy.istio.io/config over a base ProxyConfig (maps merge, lists and
// scalars replace) and returns a new value; ProtoJSON prints a ProxyConfig
// as protobuf JSON does (defaults left out, fields in protobuf order), which
// is what Istio's templates put in PROXY_CONFIG.
//
// Values are immutable once built: nothing here changes its arguments, and
// every function is safe for concurrent use.
//
// # What it refuses
//
// Decoding is strict: an unknown field, a value of the wrong type or an enum
// name Istio does not know is an error that names it (for proxy
// configuration, wrapping ErrProxyConfig).
//
// # Traps
//
//   - A zero MeshConfig or ProxyConfig has none of Istio's defaults: build
//     them with ParseMeshConfig, DefaultMeshConfig or DefaultProxyConfig.
//   - Message fields are pointers and wrappers (BoolValue, Int32Value) keep
//     "set to false" apart from "unset"; read them through the Get accessors
//     (nil-safe, as protobuf's are), which Istio's templates call.
//   - Sub-messages the injector never reads are kept as raw JSON: they
//     round-trip, but their inner fields are not checked.
//   - A Duration encodes as protobuf JSON does ("90s", "1.500s"), but its
//     String method prints Go's form ("1m30s"), which is what Istio's
//     templates print.
//   - Encoding a MeshConfig leaves out false booleans, so loading that
//     encoding again over the defaults turns enableTracing back on (see
//     ParseMeshConfig).
package meshconfig
