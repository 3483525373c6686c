package template

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kinject/kinject/internal/codec"
	"github.com/kinject/kinject/template/meshconfig"
	"k8s.io/apimachinery/pkg/util/validation"
)

// ErrInvalidAnnotation is wrapped by every error of ValidateAnnotations;
// each names the annotation key.
var ErrInvalidAnnotation = errors.New("invalid annotation")

// ErrInvalidLabel is wrapped by every error of ValidateLabels.
var ErrInvalidLabel = errors.New("invalid label")

// annotationValidators are the pod annotations a sidecar template reads
// whose value needs checking. Istio validates the same keys, except those
// marked kinject: the shipped templates insert them into the YAML without
// quoting, so a quote or a line break in them would add fields.
var annotationValidators = map[string]func(string) error{
	"sidecar.istio.io/interceptionMode":                     validateInterceptionMode,
	"traffic.sidecar.istio.io/includeOutboundIPRanges":      validateIPRanges("includeIPRanges", true),
	"traffic.sidecar.istio.io/excludeOutboundIPRanges":      validateIPRanges("excludeIPRanges", false),
	"traffic.sidecar.istio.io/includeInboundPorts":          validatePorts("includeInboundPorts", true),
	"traffic.sidecar.istio.io/excludeInboundPorts":          validatePorts("excludeInboundPorts", false),
	"traffic.sidecar.istio.io/includeOutboundPorts":         validatePorts("includeOutboundPorts", false),
	"traffic.sidecar.istio.io/excludeOutboundPorts":         validatePorts("excludeOutboundPorts", false),
	"status.sidecar.istio.io/port":                          validatePort,
	"readiness.status.sidecar.istio.io/initialDelaySeconds": validateUint32,
	"readiness.status.sidecar.istio.io/periodSeconds":       validateUint32,
	"readiness.status.sidecar.istio.io/failureThreshold":    validateUint32,
	keyCoreDump:                                   quotedValueOK, // not validated from Istio 1.25; see AnnotationChecks
	"prometheus.istio.io/merge-metrics":           validateBool,
	"sidecar.istio.io/proxyCPU":                   validateQuantity,
	"sidecar.istio.io/proxyMemory":                validateQuantity,
	"sidecar.istio.io/proxyCPULimit":              validateQuantity,
	"sidecar.istio.io/proxyMemoryLimit":           validateQuantity,
	"proxy.istio.io/config":                       validateProxyConfigAnnotation,
	"traffic.sidecar.istio.io/kubevirtInterfaces": validateInterfaces,     // kinject
	"istio.io/reroute-virtual-interfaces":         validateInterfaces,     // kinject
	keyExcludeInterfaces:                          validateInterfaceNames, // Istio 1.30 and later; see AnnotationChecks
	"sidecar.istio.io/userVolume":                 validateUserVolumes,    // kinject
	"sidecar.istio.io/userVolumeMount":            validateUserVolumes,    // kinject
	"apm.datadoghq.com/env":                       validateDatadogEnv,     // kinject
	"k8s.v1.cni.cncf.io/networks":                 validateMultusNetworks, // kinject
}

// The annotations whose checks changed between Istio releases.
const (
	keyCoreDump          = "sidecar.istio.io/enableCoreDump"
	keyExcludeInterfaces = "traffic.sidecar.istio.io/excludeInterfaces"
)

// AnnotationChecks are the checks of ValidateAnnotationsFor that changed
// between Istio releases. The zero value checks as the newest release does.
//
// Where the release followed accepted any value, kinject still refuses a
// value that could leave its place in the template (a quote, a backslash,
// a control character or a line break, or invalid UTF-8), since such a
// value can change other fields of the pod; the error then says that the
// release would have accepted it. Any other value follows the release.
type AnnotationChecks struct {
	// Release names the release followed in those refusals, for example
	// "Istio 1.26.8"; empty means "the newest Istio".
	Release string
	// BoolCoreDump validates sidecar.istio.io/enableCoreDump as a boolean
	// (strconv.ParseBool), as Istio up to 1.24 does. From 1.25 Istio does
	// not validate it (its templates no longer read it), so "yes" is
	// injected as it is.
	BoolCoreDump bool
	// LaxInterfaces accepts any traffic.sidecar.istio.io/excludeInterfaces
	// value, as Istio up to 1.29 does. From 1.30 Istio requires a list of
	// Linux interface names: each at most 15 characters of letters, digits,
	// '_', '.' and '-', not starting with '.' or '-'.
	LaxInterfaces bool
}

