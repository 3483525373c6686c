package template

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"path"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/template"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
	yamlv2 "sigs.k8s.io/yaml/goyaml.v2"
)

// FuncMap returns the functions a template can call, with env as what the
// env function reads. The map is fresh on each call; the functions are pure
// and safe for concurrent use.
//
// Istio's own functions, with Istio's semantics:
//
//	annotation meta key default  meta.Annotations[key] if present (even ""), else fmt.Sprint(default)
//	isset m key                  whether key is present in the string map m (nil map: false)
//	valueOrDefault v d           d when v is nil or "", else v
//	excludeInboundPort p list    list with port p appended unless p is empty, "0" or already listed
//	includeInboundPorts cs       the container ports of every container, comma-separated
//	applicationPorts cs          the container ports of every container but istio-proxy
//	kubevirtInterfaces s         s (kept for old templates)
//	excludeInterfaces s          s (kept for old templates)
//	toJSON m                     a string map as JSON ({} for nil)
//	fromJSON s                   s decoded from JSON into maps/lists/strings/float64; "{}" when s is not JSON
//	structToJSON v               v as compact JSON ({} for nil or on error); uses v.ProtoJSON when v has it
//	protoToJSON v                v as compact protobuf-style JSON via v.ProtoJSON ({} for nil); one line
//	toJsonMap m...               the string maps merged left to right, as JSON
//	mergeMaps m...               the string maps merged left to right (later keys win)
//	toYaml v                     v as YAML (sigs.k8s.io/yaml), with its trailing newline; the output
//	                             for a JSON-like tree is remembered by content per FuncMap
//	indent n s                   every line of s but the first prefixed with n spaces (Istio's, not Helm's)
//	nindent n s                  a newline, then every line of s prefixed with n spaces (Helm's)
//	directory p                  the directory part of a slash-separated path, with its trailing slash
//	contains sub s               whether s contains sub
//	toLower s                    s in lower case
//	appendMultusNetwork v net    the k8s.v1.cni.cncf.io/networks value v with net added (list or JSON form;
//	                             in JSON, "ns/name" becomes {"name": "name", "namespace": "ns"}, as Istio does)
//	env key default              Options.Env[key], or default when it is unset or empty
//	omit m key...                a copy of m without the keys (string or any-valued maps)
//	omitNil m                    a copy of m without nil values, recursively
//	strdict k v k v...           a string map from pairs (a missing last value is "")
//	formatDuration d             a duration (time.Duration, a value with AsDuration, or a string) as Go prints it
//	otelResourceAttributes mesh annotations labels namespace containers
//	                             OTEL_RESOURCE_ATTRIBUTES for OpenTelemetry semantic conventions, or ""
//
// The Helm/sprig functions custom templates use, written for kinject with
// sprig's semantics (YAML-safe where sprig is not):
//
//	default d v, empty v, coalesce v..., ternary a b cond, required msg v, fail msg
//	quote v..., squote v..., cat v..., toString v, upper, lower, title, trim, trimAll cut s,
//	trimPrefix p s, trimSuffix p s, trunc n s, replace old new s, repeat n s, substr a b s,
//	nospace s, hasPrefix p s, hasSuffix p s, split sep s (a map _0, _1...), splitList sep s,
//	join sep list, b64enc, b64dec,
//	list v..., append list v, prepend list v, first, last, rest, initial, has v list, uniq,
//	without list v..., compact, concat list..., reverse, sortAlpha,
//	dict k v..., get m k, set m k v, unset m k, hasKey m k, keys m... (sorted), values m (by sorted key),
//	pluck k m..., merge dst src..., dig k... default m, toJson, toPrettyJson, fromJson, fromYaml,
//	int, int64, float64, atoi, add, sub, mul, div, mod, max, min, until n, untilStep a b step.
//
// A function that cannot do its job returns an error, which stops the
// render with the template's name and line, except where Istio's own
// function returns a fallback ("{}" for toJSON and fromJSON), kept for
// compatibility.
func FuncMap(env map[string]string) template.FuncMap {
	m := template.FuncMap{
		// Istio's functions.
		"annotation":             annotation,
		"isset":                  isset,
		"valueOrDefault":         valueOrDefault,
		"excludeInboundPort":     excludeInboundPort,
		"includeInboundPorts":    includeInboundPorts,
		"applicationPorts":       applicationPorts,
		"kubevirtInterfaces":     identity,
		"excludeInterfaces":      identity,
		"toJSON":                 toJSON,
		"fromJSON":               fromJSON,
		"structToJSON":           structToJSON,
		"protoToJSON":            protoToJSON,
		"toJsonMap":              toJSONMap,
		"mergeMaps":              mergeMaps,
		"toYaml":                 newYAMLMemo().toYaml,
		"indent":                 indent,
		"nindent":                nindent,
		"directory":              directory,
		"contains":               contains,
		"toLower":                strings.ToLower,
		"appendMultusNetwork":    appendMultusNetwork,
		"omit":                   omit,
		"omitNil":                omitNil,
		"strdict":                strdict,
		"formatDuration":         formatDuration,
		"otelResourceAttributes": otelResourceAttributes,

		// sprig's, rewritten.
		"default":      dfault,
		"empty":        empty,
		"coalesce":     coalesce,
		"ternary":      ternary,
		"required":     required,
		"fail":         fail,
		"quote":        quote,
		"squote":       squote,
		"cat":          cat,
		"toString":     strval,
		"upper":        strings.ToUpper,
		"lower":        strings.ToLower,
		"title":        title,
		"trim":         strings.TrimSpace,
		"trimAll":      func(cut, s string) string { return strings.Trim(s, cut) },
		"trimPrefix":   func(p, s string) string { return strings.TrimPrefix(s, p) },
		"trimSuffix":   func(p, s string) string { return strings.TrimSuffix(s, p) },
		"trunc":        trunc,
		"replace":      func(old, new, s string) string { return strings.ReplaceAll(s, old, new) },
		"repeat":       repeat,
		"substr":       substr,
		"nospace":      func(s string) string { return strings.Join(strings.Fields(s), "") },
		"hasPrefix":    func(p, s string) bool { return strings.HasPrefix(s, p) },
		"hasSuffix":    func(p, s string) bool { return strings.HasSuffix(s, p) },
		"split":        split,
		"splitList":    func(sep, s string) []any { return toAnyList(strings.Split(s, sep)) },
		"join":         func(sep string, v any) string { return strings.Join(strslice(v), sep) },
		"b64enc":       func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) },
		"b64dec":       b64dec,
		"list":         func(v ...any) []any { return append([]any{}, v...) },
		"append":       appendList,
		"prepend":      prependList,
		"first":        first,
		"last":         last,
		"rest":         rest,
		"initial":      initial,
		"has":          has,
		"uniq":         uniq,
		"without":      without,
		"compact":      compact,
		"concat":       concat,
		"reverse":      reverse,
		"sortAlpha":    sortAlpha,
		"dict":         dict,
		"get":          get,
		"set":          set,
		"unset":        unset,
		"hasKey":       hasKey,
		"keys":         keys,
		"values":       values,
		"pluck":        pluck,
		"merge":        merge,
		"dig":          dig,
		"toJson":       toJSONAny,
		"toPrettyJson": toPrettyJSON,
		"fromJson":     fromJSONStrict,
		"fromYaml":     fromYAML,
		"int":          toInt,
		"int64":        toInt64,
		"float64":      toFloat64,
		"atoi":         atoi,
		"add":          add,
		"sub":          func(a, b any) (int64, error) { return arith(a, b, '-') },
		"mul":          func(a, b any) (int64, error) { return arith(a, b, '*') },
		"div":          func(a, b any) (int64, error) { return arith(a, b, '/') },
		"mod":          func(a, b any) (int64, error) { return arith(a, b, '%') },
		"max":          maxInt,
		"min":          minInt,
		"until":        until,
		"untilStep":    untilStep,
	}
	envCopy := make(map[string]string, len(env))
	for k, v := range env {
		envCopy[k] = v
	}
	m["env"] = func(key, def string) string {
		if v := envCopy[key]; v != "" {
			return v
		}
		return def
	}
	return m
}

