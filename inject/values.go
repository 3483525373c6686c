package inject

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// ErrNoValue is matched (errors.Is) by the error Config.Value returns for a
// path that is not in the values.
var ErrNoValue = errors.New("no such value")

// Value returns the value at path in c.Values (data.values of the
// istio-sidecar-injector ConfigMap), for example Value("global.tag") or
// Value("global.proxy.resources.limits.cpu"). The path is the keys joined
// by dots; a key that itself holds a dot is written with a backslash
// before it (`sidecarInjectorWebhook.injectedAnnotations.example\.com/a`).
//
// The value is what JSON decoding gives: string, float64, bool, nil,
// []any or map[string]any (do not change a map or slice it returns:
// it is the Config's own). A missing key is an error matching ErrNoValue
// that names the path and the keys that are there; a path through a value
// that is not an object is an error naming that value's type.
func (c *Config) Value(path string) (any, error) {
	keys, err := splitValuePath(path)
	if err != nil {
		return nil, err
	}
	var v any = c.Values
	for k, key := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, notObjectError(path, keys[:k], v)
		}
		next, ok := m[key]
		if !ok {
			where := "the values"
			if k > 0 {
				where = joinValuePath(keys[:k])
			}
			return nil, fmt.Errorf("values: %s: %w: %s has no key %q%s", path, ErrNoValue, where, key, knownKeys(m))
		}
		v = next
	}
	return v, nil
}

// SetValue sets the value at path in c.Values (see Value for the path),
// creating the objects on the way that are missing: for example
// SetValue("global.tag", "1.31.0") bumps the proxy image's tag, and
// SetValue("global.proxy.resources.requests.cpu", "200m") the sidecar's
// default CPU request.
//
// v is stored as JSON decoding would give it (it is encoded and decoded
// once), so numbers become float64 and structs with JSON tags become
// objects, exactly as if the value had been written in values.json: the
// templates see the same types either way. The maps on the path are copied
// before they are written, so a Values map shared with another Config is
// never changed.
//
// A path through a value that is not an object, or a value that cannot be
// encoded as JSON, is an error naming the path. SetValue changes Values
// only: Revision, EnableNamespacesByDefault and Release, which LoadConfig
// derives from values.revision, values.sidecarInjectorWebhook and
// values.global.tag, are fields of their own.
func (c *Config) SetValue(path string, v any) error {
	keys, err := splitValuePath(path)
	if err != nil {
		return err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("values: %s: %w", path, err)
	}
	var val any
	if err := json.Unmarshal(b, &val); err != nil {
		return fmt.Errorf("values: %s: %w", path, err)
	}
	// Check the whole path before copying anything, so a failed call
	// leaves c as it was.
	var cur any = c.Values
	for k, key := range keys[:len(keys)-1] {
		if cur == nil {
			break
		}
		m, ok := cur.(map[string]any)
		if !ok {
			return notObjectError(path, keys[:k], cur)
		}
		next, ok := m[key]
		if !ok {
			break
		}
		if _, isMap := next.(map[string]any); !isMap {
			return notObjectError(path, keys[:k+1], next)
		}
		cur = next
	}
	c.Values = setValue(c.Values, keys, val)
	return nil
}

// setValue returns a copy of m with keys set to v, copying every map on
// the path and sharing the rest.
func setValue(m map[string]any, keys []string, v any) map[string]any {
	out := make(map[string]any, len(m)+1)
	for k, e := range m {
		out[k] = e
	}
	if len(keys) == 1 {
		out[keys[0]] = v
		return out
	}
	child, _ := m[keys[0]].(map[string]any)
	out[keys[0]] = setValue(child, keys[1:], v)
	return out
}

// splitValuePath splits a dotted path; `\.` is a dot inside a key.
func splitValuePath(path string) ([]string, error) {
	var keys []string
	var b strings.Builder
	for i := 0; i < len(path); i++ {
		switch ch := path[i]; {
		case ch == '\\' && i+1 < len(path) && path[i+1] == '.':
			b.WriteByte('.')
			i++
		case ch == '.':
			keys = append(keys, b.String())
			b.Reset()
		default:
			b.WriteByte(ch)
		}
	}
	keys = append(keys, b.String())
	for _, k := range keys {
		if k == "" {
			return nil, fmt.Errorf("values: path %q: empty key (keys are joined by single dots)", path)
		}
	}
	return keys, nil
}

func joinValuePath(keys []string) string {
	esc := make([]string, len(keys))
	for k, s := range keys {
		esc[k] = strings.ReplaceAll(s, ".", `\.`)
	}
	return strings.Join(esc, ".")
}

func notObjectError(path string, at []string, v any) error {
	return fmt.Errorf("values: %s: %s is %s, not an object", path, joinValuePath(at), jsonKind(v))
}

// jsonKind names a decoded JSON value's type, with a short value.
func jsonKind(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		if len(x) > 40 {
			x = x[:40] + "..."
		}
		return fmt.Sprintf("a string (%q)", x)
	case float64:
		return fmt.Sprintf("a number (%v)", x)
	case bool:
		return fmt.Sprintf("a boolean (%v)", x)
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("a %T", v)
}

// knownKeys lists an object's keys for an error message (at most 12).
func knownKeys(m map[string]any) string {
	if len(m) == 0 {
		return " (it is empty)"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	more := ""
	if len(keys) > 12 {
		more = fmt.Sprintf(", and %d more", len(keys)-12)
		keys = keys[:12]
	}
	return " (it has: " + strings.Join(keys, ", ") + more + ")"
}