// validator returns the check of key under c, or nil when key is not
// validated.
func (c AnnotationChecks) validator(key string) func(string) error {
	switch {
	case key == keyCoreDump && c.BoolCoreDump:
		return validateBool
	case key == keyExcludeInterfaces && c.LaxInterfaces:
		return quotedValueOK
	}
	return annotationValidators[key]
}

// laxKey reports whether c's release accepts every value of key, so that a
// refusal is kinject's own and says so.
func (c AnnotationChecks) laxKey(key string) bool {
	return key == keyCoreDump && !c.BoolCoreDump || key == keyExcludeInterfaces && c.LaxInterfaces
}

// ValidatedAnnotations returns the annotation keys ValidateAnnotations
// checks, sorted.
func ValidatedAnnotations() []string {
	return slices.Sorted(maps.Keys(annotationValidators))
}

// ValidateAnnotations checks the pod annotations a sidecar template reads,
// the way Istio does before injecting (interception mode, CIDR and port
// lists, status port, probe settings, booleans, resource quantities,
// proxy.istio.io/config), plus those the shipped templates insert into
// their YAML unquoted (interface lists, user volumes, Datadog env, Multus
// networks), which Istio lets through. Call it before rendering. Each
// finding names the key and wraps ErrInvalidAnnotation; all are returned
// together (errors.Join), sorted by key. Other annotations are not read.
//
// It checks as the newest Istio release does; ValidateAnnotationsFor
// checks as an older one does.
func ValidateAnnotations(annotations map[string]string) error {
	return ValidateAnnotationsFor(annotations, AnnotationChecks{})
}

// ValidateAnnotationsFor is ValidateAnnotations with the checks of the
// release c describes (see AnnotationChecks).
func ValidateAnnotationsFor(annotations map[string]string, c AnnotationChecks) error {
	keys := make([]string, 0, len(annotations))
	for k := range annotations {
		if _, ok := annotationValidators[k]; ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var errs []error
	for _, k := range keys {
		err := c.validator(k)(annotations[k])
		if err == nil {
			continue
		}
		if c.laxKey(k) {
			release := c.Release
			if release == "" {
				release = "the newest Istio"
			}
			err = fmt.Errorf("%w, which could change other fields of the pod (%s would accept it; kinject refuses it)", err, release)
		}
		errs = append(errs, fmt.Errorf("%w %s=%s: %w", ErrInvalidAnnotation, k, shortQuote(annotations[k]), err))
	}
	return errors.Join(errs...)
}

// ValidateLabels checks label keys and values with Kubernetes' syntax, as
// the API server would; manual injection reads labels from files that no
// API server has checked, and the shipped templates insert some label
// values unquoted (service.istio.io/workload-name).
func ValidateLabels(labels map[string]string) error {
	var errs []error
	if labelsFast(labels) {
		return nil
	}
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		if msgs := validation.IsQualifiedName(k); len(msgs) > 0 {
			errs = append(errs, fmt.Errorf("%w key %s: %s", ErrInvalidLabel, shortQuote(k), strings.Join(msgs, "; ")))
		}
		if msgs := validation.IsValidLabelValue(labels[k]); len(msgs) > 0 {
			errs = append(errs, fmt.Errorf("%w %s=%s: %s", ErrInvalidLabel, k, shortQuote(labels[k]), strings.Join(msgs, "; ")))
		}
	}
	return errors.Join(errs...)
}

// labelsFast reports that every label is valid, the common case, without
// regular expressions or sorting: a fast path (the name checks of
// names.go), whose false only means "ask the reference".
func labelsFast(labels map[string]string) bool {
	if !codec.Fast {
		return false
	}
	for k, v := range labels {
		if !qualifiedNameOK(k) || !labelValueOK(v) {
			return false
		}
	}
	return true
}