// ---- Istio's functions ----

func annotation(meta metav1.ObjectMeta, name string, def any) string {
	if v, ok := meta.Annotations[name]; ok {
		return v
	}
	if s, ok := def.(string); ok {
		return s // what fmt.Sprint prints, without its boxing
	}
	return fmt.Sprint(def)
}

func isset(m map[string]string, key string) bool {
	_, ok := m[key]
	return ok
}

func valueOrDefault(v, def any) any {
	if v == nil {
		return def
	}
	if s, ok := v.(string); ok && s == "" {
		return def
	}
	return v
}

func excludeInboundPort(port any, excluded string) string {
	p := strings.TrimSpace(fmt.Sprint(port))
	if p == "" || p == "0" || p == "<nil>" {
		return excluded
	}
	parts := strings.Split(excluded, ",")
	out := make([]string, 0, len(parts)+1)
	for _, e := range parts {
		if e == p {
			return excluded
		}
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return strings.Join(append(out, p), ",")
}

func containerPorts(cs []corev1.Container, skip string) string {
	var b strings.Builder
	for _, c := range cs {
		if c.Name == skip && skip != "" {
			continue
		}
		for _, p := range c.Ports {
			if b.Len() > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(int(p.ContainerPort)))
		}
	}
	return b.String()
}

func includeInboundPorts(cs []corev1.Container) string { return containerPorts(cs, "") }

func applicationPorts(cs []corev1.Container) string { return containerPorts(cs, "istio-proxy") }

func identity(s string) string { return s }

func toJSON(m map[string]string) string {
	if m == nil {
		return "{}"
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "{}"
	}
	return string(b)
}

func fromJSON(s string) any {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return "{}"
	}
	return v
}

