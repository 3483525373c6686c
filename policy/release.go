package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Release is the Istio release whose behaviour an injector follows. Only
// the major and minor version select behaviour; the patch is kept for
// messages. The zero Release is the newest behaviour kinject knows (Istio
// at the commit of its conformance corpus, newer than 1.29), which is also
// what an unknown release means.
//
// A Release is a plain comparable value. Its text form is what
// ParseRelease reads ("1.23.6"), and "newest" for the zero Release; in
// JSON and YAML it is a string (a bare YAML number such as 1.30 would read
// as 1.3, so it is refused).
type Release struct {
	// Major, Minor and Patch are the release's numbers, as in 1.23.6.
	Major, Minor, Patch int
}

// ErrRelease is matched (errors.Is) by the error ParseRelease returns for
// text that is not an Istio release.
var ErrRelease = errors.New("not an Istio release")

// ParseRelease reads an Istio release the way images and charts spell it:
// "1.23", "1.23.6", an optional leading "v", and any suffix after a "-" or
// "+" ("1.23.6-distroless", Anthos Service Mesh's "1.23.3-asm.2"), which
// is ignored. "", "newest" and "latest" (the tag of builds from Istio's
// main branch) are the zero Release. Anything else, such as a revision name
// ("asm-1233-2") or a commit, is an error matching ErrRelease; a caller
// that cannot tell then follows the newest behaviour, as the zero Release
// does.
func ParseRelease(s string) (Release, error) {
	t := strings.TrimSpace(s)
	switch t {
	case "", "newest", "latest":
		return Release{}, nil
	}
	t = strings.TrimPrefix(t, "v")
	if i := strings.IndexAny(t, "-+"); i >= 0 {
		t = t[:i]
	}
	parts := strings.Split(t, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return Release{}, fmt.Errorf("%w: %q (want MAJOR.MINOR[.PATCH], for example 1.23.6)", ErrRelease, s)
	}
	var n [3]int
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 || v > 9999 || p != strconv.Itoa(v) {
			return Release{}, fmt.Errorf("%w: %q (want MAJOR.MINOR[.PATCH], for example 1.23.6)", ErrRelease, s)
		}
		n[i] = v
	}
	if n[0] == 0 {
		return Release{}, fmt.Errorf("%w: %q (Istio releases start at 1.0)", ErrRelease, s)
	}
	return Release{Major: n[0], Minor: n[1], Patch: n[2]}, nil
}

// IsNewest reports whether r is the zero Release: the newest behaviour.
func (r Release) IsNewest() bool { return r == Release{} }

// Before reports whether r is older than major.minor. The zero Release
// (newest) is before nothing.
func (r Release) Before(major, minor int) bool {
	if r.IsNewest() {
		return false
	}
	return r.Major < major || r.Major == major && r.Minor < minor
}

// Compare orders releases by major, minor and patch, the zero Release
// (newest) after all others: -1 when r is older than o, 0 when equal, +1
// when newer.
func (r Release) Compare(o Release) int {
	switch {
	case r == o:
		return 0
	case r.IsNewest():
		return 1
	case o.IsNewest():
		return -1
	}
	for _, d := range [3]int{r.Major - o.Major, r.Minor - o.Minor, r.Patch - o.Patch} {
		if d < 0 {
			return -1
		}
		if d > 0 {
			return 1
		}
	}
	return 0
}

// String returns MAJOR.MINOR.PATCH ("1.23.6"; "1.23" reads as 1.23.0), or
// "newest" for the zero Release.
func (r Release) String() string {
	if r.IsNewest() {
		return "newest"
	}
	return fmt.Sprintf("%d.%d.%d", r.Major, r.Minor, r.Patch)
}

// describe names r in messages: "Istio 1.26.8", or "the newest Istio".
func (r Release) describe() string {
	if r.IsNewest() {
		return "the newest Istio"
	}
	return "Istio " + r.String()
}

// MarshalText returns String's text.
func (r Release) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText reads text with ParseRelease.
func (r *Release) UnmarshalText(b []byte) error {
	v, err := ParseRelease(string(b))
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// UnmarshalJSON reads a JSON string with ParseRelease. A JSON number is
// refused: YAML reads 1.30 as the number 1.3, so a release must be quoted.
func (r *Release) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("%w: %s: write the release as a quoted string (YAML reads 1.30 as the number 1.3)", ErrRelease, b)
	}
	return r.UnmarshalText([]byte(s))
}

// InjectIntent is what an injector makes of a pod's sidecar.istio.io/inject
// value.
type InjectIntent int

const (
	// IntentDefault means the value does not decide: the injector's
	// neverInjectSelector, alwaysInjectSelector and policy do.
	IntentDefault InjectIntent = iota
	// IntentInject means the value asks for a sidecar.
	IntentInject
	// IntentSkip means the value opts out.
	IntentSkip
)

// String returns "default", "inject" or "skip".
func (i InjectIntent) String() string {
	switch i {
	case IntentInject:
		return "inject"
	case IntentSkip:
		return "skip"
	}
	return "default"
}

// lenientInjectValues is the rule that changed in Istio 1.27: up to 1.26
// the injector lower-cases the value and reads y, yes, true and on as
// true and any other non-empty value as false; from 1.27 only "true" and
// "false" count and any other value falls back to the policy.
func (r Release) lenientInjectValues() bool { return r.Before(1, 27) }

// InjectIntent reads a sidecar.istio.io/inject value (the pod label, or the
// deprecated annotation when the label is absent) as an injector of release
// r does. An empty or absent value never decides. From Istio 1.27 only
// "true" and "false" decide; up to 1.26 the value is lower-cased and "y",
// "yes", "true" and "on" inject while any other value opts out, so "False"
// or "no" opt out under 1.26 and are ignored under 1.27 and later.
func (r Release) InjectIntent(value string) InjectIntent {
	switch {
	case value == "":
		return IntentDefault
	case value == "true":
		return IntentInject
	case value == "false":
		return IntentSkip
	case !r.lenientInjectValues():
		return IntentDefault
	}
	switch strings.ToLower(value) {
	case "y", "yes", "true", "on":
		return IntentInject
	}
	return IntentSkip
}

// InjectValueNote explains how Istio releases disagree on a
// sidecar.istio.io/inject value, for a lint or a migration plan, or returns
// "" when every release reads it the same way ("", "true", "false"). For
// "False" it says that Istio 1.26 and earlier opt the pod out and 1.27 and
// later ignore the value and fall back to the injector's selectors and
// policy. The value is quoted in the text.
func InjectValueNote(value string) string {
	r := injectValueReading(value)
	if r == "" {
		return ""
	}
	return fmt.Sprintf("sidecar.istio.io/inject=%q: %s", value, r)
}

// injectValueReading says how releases up to 1.26 and from 1.27 read
// value, or "" when they agree.
func injectValueReading(value string) string {
	old, current := Release{Major: 1, Minor: 26}.InjectIntent(value), Release{}.InjectIntent(value)
	if old == current {
		return ""
	}
	verb := "opt the pod out"
	if old == IntentInject {
		verb = "inject it"
	}
	return fmt.Sprintf("Istio 1.26 and earlier lower-case the value and %s; 1.27 and later ignore it and fall back to the injector's selectors and policy", verb)
}
