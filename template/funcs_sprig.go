package template

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"weak"

	"sigs.k8s.io/yaml"
)

// The Helm/sprig functions custom templates use, written for kinject with
// sprig's semantics (YAML-safe where sprig is not).

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

// defaultString is dfault of two strings (a string is empty when it is ""),
// which compiled templates call directly (compiled.go).
func defaultString(d, given string) string {
	if given == "" {
		return d
	}
	return given
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
		if s, ok := v[0].(string); ok {
			return quoteString(s)
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

// quoteString is quote of one string (its usual call: one allocation, no
// builder), which compiled templates call directly (compiled.go).
func quoteString(s string) string {
	if isValidUTF8(s) {
		return strconv.Quote(s)
	}
	var b strings.Builder
	writeYAMLDoubleQuoted(&b, s)
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

// appender is sprig's append in amortised constant time. sprig copies the
// list on every call, which makes the loop Istio's own sidecar template
// runs ({{ range .Spec.Containers }}{{ $l = append $l .Name }}{{ end }})
// quadratic in the containers. appender makes lists with room to grow and
// remembers, for each array it made, how much of it is in use: appending
// to the longest list of such an array fills the next slot in place;
// appending to any other list (an older one: $b := append $a x after
// $c := append $a y; or one from elsewhere) copies, as sprig does, into an
// array twice as long. The arrays are remembered by weak pointers and
// forgotten once collected. Safe for concurrent use.
type appender struct {
	mu   sync.Mutex
	ends map[weak.Pointer[any]]int
}

func newAppender() *appender { return &appender{ends: map[weak.Pointer[any]]int{}} }

func (a *appender) append(l any, v any) ([]any, error) {
	xs, err := listOf("append", l)
	if err != nil {
		return nil, err
	}
	if n := len(xs); n > 0 && cap(xs) > n {
		key := weak.Make(&xs[0])
		a.mu.Lock()
		if end, ok := a.ends[key]; ok && end == n {
			out := xs[:n+1]
			out[n] = v
			a.ends[key] = n + 1
			a.mu.Unlock()
			return out, nil
		}
		a.mu.Unlock()
	}
	out := make([]any, len(xs)+1, 2*len(xs)+4)
	copy(out, xs)
	out[len(xs)] = v
	key := weak.Make(&out[0])
	a.mu.Lock()
	a.ends[key] = len(out)
	a.mu.Unlock()
	runtime.AddCleanup(&out[0], a.forget, key)
	return out, nil
}

func (a *appender) forget(key weak.Pointer[any]) {
	a.mu.Lock()
	delete(a.ends, key)
	a.mu.Unlock()
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