// protoJSONer is what protoToJSON and structToJSON prefer over
// encoding/json: ProxyConfig and MeshConfig implement it to print protobuf
// JSON with defaults left out.
type protoJSONer interface {
	ProtoJSON() ([]byte, error)
}

func isNil(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface:
		return rv.IsNil()
	}
	return false
}

func structToJSON(v any) string {
	if isNil(v) {
		return "{}"
	}
	var b []byte
	var err error
	if p, ok := v.(protoJSONer); ok {
		b, err = p.ProtoJSON()
	} else {
		b, err = json.Marshal(v)
	}
	if err != nil {
		return "{}"
	}
	return compactJSON(b)
}

// protoToJSON always prints one line: templates place it inside a YAML
// block scalar, where a multi-line value would have to match its indent.
func protoToJSON(v any) (string, error) {
	if isNil(v) {
		return "{}", nil
	}
	var b []byte
	var err error
	if p, ok := v.(protoJSONer); ok {
		b, err = p.ProtoJSON()
	} else {
		b, err = json.Marshal(v)
	}
	if err != nil {
		return "", fmt.Errorf("protoToJSON: %w", err)
	}
	return compactJSON(b), nil
}

func compactJSON(b []byte) string {
	if bytes.IndexByte(b, '\n') < 0 {
		return string(b)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return string(b)
	}
	return buf.String()
}

func mergeMaps(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

func toJSONMap(ms ...map[string]string) string {
	b, err := json.Marshal(mergeMaps(ms...))
	if err != nil {
		return ""
	}
	return string(b)
}

// toYaml prints v as sigs.k8s.io/yaml.Marshal does (JSON, then yaml.v2).
// For a JSON-like tree, the usual argument (a part of .Values), it
// marshals with yaml.v2 directly, integral numbers as integers, which
// prints the same bytes for a fraction of the work.
func toYaml(v any) (string, error) {
	if n, ok := yamlTree(v); ok {
		if b, err := yamlv2.Marshal(n); err == nil {
			return string(b), nil
		}
	}
	b, err := yaml.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("toYaml: %w", err)
	}
	return string(b), nil
}

// yamlMemo remembers toYaml's output for JSON-like trees (the parts of
// .Values that templates print, the same on every render) by content, not
// by identity: a hit needs a tree deeply equal to the remembered copy, so
// a map changed in place or a fresh map at a reused address can never get
// a stale answer. Each FuncMap (so each parsed Set) owns one; it is safe
// for concurrent use and bounded: at yamlMemoEntries it starts over, and
// outputs over yamlMemoMaxBytes are not kept.
type yamlMemo struct {
	mu      sync.Mutex
	n       int
	entries map[uint64][]yamlMemoEntry
}

type yamlMemoEntry struct {
	tree any // a private deep copy of the input
	out  string
}

const (
	yamlMemoEntries  = 64
	yamlMemoMaxBytes = 4 << 10
)

func newYAMLMemo() *yamlMemo { return &yamlMemo{entries: map[uint64][]yamlMemoEntry{}} }

func (m *yamlMemo) toYaml(v any) (string, error) {
	h, ok := hashTree(v, 14695981039346656037)
	if !ok {
		return toYaml(v)
	}
	m.mu.Lock()
	for _, e := range m.entries[h] {
		if equalTree(e.tree, v) {
			m.mu.Unlock()
			return e.out, nil
		}
	}
	m.mu.Unlock()
	out, err := toYaml(v)
	if err != nil || len(out) > yamlMemoMaxBytes {
		return out, err
	}
	tree := copyTree(v)
	m.mu.Lock()
	if m.n >= yamlMemoEntries {
		clear(m.entries)
		m.n = 0
	}
	m.entries[h] = append(m.entries[h], yamlMemoEntry{tree: tree, out: out})
	m.n++
	m.mu.Unlock()
	return out, nil
}

// hashTree hashes a JSON-like tree (nil, string, bool, finite float64,
// map[string]any, []any), map members in any order giving the same hash;
// it reports false for anything else.
func hashTree(v any, h uint64) (uint64, bool) {
	const prime = 1099511628211
	mix := func(h, x uint64) uint64 { return (h ^ x) * prime }
	switch v := v.(type) {
	case nil:
		return mix(h, 1), true
	case bool:
		if v {
			return mix(h, 2), true
		}
		return mix(h, 3), true
	case string:
		return hashString(mix(h, 4), v), true
	case float64:
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return 0, false
		}
		return mix(mix(h, 5), math.Float64bits(v)), true
	case map[string]any:
		var sum uint64
		for k, x := range v {
			xh, ok := hashTree(x, hashString(14695981039346656037, k))
			if !ok {
				return 0, false
			}
			sum += xh
		}
		return mix(mix(mix(h, 6), sum), uint64(len(v))), true
	case []any:
		h = mix(h, 7)
		for _, x := range v {
			var ok bool
			if h, ok = hashTree(x, h); !ok {
				return 0, false
			}
		}
		return mix(h, uint64(len(v))), true
	}
	return 0, false
}

