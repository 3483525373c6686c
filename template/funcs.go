package template

import (
	"encoding/base64"
	"strings"
	"text/template"
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
		"append":       newAppender().append,
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
