package inject

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/kinject/kinject/template"
)

// annotationChecks are the pod annotations Istio validates before
// injecting, each with its check. The error names the annotation key.
var annotationChecks = map[string]func(string) error{
	"sidecar.istio.io/interceptionMode": func(v string) error {
		_, err := template.ParseInterceptionMode(v)
		return err
	},
	"traffic.sidecar.istio.io/includeOutboundIPRanges": setting("values.global.proxy.includeIPRanges", cidrList(true)),
	"traffic.sidecar.istio.io/excludeOutboundIPRanges": setting("values.global.proxy.excludeIPRanges", cidrList(false)),
	"traffic.sidecar.istio.io/includeInboundPorts":     portList(true),
	"traffic.sidecar.istio.io/excludeInboundPorts":     portList(false),
	"traffic.sidecar.istio.io/includeOutboundPorts":    portList(false),
	"traffic.sidecar.istio.io/excludeOutboundPorts":    portList(false),
	annStatusPort: port,
	"readiness.status.sidecar.istio.io/initialDelaySeconds": uint32Value,
	"readiness.status.sidecar.istio.io/periodSeconds":       uint32Value,
	"readiness.status.sidecar.istio.io/failureThreshold":    uint32Value,
}

// validateAnnotations checks the annotations Istio checks, in key order, and
// reports the first bad one.
func validateAnnotations(ann map[string]string) error {
	keys := make([]string, 0, len(annotationChecks))
	for k := range annotationChecks {
		if _, ok := ann[k]; ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := annotationChecks[k](ann[k]); err != nil {
			return fmt.Errorf("%w %s: %w", ErrInvalidAnnotation, k, err)
		}
	}
	return nil
}

// setting names, in the error, the values setting an annotation overrides
// (Istio's own messages use those names).
func setting(name string, check func(string) error) func(string) error {
	return func(v string) error {
		if err := check(v); err != nil {
			return fmt.Errorf("%w (overrides %s)", err, name)
		}
		return nil
	}
}

func cidrList(wildcard bool) func(string) error {
	return func(v string) error {
		if strings.TrimSpace(v) == "*" {
			if wildcard {
				return nil
			}
			return fmt.Errorf("%q: a wildcard is not allowed here", v)
		}
		for _, s := range strings.Split(v, ",") {
			s = strings.TrimSpace(s)
			if s == "" {
				continue
			}
			if _, err := netip.ParsePrefix(s); err != nil {
				return fmt.Errorf("%q is not a CIDR range", s)
			}
		}
		return nil
	}
}

func portList(wildcard bool) func(string) error {
	return func(v string) error {
		if strings.TrimSpace(v) == "*" {
			if wildcard {
				return nil
			}
			return fmt.Errorf("%q: a wildcard is not allowed here", v)
		}
		for _, s := range strings.Split(v, ",") {
			s = strings.TrimSpace(s)
			if s == "" {
				continue
			}
			if err := port(s); err != nil {
				return err
			}
		}
		return nil
	}
}

func port(v string) error {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("%q is not a port number (0-65535)", v)
	}
	return nil
}

func uint32Value(v string) error {
	if _, err := strconv.ParseUint(strings.TrimSpace(v), 10, 32); err != nil {
		return fmt.Errorf("%q is not a non-negative integer", v)
	}
	return nil
}