func hashString(h uint64, s string) uint64 {
	const prime = 1099511628211
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * prime
	}
	return (h ^ uint64(len(s))) * prime
}

// equalTree compares two JSON-like trees; a is a copy made by copyTree.
func equalTree(a, b any) bool {
	switch a := a.(type) {
	case nil:
		return b == nil
	case bool:
		x, ok := b.(bool)
		return ok && x == a
	case string:
		x, ok := b.(string)
		return ok && x == a
	case float64:
		x, ok := b.(float64)
		return ok && x == a
	case map[string]any:
		x, ok := b.(map[string]any)
		if !ok || (x == nil) != (a == nil) || len(x) != len(a) {
			return false
		}
		for k, av := range a {
			bv, ok := x[k]
			if !ok || !equalTree(av, bv) {
				return false
			}
		}
		return true
	case []any:
		x, ok := b.([]any)
		if !ok || (x == nil) != (a == nil) || len(x) != len(a) {
			return false
		}
		for i := range a {
			if !equalTree(a[i], x[i]) {
				return false
			}
		}
		return true
	}
	return false
}

// copyTree deep-copies a JSON-like tree (nil maps and lists stay nil).
func copyTree(v any) any {
	switch v := v.(type) {
	case map[string]any:
		if v == nil {
			return v
		}
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = copyTree(x)
		}
		return out
	case []any:
		if v == nil {
			return v
		}
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = copyTree(x)
		}
		return out
	}
	return v
}

// yamlTree copies a JSON-like tree with integral numbers as int64 (what
// yaml.v2 reads back from JSON), or reports false for anything else.
func yamlTree(v any) (any, bool) {
	switch v := v.(type) {
	case nil, string, bool:
		return v, true
	case float64:
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return nil, false
		}
		if v == math.Trunc(v) {
			if math.Abs(v) > 1<<53 {
				return nil, false // JSON prints all its digits; leave it to sigs.k8s.io/yaml
			}
			return int64(v), true
		}
		return v, true
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			n, ok := yamlTree(x)
			if !ok {
				return nil, false
			}
			out[k] = n
		}
		return out, true
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			n, ok := yamlTree(x)
			if !ok {
				return nil, false
			}
			out[i] = n
		}
		return out, true
	}
	return nil, false
}

func indent(n int, s string) string {
	if n < 0 {
		n = 0
	}
	return strings.ReplaceAll(s, "\n", "\n"+strings.Repeat(" ", n))
}

func nindent(n int, s string) string {
	if n < 0 {
		n = 0
	}
	pad := strings.Repeat(" ", n)
	return "\n" + pad + strings.ReplaceAll(s, "\n", "\n"+pad)
}

func directory(p string) string {
	dir, _ := path.Split(p)
	return dir
}

func contains(sub, s string) bool { return strings.Contains(s, sub) }

func appendMultusNetwork(existing, network string) string {
	if existing == "" {
		return network
	}
	if i := strings.LastIndex(existing, "]"); i >= 0 {
		return appendMultusJSON(existing, i, network)
	}
	for _, n := range strings.Split(existing, ",") {
		if strings.TrimSpace(n) == network {
			return existing
		}
	}
	return existing + ", " + network
}

// appendMultusJSON adds network ("name" or "namespace/name", Multus' short
// form) to the JSON form of the networks annotation as an object with name
// and, when given, namespace, inserted before the closing bracket at end so
// the user's formatting is kept. A network already listed under the same
// name is not added again unless both name a different namespace (an entry
// without one means the pod's namespace, which may be the same). Text that
// is not a JSON list of objects is returned unchanged.
func appendMultusJSON(existing string, end int, network string) string {
	ns, name := "", network
	if i := strings.IndexByte(network, '/'); i >= 0 {
		ns, name = network[:i], network[i+1:]
	}
	var nets []map[string]any
	if err := json.Unmarshal([]byte(existing), &nets); err != nil {
		return existing
	}
	for _, n := range nets {
		if n["name"] != name {
			continue
		}
		if other, ok := n["namespace"].(string); !ok || other == "" || ns == "" || other == ns {
			return existing
		}
	}
	nameJSON, _ := json.Marshal(name)
	entry := `{"name": ` + string(nameJSON)
	if ns != "" {
		nsJSON, _ := json.Marshal(ns)
		entry += `, "namespace": ` + string(nsJSON)
	}
	entry += "}"
	if len(nets) == 0 {
		return existing[:end] + entry + existing[end:]
	}
	return existing[:end] + ", " + entry + existing[end:]
}

