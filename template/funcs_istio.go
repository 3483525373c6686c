package template

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/kinject/kinject/internal/codec"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Istio's template functions, with Istio's semantics (listed in FuncMap's
// doc). toYaml and its memo are in funcs_yaml.go.

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

// structToJSON is protoToJSON with Istio's fallback: {} when v does not
// encode.
func structToJSON(v any) string {
	s, err := protoToJSON(v)
	if err != nil {
		return "{}"
	}
	return s
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
// serviceAttributeEnrichment OTEL_SEMANTIC_CONVENTIONS, and "" otherwise.
// It follows OpenTelemetry's Kubernetes conventions as Istio does, in this
// order, joined by commas, each attribute left out when it has no value:
//
//   - service.namespace: annotation resource.opentelemetry.io/service.namespace
//     when not empty, else the pod's Kubernetes namespace;
//   - service.version: annotation resource.opentelemetry.io/service.version,
//     else label app.kubernetes.io/version, else, only when the pod has
//     exactly one container, its image's version (imageVersion);
//   - service.instance.id: annotation
//     resource.opentelemetry.io/service.instance.id, else
//     NAMESPACE.$(POD_NAME).CONTAINER with the Kubernetes namespace (never
//     the annotation's) and the name of the pod's first container as given.
//
// mesh is read through its JSON field names, so any MeshConfig shape with
// Istio's names works; cs are the pod's containers before injection.
func otelResourceAttributes(mesh any, annotations, labels map[string]string, namespace string, cs []corev1.Container) string {
	if !otelSemconvEnabled(mesh) {
		return ""
	}
	const prefix = "resource.opentelemetry.io/"
	var parts []string
	add := func(key, v string) {
		if v != "" {
			parts = append(parts, key+"="+v)
		}
	}
	ns := annotations[prefix+"service.namespace"]
	if ns == "" {
		ns = namespace
	}
	add("service.namespace", ns)
	ver := annotations[prefix+"service.version"]
	if ver == "" {
		ver = labels["app.kubernetes.io/version"]
	}
	if ver == "" && len(cs) == 1 {
		ver = imageVersion(cs[0].Image)
	}
	add("service.version", ver)
	id := annotations[prefix+"service.instance.id"]
	if id == "" && len(cs) > 0 {
		id = namespace + ".$(POD_NAME)." + cs[0].Name
	}
	add("service.instance.id", id)
	return strings.Join(parts, ",")
}

// imageVersion is the version an image reference names: TAG@DIGEST when it
// has both, else the digest, else the tag, else "". The digest is what
// follows "@"; the tag is what follows the last ":" after the last "/" of
// what precedes it (so a registry's port is not a tag).
func imageVersion(image string) string {
	name, digest, _ := strings.Cut(image, "@")
	tag := ""
	if k := strings.LastIndexByte(name, ':'); k > strings.LastIndexByte(name, '/') {
		tag = name[k+1:]
	}
	switch {
	case tag != "" && digest != "":
		return tag + "@" + digest
	case digest != "":
		return digest
	}
	return tag
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
		p := codec.PlanOf(v.Type())
		f := p.FieldByName(name)
		for i := range p.Fields {
			if f == nil && !p.Fields[i].Tagged && strings.EqualFold(p.Fields[i].Name, name) {
				f = &p.Fields[i]
			}
		}
		if f == nil {
			return reflect.Value{}
		}
		fv, err := v.FieldByIndexErr(f.Index)
		for err == nil && fv.IsValid() && (fv.Kind() == reflect.Pointer || fv.Kind() == reflect.Interface) {
			if fv.IsNil() {
				return reflect.Value{}
			}
			fv = fv.Elem()
		}
		if err != nil {
			return reflect.Value{}
		}
		return fv
	}
	return reflect.Value{}
}