// shortQuote quotes s for an error message, cut to 64 bytes.
func shortQuote(s string) string {
	if len(s) > 64 {
		return strconv.Quote(s[:64]) + fmt.Sprintf("... (%d bytes)", len(s))
	}
	return strconv.Quote(s)
}

func validateInterceptionMode(s string) error {
	switch s {
	case "REDIRECT", "TPROXY", "NONE":
		return nil
	}
	return errors.New("interception mode must be REDIRECT, TPROXY or NONE")
}

// validateIPRanges and validatePorts name the setting the way Istio's
// messages do ("includeIPRanges invalid: ..."), so tools that match Istio's
// errors keep working.
func validateIPRanges(param string, allowStar bool) func(string) error {
	return func(s string) error {
		if s == "" || (allowStar && s == "*") {
			return nil
		}
		for _, c := range strings.Split(s, ",") {
			if _, err := netip.ParsePrefix(c); err != nil {
				return fmt.Errorf("%s invalid: CIDR %s: %w", param, shortQuote(c), err)
			}
		}
		return nil
	}
}

// trimBlanks trims the blanks Istio allows around a port or an interface
// name. Istio trims every Unicode space, but the templates write the value
// as it is, and most of those spaces (vertical tab, form feed, line
// breaks, NEL) are control characters or line breaks in YAML: a value
// holding one would pass the check and then break rendering, or be folded
// into another value. Only the space and the tab are trimmed, so the rule
// that accepts a value is the one the written value satisfies.
func trimBlanks(s string) string { return strings.Trim(s, " \t") }

func validatePorts(param string, allowStar bool) func(string) error {
	return func(s string) error {
		s = trimBlanks(s)
		if s == "" || (allowStar && s == "*") {
			return nil
		}
		for _, p := range strings.Split(s, ",") {
			if err := validatePort(p); err != nil {
				return fmt.Errorf("%s invalid: %w", param, err)
			}
		}
		return nil
	}
}

func validatePort(s string) error {
	if _, err := strconv.ParseUint(trimBlanks(s), 10, 16); err != nil {
		return fmt.Errorf("port %s is not a number from 0 to 65535", shortQuote(s))
	}
	return nil
}

func validateUint32(s string) error {
	if _, err := strconv.ParseUint(s, 10, 32); err != nil {
		return errors.New("want a whole number from 0 to 4294967295")
	}
	return nil
}

func validateBool(s string) error {
	if _, err := strconv.ParseBool(s); err != nil {
		return errors.New("want true or false")
	}
	return nil
}

func validateQuantity(s string) error {
	if err := quantityOK(s); err != nil {
		return fmt.Errorf("not a quantity: %w", err)
	}
	return nil
}

func validateProxyConfigAnnotation(s string) error {
	pc, err := meshconfig.ParseProxyConfig([]byte(s))
	if err != nil {
		return err
	}
	// proxyMetadata becomes env entries written unquoted by the shipped
	// templates; the lightstep CA path becomes a mountPath.
	for _, k := range slices.Sorted(maps.Keys(pc.ProxyMetadata)) {
		if msgs := validation.IsEnvVarName(k); len(msgs) > 0 {
			return fmt.Errorf("proxyMetadata key %s: %s", shortQuote(k), strings.Join(msgs, "; "))
		}
		if err := rawScalarOK(pc.ProxyMetadata[k]); err != nil {
			return fmt.Errorf("proxyMetadata %s: %w", k, err)
		}
	}
	if ca := pc.GetTracing().GetTlsSettings().GetCaCertificates(); ca != "" {
		if err := rawScalarOK(ca); err != nil {
			return fmt.Errorf("tracing.tlsSettings.caCertificates: %w", err)
		}
	}
	return nil
}

// rawScalarOK accepts a value a template may write without quoting or
// inside double quotes without escaping: no line breaks or other control
// characters, no quotes or backslashes, no template delimiters, nothing
// YAML reads as structure (": ", " #", a leading indicator).
func rawScalarOK(s string) error {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == 0x85 || r == 0x2028 || r == 0x2029 {
			return errors.New("value holds a control character or line break")
		}
	}
	switch {
	case strings.ContainsAny(s, "\"'\\`"):
		return errors.New("value holds a quote or backslash")
	case strings.Contains(s, "{{") || strings.Contains(s, "}}"):
		return errors.New("value holds a template delimiter")
	case strings.Contains(s, ": ") || strings.Contains(s, " #") || strings.HasSuffix(s, ":"):
		return errors.New(`value holds ": " or " #", which YAML reads as structure`)
	case s != "" && strings.ContainsRune("-?:,[]{}#&*!|>%@", rune(s[0])):
		return fmt.Errorf("value starts with %q, a YAML indicator", s[0])
	}
	return nil
}