func omit(m any, drop ...string) (any, error) {
	skip := make(map[string]bool, len(drop))
	for _, k := range drop {
		skip[k] = true
	}
	switch m := m.(type) {
	case nil:
		return map[string]string{}, nil
	case map[string]string:
		out := make(map[string]string, len(m))
		for k, v := range m {
			if !skip[k] {
				out[k] = v
			}
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(m))
		for k, v := range m {
			if !skip[k] {
				out[k] = v
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("omit: want a map, got %T", m)
}

func omitNil(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		switch v := v.(type) {
		case nil:
			continue
		case map[string]any:
			out[k] = omitNil(v)
		default:
			out[k] = v
		}
	}
	return out
}

func strdict(kv ...string) map[string]string {
	out := make(map[string]string, (len(kv)+1)/2)
	for i := 0; i < len(kv); i += 2 {
		if i+1 < len(kv) {
			out[kv[i]] = kv[i+1]
		} else {
			out[kv[i]] = ""
		}
	}
	return out
}

type asDuration interface{ AsDuration() time.Duration }

func formatDuration(v any) (string, error) {
	switch d := v.(type) {
	case nil:
		return "0s", nil
	case time.Duration:
		return d.String(), nil
	case *time.Duration:
		if d == nil {
			return "0s", nil
		}
		return d.String(), nil
	case string:
		p, err := time.ParseDuration(d)
		if err != nil {
			return "", fmt.Errorf("formatDuration: %w", err)
		}
		return p.String(), nil
	case asDuration:
		if isNil(d) {
			return "0s", nil
		}
		return d.AsDuration().String(), nil
	}
	return "", fmt.Errorf("formatDuration: want a duration, got %T", v)
}

// otelResourceAttributes returns the OTEL_RESOURCE_ATTRIBUTES value Istio
// sets when an OpenTelemetry extension provider of the mesh asks for
// serviceAttributeEnrichment OTEL_SEMANTIC_CONVENTIONS, following
// OpenTelemetry's Kubernetes conventions: service.namespace (annotation
// resource.opentelemetry.io/service.namespace, else the namespace),
// service.version (annotation, else label app.kubernetes.io/version; left out
// when neither is set) and service.instance.id
// (<namespace>.$(POD_NAME).<first application container>). It returns ""
// otherwise. mesh is read through its JSON field names, so any MeshConfig
// shape with Istio's names works.
func otelResourceAttributes(mesh any, annotations, labels map[string]string, namespace string, cs []corev1.Container) string {
	if !otelSemconvEnabled(mesh) {
		return ""
	}
	const prefix = "resource.opentelemetry.io/"
	ns := annotations[prefix+"service.namespace"]
	if ns == "" {
		ns = namespace
	}
	var parts []string
	if ns != "" {
		parts = append(parts, "service.namespace="+ns)
	}
	ver := annotations[prefix+"service.version"]
	if ver == "" {
		ver = labels["app.kubernetes.io/version"]
	}
	if ver != "" {
		parts = append(parts, "service.version="+ver)
	}
	id := annotations[prefix+"service.instance.id"]
	if id == "" {
		for _, c := range cs {
			if c.Name != "istio-proxy" {
				id = ns + ".$(POD_NAME)." + c.Name
				break
			}
		}
	}
	if id != "" {
		parts = append(parts, "service.instance.id="+id)
	}
	return strings.Join(parts, ",")
}

func otelSemconvEnabled(mesh any) bool {
	providers := jsonField(reflect.ValueOf(mesh), "extensionProviders")
	if !providers.IsValid() || (providers.Kind() != reflect.Slice && providers.Kind() != reflect.Array) {
		return false
	}
	for i := 0; i < providers.Len(); i++ {
		otel := jsonField(providers.Index(i), "opentelemetry")
		enrich := jsonField(otel, "serviceAttributeEnrichment")
		if enrich.IsValid() && fmt.Sprint(enrich.Interface()) == "OTEL_SEMANTIC_CONVENTIONS" {
			return true
		}
	}
	return false
}

// jsonField follows pointers and interfaces and returns the field (or map
// entry) of v whose JSON name is name, or the zero Value.
func jsonField(v reflect.Value, name string) reflect.Value {
	for v.IsValid() && (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) {
		if v.IsNil() {
			return reflect.Value{}
		}
		v = v.Elem()
	}
	if !v.IsValid() {
		return v
	}
	switch v.Kind() {
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String {
			return reflect.Value{}
		}
		e := v.MapIndex(reflect.ValueOf(name).Convert(v.Type().Key()))
		for e.IsValid() && e.Kind() == reflect.Interface && !e.IsNil() {
			e = e.Elem()
		}
		return e
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if tag == name || (tag == "" && strings.EqualFold(f.Name, name)) {
				fv := v.Field(i)
				for fv.IsValid() && (fv.Kind() == reflect.Pointer || fv.Kind() == reflect.Interface) {
					if fv.IsNil() {
						return reflect.Value{}
					}
					fv = fv.Elem()
				}
				return fv
			}
		}
	}
	return reflect.Value{}
}

// ---- sprig's functions ----

func strval(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []byte:
		return string(v)
	case error:
		return v.Error()
	case fmt.Stringer:
		return v.String()
	}
	return fmt.Sprint(v)
}