// quotedValueOK accepts a value a template may write inside double quotes
// without escaping, where Istio's templates write the annotations it does
// not validate: valid UTF-8 without a quote, a backslash, a control
// character or a line break.
func quotedValueOK(s string) error {
	if !utf8.ValidString(s) {
		return errors.New("value is not valid UTF-8")
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == 0x85 || r == 0x2028 || r == 0x2029 {
			return errors.New("value holds a control character or line break")
		}
	}
	if strings.ContainsAny(s, "\"\\") {
		return errors.New("value holds a quote or backslash")
	}
	return nil
}

// validateInterfaceNames is Istio's check of excludeInterfaces (from
// 1.30): a comma-separated list of Linux interface names, each at most 15
// characters of letters, digits, '_', '.' and '-', starting with a letter,
// a digit or '_'. Blanks around a name are allowed; an empty name is not.
func validateInterfaceNames(s string) error {
	if trimBlanks(s) == "" {
		return nil
	}
	for _, name := range strings.Split(s, ",") {
		name = trimBlanks(name)
		switch {
		case name == "":
			return errors.New("empty interface name in the list")
		case len(name) > 15:
			return fmt.Errorf("interface name %s is longer than 15 characters", shortQuote(name))
		case name[0] == '.' || name[0] == '-':
			return fmt.Errorf("interface name %s starts with %q", shortQuote(name), name[0])
		}
		for _, r := range name {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-') {
				return fmt.Errorf("interface name %s holds %q", shortQuote(name), r)
			}
		}
	}
	return nil
}

func validateInterfaces(s string) error {
	for _, name := range strings.Split(s, ",") {
		name = trimBlanks(name)
		if name == "" {
			continue
		}
		if len(name) > 15 {
			return fmt.Errorf("interface name %s is longer than 15 characters", shortQuote(name))
		}
		for _, r := range name {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-@+", r)) {
				return fmt.Errorf("interface name %s holds %q", shortQuote(name), r)
			}
		}
	}
	return nil
}

// validateUserVolumes checks sidecar.istio.io/userVolume(Mount): a JSON
// object from volume name (a DNS label) to an object, which must not set
// the name itself.
func validateUserVolumes(s string) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return fmt.Errorf("want a JSON object of volumes: %w", err)
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if msgs := validation.IsDNS1123Label(k); len(msgs) > 0 {
			return fmt.Errorf("volume name %s: %s", shortQuote(k), strings.Join(msgs, "; "))
		}
		var v map[string]any
		if err := json.Unmarshal(m[k], &v); err != nil || v == nil {
			return fmt.Errorf("volume %s: want a JSON object", k)
		}
		if _, ok := v["name"]; ok {
			return fmt.Errorf("volume %s: the name comes from the key; remove \"name\"", k)
		}
	}
	return nil
}

func validateDatadogEnv(s string) error {
	var m map[string]string
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return fmt.Errorf("want a JSON object of strings: %w", err)
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if msgs := validation.IsEnvVarName(k); len(msgs) > 0 {
			return fmt.Errorf("env name %s: %s", shortQuote(k), strings.Join(msgs, "; "))
		}
		if err := rawScalarOK(m[k]); err != nil {
			return fmt.Errorf("env %s: %w", k, err)
		}
	}
	return nil
}

func validateMultusNetworks(s string) error {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == 0x85 || r == 0x2028 || r == 0x2029 {
			return errors.New("value holds a control character or line break")
		}
	}
	if strings.Contains(s, "'") {
		return errors.New("value holds a single quote")
	}
	if strings.Contains(s, "{{") || strings.Contains(s, "}}") {
		return errors.New("value holds a template delimiter")
	}
	return nil
}