func empty(v any) bool {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() {
		return true
	}
	switch rv.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return rv.Len() == 0
	case reflect.Bool:
		return !rv.Bool()
	case reflect.Complex64, reflect.Complex128:
		return rv.Complex() == 0
	case reflect.Float32, reflect.Float64:
		return rv.Float() == 0
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return rv.Uint() == 0
	case reflect.Pointer, reflect.Interface, reflect.Func, reflect.Chan:
		return rv.IsNil()
	case reflect.Struct:
		return false
	}
	return false
}

// dfault is sprig's default: d when the piped value is empty (nil, "", 0,
// false, an empty list or map) or missing.
func dfault(d any, given ...any) any {
	if len(given) == 0 || empty(given[0]) {
		return d
	}
	return given[0]
}

func coalesce(v ...any) any {
	for _, x := range v {
		if !empty(x) {
			return x
		}
	}
	return nil
}

func ternary(a, b any, cond bool) any {
	if cond {
		return a
	}
	return b
}

func required(msg string, v any) (any, error) {
	if v == nil {
		return nil, fmt.Errorf("required: %s", msg)
	}
	if s, ok := v.(string); ok && s == "" {
		return nil, fmt.Errorf("required: %s", msg)
	}
	return v, nil
}

func fail(msg string) (string, error) { return "", fmt.Errorf("fail: %s", msg) }

// quote renders each non-nil argument as a YAML (and JSON-compatible)
// double-quoted scalar, separated by spaces. Unlike Go's %q, it never emits
// \x escapes, which YAML reads differently.
func quote(v ...any) string {
	if len(v) == 1 {
		// The usual call, one string: one allocation, no builder.
		if s, ok := v[0].(string); ok && isValidUTF8(s) {
			return strconv.Quote(s)
		}
	}
	var b strings.Builder
	for _, x := range v {
		if x == nil {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		writeYAMLDoubleQuoted(&b, strval(x))
	}
	return b.String()
}

func writeYAMLDoubleQuoted(b *strings.Builder, s string) {
	// strconv.Quote escapes exactly what a YAML double-quoted scalar needs
	// (quotes, backslashes, control and non-printable characters) with
	// escapes YAML shares, except \x for invalid UTF-8, which YAML reads
	// as a code point: replace invalid bytes first.
	if !isValidUTF8(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	b.WriteString(strconv.Quote(s))
}

func isValidUTF8(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return strings.ToValidUTF8(s, "\x00") == s
		}
	}
	return true
}

// squote renders each non-nil argument as a YAML single-quoted scalar (a
// quote inside is doubled; sprig leaves it alone, which breaks the YAML),
// or double-quoted when it holds characters single quotes cannot carry.
func squote(v ...any) string {
	var b strings.Builder
	for _, x := range v {
		if x == nil {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		s := strval(x)
		if !isValidUTF8(s) || strings.IndexFunc(s, func(r rune) bool { return !strconv.IsPrint(r) }) >= 0 {
			// Single quotes have no escapes: line breaks fold and control
			// characters are refused, so such values get double quotes.
			writeYAMLDoubleQuoted(&b, s)
			continue
		}
		b.WriteByte('\'')
		b.WriteString(strings.ReplaceAll(s, "'", "''"))
		b.WriteByte('\'')
	}
	return b.String()
}

func cat(v ...any) string {
	parts := make([]string, 0, len(v))
	for _, x := range v {
		if x != nil {
			parts = append(parts, strval(x))
		}
	}
	return strings.Join(parts, " ")
}

func title(s string) string {
	prev := ' '
	return strings.Map(func(r rune) rune {
		out := r
		if prev == ' ' || prev == '\t' || prev == '\n' || prev == '-' || prev == '_' {
			out = []rune(strings.ToUpper(string(r)))[0]
		}
		prev = r
		return out
	}, s)
}

func trunc(n int, s string) string {
	if n < 0 && len(s)+n > 0 {
		return s[len(s)+n:]
	}
	if n >= 0 && len(s) > n {
		return s[:n]
	}
	return s
}

// maxRepeat bounds repeat so a template cannot allocate without limit.
const maxRepeat = 1 << 20

func repeat(n int, s string) (string, error) {
	if n < 0 || len(s)*n > maxRepeat {
		return "", fmt.Errorf("repeat: %d copies of %d bytes is out of range", n, len(s))
	}
	return strings.Repeat(s, n), nil
}

func substr(start, end int, s string) string {
	if start < 0 {
		start = 0
	}
	if end < 0 || end > len(s) {
		end = len(s)
	}
	if start > end {
		return ""
	}
	return s[start:end]
}

func split(sep, s string) map[string]any {
	parts := strings.Split(s, sep)
	out := make(map[string]any, len(parts))
	for i, p := range parts {
		out["_"+strconv.Itoa(i)] = p
	}
	return out
}

func b64dec(s string) (string, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return "", fmt.Errorf("b64dec: %w", err)
	}
	return string(b), nil
}

func toAnyList(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// listOf returns the elements of a list-like value (nil: none).
func listOf(fn string, v any) ([]any, error) {
	switch l := v.(type) {
	case nil:
		return nil, nil
	case []any:
		return l, nil
	case []string:
		return toAnyList(l), nil
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		return nil, fmt.Errorf("%s: want a list, got %T", fn, v)
	}
	out := make([]any, rv.Len())
	for i := range out {
		out[i] = rv.Index(i).Interface()
	}
	return out, nil
}

func strslice(v any) []string {
	switch l := v.(type) {
	case []string:
		return l
	case nil:
		return nil
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		return []string{strval(v)}
	}
	out := make([]string, 0, rv.Len())
	for i := 0; i < rv.Len(); i++ {
		x := rv.Index(i).Interface()
		if x != nil {
			out = append(out, strval(x))
		}
	}
	return out
}

func appendList(l any, v any) ([]any, error) {
	xs, err := listOf("append", l)
	if err != nil {
		return nil, err
	}
	out := make([]any, len(xs), len(xs)+1)
	copy(out, xs)
	return append(out, v), nil
}

func prependList(l any, v any) ([]any, error) {
	xs, err := listOf("prepend", l)
	if err != nil {
		return nil, err
	}
	return append([]any{v}, xs...), nil
}

func first(l any) (any, error) {
	xs, err := listOf("first", l)
	if err != nil || len(xs) == 0 {
		return nil, err
	}
	return xs[0], nil
}

func last(l any) (any, error) {
	xs, err := listOf("last", l)
	if err != nil || len(xs) == 0 {
		return nil, err
	}
	return xs[len(xs)-1], nil
}

func rest(l any) ([]any, error) {
	xs, err := listOf("rest", l)
	if err != nil || len(xs) == 0 {
		return []any{}, err
	}
	return append([]any{}, xs[1:]...), nil
}

func initial(l any) ([]any, error) {
	xs, err := listOf("initial", l)
	if err != nil || len(xs) == 0 {
		return []any{}, err
	}
	return append([]any{}, xs[:len(xs)-1]...), nil
}

func has(v any, l any) (bool, error) {
	xs, err := listOf("has", l)
	if err != nil {
		return false, err
	}
	for _, x := range xs {
		if reflect.DeepEqual(x, v) {
			return true, nil
		}
	}
	return false, nil
}

// filterList returns the elements of the list l that keep accepts, given
// the element and those kept so far; fn names the function in errors.
func filterList(fn string, l any, keep func(x any, kept []any) bool) ([]any, error) {
	xs, err := listOf(fn, l)
	if err != nil {
		return nil, err
	}
	out := []any{}
	for _, x := range xs {
		if keep(x, out) {
			out = append(out, x)
		}
	}
	return out, nil
}

func uniq(l any) ([]any, error) {
	return filterList("uniq", l, func(x any, kept []any) bool {
		ok, _ := has(x, kept)
		return !ok
	})
}

func without(l any, drop ...any) ([]any, error) {
	return filterList("without", l, func(x any, _ []any) bool {
		ok, _ := has(x, drop)
		return !ok
	})
}

func compact(l any) ([]any, error) {
	return filterList("compact", l, func(x any, _ []any) bool { return !empty(x) })
}

func concat(ls ...any) ([]any, error) {
	out := []any{}
	for _, l := range ls {
		xs, err := listOf("concat", l)
		if err != nil {
			return nil, err
		}
		out = append(out, xs...)
	}
	return out, nil
}

func reverse(l any) ([]any, error) {
	xs, err := listOf("reverse", l)
	if err != nil {
		return nil, err
	}
	out := make([]any, len(xs))
	for i, x := range xs {
		out[len(xs)-1-i] = x
	}
	return out, nil
}

func sortAlpha(l any) []string {
	out := append([]string{}, strslice(l)...)
	sort.Strings(out)
	return out
}

func dict(kv ...any) map[string]any {
	out := make(map[string]any, (len(kv)+1)/2)
	for i := 0; i < len(kv); i += 2 {
		k := strval(kv[i])
		if i+1 < len(kv) {
			out[k] = kv[i+1]
		} else {
			out[k] = ""
		}
	}
	return out
}

func get(m map[string]any, k string) any {
	if v, ok := m[k]; ok {
		return v
	}
	return ""
}

// set and unset change the dict in place, as sprig's do; templates use them
// on dicts they built themselves (dict, merge), never on Data.
func set(m map[string]any, k string, v any) map[string]any {
	m[k] = v
	return m
}

func unset(m map[string]any, k string) map[string]any {
	delete(m, k)
	return m
}

func hasKey(m map[string]any, k string) bool {
	_, ok := m[k]
	return ok
}

func keys(ms ...map[string]any) []string {
	out := []string{}
	for _, m := range ms {
		for k := range m {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func values(m map[string]any) []any {
	ks := keys(m)
	out := make([]any, len(ks))
	for i, k := range ks {
		out[i] = m[k]
	}
	return out
}

func pluck(k string, ms ...map[string]any) []any {
	out := []any{}
	for _, m := range ms {
		if v, ok := m[k]; ok {
			out = append(out, v)
		}
	}
	return out
}

// merge copies into dst the keys of each src that dst lacks, recursing into
// nested maps (sprig's merge; the first source to set a key wins).
func merge(dst map[string]any, srcs ...map[string]any) map[string]any {
	if dst == nil {
		dst = map[string]any{}
	}
	for _, src := range srcs {
		for k, v := range src {
			cur, ok := dst[k]
			if !ok {
				dst[k] = v
				continue
			}
			cm, ok1 := cur.(map[string]any)
			sm, ok2 := v.(map[string]any)
			if ok1 && ok2 {
				dst[k] = merge(cm, sm)
			}
		}
	}
	return dst
}

// dig walks nested maps: dig "a" "b" default m.
func dig(args ...any) (any, error) {
	if len(args) < 3 {
		return nil, fmt.Errorf("dig: want keys, a default and a map, got %d arguments", len(args))
	}
	m, ok := args[len(args)-1].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("dig: last argument must be a map, got %T", args[len(args)-1])
	}
	def := args[len(args)-2]
	var cur any = m
	for _, k := range args[:len(args)-2] {
		cm, ok := cur.(map[string]any)
		if !ok {
			return def, nil
		}
		v, ok := cm[strval(k)]
		if !ok {
			return def, nil
		}
		cur = v
	}
	return cur, nil
}

func toJSONAny(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("toJson: %w", err)
	}
	return string(b), nil
}

func toPrettyJSON(v any) (string, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return "", fmt.Errorf("toPrettyJson: %w", err)
	}
	return string(b), nil
}

func fromJSONStrict(s string) (any, error) {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return nil, fmt.Errorf("fromJson: %w", err)
	}
	return v, nil
}

func fromYAML(s string) (any, error) {
	var v any
	if err := yaml.Unmarshal([]byte(s), &v); err != nil {
		return nil, fmt.Errorf("fromYaml: %w", err)
	}
	return v, nil
}

func toInt64(v any) (int64, error) {
	switch x := v.(type) {
	case nil:
		return 0, nil
	case string:
		if x == "" {
			return 0, nil
		}
		n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		if err != nil {
			f, ferr := strconv.ParseFloat(strings.TrimSpace(x), 64)
			if ferr != nil {
				return 0, fmt.Errorf("int: %q is not a number", x)
			}
			return int64(f), nil
		}
		return n, nil
	case bool:
		if x {
			return 1, nil
		}
		return 0, nil
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int(), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return int64(rv.Uint()), nil
	case reflect.Float32, reflect.Float64:
		return int64(rv.Float()), nil
	}
	return 0, fmt.Errorf("int: cannot convert %T", v)
}

func toInt(v any) (int, error) {
	n, err := toInt64(v)
	return int(n), err
}

func toFloat64(v any) (float64, error) {
	switch x := v.(type) {
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		if err != nil {
			return 0, fmt.Errorf("float64: %q is not a number", x)
		}
		return f, nil
	case float64:
		return x, nil
	case float32:
		return float64(x), nil
	}
	n, err := toInt64(v)
	return float64(n), err
}

func atoi(s string) int {
	n, _ := strconv.Atoi(strings.TrimSpace(s))
	return n
}

func add(v ...any) (int64, error) {
	var sum int64
	for _, x := range v {
		n, err := toInt64(x)
		if err != nil {
			return 0, err
		}
		sum += n
	}
	return sum, nil
}

func arith(a, b any, op byte) (int64, error) {
	x, err := toInt64(a)
	if err != nil {
		return 0, err
	}
	y, err := toInt64(b)
	if err != nil {
		return 0, err
	}
	switch op {
	case '-':
		return x - y, nil
	case '*':
		return x * y, nil
	case '/', '%':
		if y == 0 {
			return 0, fmt.Errorf("division by zero")
		}
		if op == '/' {
			return x / y, nil
		}
		return x % y, nil
	}
	return 0, fmt.Errorf("unknown operator %c", op)
}

func maxInt(a any, v ...any) (int64, error) {
	m, err := toInt64(a)
	if err != nil {
		return 0, err
	}
	for _, x := range v {
		n, err := toInt64(x)
		if err != nil {
			return 0, err
		}
		if n > m {
			m = n
		}
	}
	return m, nil
}

func minInt(a any, v ...any) (int64, error) {
	m, err := toInt64(a)
	if err != nil {
		return 0, err
	}
	for _, x := range v {
		n, err := toInt64(x)
		if err != nil {
			return 0, err
		}
		if n < m {
			m = n
		}
	}
	return m, nil
}

// maxList bounds until and untilStep.
const maxList = 1 << 16

func until(n int) ([]int, error) { return untilStep(0, n, 1) }

func untilStep(start, stop, step int) ([]int, error) {
	if step == 0 || (stop-start)/step > maxList {
		return nil, fmt.Errorf("untilStep: %d..%d by %d is out of range", start, stop, step)
	}
	out := []int{}
	if step > 0 {
		for i := start; i < stop; i += step {
			out = append(out, i)
		}
	} else {
		for i := start; i > stop; i += step {
			out = append(out, i)
		}
	}
	return out, nil
}
